import Foundation
import Jobs
import Kafka

#if canImport(Glibc)
    import Glibc
#endif

/// The Kafka client settings a worker derives from the `kafka` and `worker` sections of its
/// config: one place that decides group, offsets, sizes and the transactional identity.
package struct WorkerKafkaSettings: Sendable {
    package let config: UnderstudyConfig
    /// How often the clients report librdkafka's statistics; `nil`: never (the default).
    package var statisticsInterval: Duration?

    package init(config: UnderstudyConfig) {
        self.config = config
    }

    package var common: KafkaConfiguration {
        KafkaConfiguration(
            bootstrapServers: config.kafka.bootstrapServers, clientID: "understudy",
            properties: config.kafka.properties, statisticsInterval: statisticsInterval
        )
    }

    /// The static group membership id (`group.instance.id`), when the config sets one.
    package var staticMemberID: String? {
        guard let id = config.kafka.properties["group.instance.id"], !id.isEmpty else { return nil }
        return id
    }

    /// The instance's identity: its static group membership id when it has one, else the host.
    package var instanceID: String {
        staticMemberID ?? Self.hostName
    }

    /// The host name from `gethostname(2)`: Foundation's `ProcessInfo.hostName` is not safe to
    /// call from several threads at once on Linux (swift-corelibs-foundation SR-15368).
    static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name
    }

    /// Stable per instance, so a restarted worker fences its predecessor's open transaction.
    package var transactionalID: String { "understudy-\(config.kafka.groupID)-\(instanceID)" }

    package var consumer: KafkaConsumerConfiguration {
        KafkaConsumerConfiguration(
            common: common, groupID: config.kafka.groupID, autoOffsetReset: config.kafka.autoOffsetReset.rawValue,
            sessionTimeout: .milliseconds(config.kafka.sessionTimeoutMs),
            heartbeatInterval: .milliseconds(config.kafka.heartbeatIntervalMs),
            bufferCapacity: max(64, config.worker.maxInFlight),
            revokeTimeout: .milliseconds(config.worker.revokeGraceMs + 2_000)
        )
    }

    /// Exactly-once: the most result and telemetry bytes held for transactions not yet
    /// committed; past it no new job starts (fetching pauses) until a commit frees them.
    /// 64 times the largest record, at least 64 MiB.
    static func maxHeldBytes(_ config: UnderstudyConfig) -> Int {
        let (product, overflow) = (config.worker.maxMessageBytes + 65_536).multipliedReportingOverflow(by: 64)
        return overflow ? Int.max / 2 : max(64 << 20, product)
    }

    /// Room for a whole dead letter (`max_message_bytes`) plus its headers.
    package var producerMessageMaxBytes: Int { config.worker.maxMessageBytes + 65_536 }

    package var producer: KafkaProducerConfiguration {
        KafkaProducerConfiguration(
            common: common, idempotent: true,
            transactionalID: config.kafka.delivery == .exactlyOnce ? transactionalID : nil,
            messageMaxBytes: producerMessageMaxBytes
        )
    }

    /// A plain idempotent producer (never transactional), for `enqueue` and `redrive`.
    package var producerForEnqueue: KafkaProducerConfiguration {
        KafkaProducerConfiguration(common: common, idempotent: true, messageMaxBytes: producerMessageMaxBytes)
    }

    /// The topics start-up checks or creates: the contract's four and, when breaker state is
    /// shared, the route-health topic (compacted: only each route's last word matters; one
    /// partition, so every worker reads every route in order).
    package var topicSpecs: [KafkaTopicSpec] {
        let topics = config.kafka.topics
        var specs = ([topics.jobs, topics.results, topics.telemetry, topics.deadLetter] + config.jobTopics.dropFirst()).map {
            KafkaTopicSpec(name: $0, partitions: config.kafka.topicPartitions)
        }
        if config.hasBudgets {
            specs.append(
                KafkaTopicSpec(
                    name: config.kafka.spendTopic, partitions: 1,
                    configs: ["cleanup.policy": "compact", "min.compaction.lag.ms": "\(Self.routeHealthCompactionLagMs)"]))
            specs.append(KafkaTopicSpec(name: config.kafka.deferredTopic, partitions: config.kafka.topicPartitions))
        }
        if config.hasBatches {
            // Compacted: one record per open job and batch, each gone with its tombstone.
            specs.append(
                KafkaTopicSpec(
                    name: config.kafka.batchesTopic, partitions: config.kafka.topicPartitions,
                    configs: ["cleanup.policy": "compact", "min.compaction.lag.ms": "\(Self.routeHealthCompactionLagMs)"]))
        }
        if config.routeHealth.enabled {
            specs.append(
                KafkaTopicSpec(
                    name: config.kafka.routeHealthTopic, partitions: 1,
                    configs: ["cleanup.policy": "compact", "min.compaction.lag.ms": "\(Self.routeHealthCompactionLagMs)"]))
        }
        return specs
    }

    /// What the worker's consumer reads: the jobs topic, the workloads' own jobs topics and, when a
    /// workload has a budget, the deferred topic (its jobs wait there for their window).
    package var jobTopics: [String] {
        config.jobTopics + (config.hasBudgets ? [config.kafka.deferredTopic] : [])
    }

    /// `min.compaction.lag.ms` of the route-health topic: a word stays readable this long before
    /// compaction may drop it for a newer one of the same route.
    package static let routeHealthCompactionLagMs = 60_000
}
