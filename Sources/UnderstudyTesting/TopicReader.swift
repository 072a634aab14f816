import Foundation
import Kafka

/// Reads a topic from the beginning through a fresh consumer group, for assertions.
package enum TopicReader {
    /// Every message of `topic` until `count` arrived, or until none arrived for `idle` after
    /// the first assignment (at most `timeout` in all).
    package static func read(
        _ topic: String, bootstrapServers: String, count: Int? = nil,
        idle: Duration = .seconds(3), timeout: Duration = .seconds(120)
    ) async throws -> [KafkaMessage] {
        let consumer = try KafkaConsumer(
            configuration: Rig.consumerConfiguration(bootstrapServers: bootstrapServers, groupID: Rig.unique("reader")),
            topics: [topic], logger: Rig.logger
        )
        let deadline = ContinuousClock.now + timeout
        _ = await eventually(timeout: .seconds(30)) { !consumer.assignment.isEmpty }
        var messages: [KafkaMessage] = []
        var lastArrival = ContinuousClock.now
        while ContinuousClock.now < deadline {
            if let count, messages.count >= count { break }
            let batch = await Rig.collect(consumer, count: 10_000, timeout: .milliseconds(200))
            if batch.isEmpty {
                if ContinuousClock.now - lastArrival > idle { break }
            } else {
                messages += batch
                lastArrival = ContinuousClock.now
            }
        }
        await consumer.close()
        return messages
    }

    /// The committed offsets of `group` for every partition of `topic`.
    package static func committed(
        group: String, topic: String, partitions: Int, bootstrapServers: String
    ) async throws -> [Int32: Int64] {
        let consumer = try KafkaConsumer(
            configuration: Rig.consumerConfiguration(bootstrapServers: bootstrapServers, groupID: group),
            topics: [Rig.unique("none")], logger: Rig.logger
        )
        let result = try await consumer.committed(
            (0..<partitions).map { KafkaTopicPartition(topic: topic, partition: Int32($0)) }, timeout: .seconds(10)
        )
        await consumer.close()
        var offsets: [Int32: Int64] = [:]
        for (partition, offset) in result { offsets[partition.partition] = offset }
        return offsets
    }
}
