import Foundation
import Kafka
import Logging

/// Shared defaults of the test rig.
package enum Rig {
    /// A logger for rig and test clients: warnings and worse, so test output stays readable.
    package static let logger: Logger = {
        var logger = Logger(label: "understudy.test")
        logger.logLevel = .warning
        return logger
    }()

    /// A name no other test uses (`prefix-1a2b3c4d`).
    package static func unique(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Consumer settings that join a group in about 3 s instead of librdkafka's ~23 s.
    package static func consumerConfiguration(
        bootstrapServers: String, groupID: String, properties: [String: String] = [:],
        assignmentStrategy: String? = nil, bufferCapacity: Int = 10_000
    ) -> KafkaConsumerConfiguration {
        KafkaConsumerConfiguration(
            common: KafkaConfiguration(bootstrapServers: bootstrapServers, properties: properties),
            groupID: groupID, sessionTimeout: .seconds(6), heartbeatInterval: .milliseconds(500),
            assignmentStrategy: assignmentStrategy, bufferCapacity: bufferCapacity, revokeTimeout: .seconds(5)
        )
    }

    /// Collects messages from `consumer` until `count` arrived or `timeout` passed.
    package static func collect(_ consumer: KafkaConsumer, count: Int, timeout: Duration) async -> [KafkaMessage] {
        await withTaskGroup(of: [KafkaMessage].self) { group in
            group.addTask {
                var messages: [KafkaMessage] = []
                for await message in consumer.messages {
                    messages.append(message)
                    if messages.count >= count { break }
                }
                return messages
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return []
            }
            let first = await group.next() ?? []
            group.cancelAll()
            let second = await group.next() ?? []
            return first.count >= second.count ? first : second
        }
    }
}
