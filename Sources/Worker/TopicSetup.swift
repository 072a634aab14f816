import Jobs
import Kafka
import Logging

/// Start-up checks shared by `run`, `enqueue` and the demo: the brokers answer, and the four
/// topics exist (created with `kafka.topic_partitions` partitions when `kafka.create_topics` is
/// true, else reported by name).
package enum TopicSetup {
    package static func prepare(config: UnderstudyConfig, logger: Logger) async throws {
        let settings = WorkerKafkaSettings(config: config)
        let admin = try KafkaAdmin(configuration: settings.common, logger: logger)
        defer { admin.close() }
        // Fails with the bootstrap address in the message when no broker answers.
        _ = try await admin.metadata(timeout: .seconds(15))
        if config.kafka.createTopics {
            let created = try await admin.createTopics(settings.topicSpecs, timeout: .seconds(30))
            if !created.isEmpty { logger.info("created topics", metadata: ["topics": "\(created)"]) }
        } else {
            let described = try await admin.describeTopics(settings.topicSpecs.map(\.name), timeout: .seconds(15))
            let missing = described.filter { $0.error != nil }.map(\.name)
            if !missing.isEmpty {
                throw WorkerError("kafka.topics: topics \(missing.joined(separator: ", ")) do not exist and kafka.create_topics is false")
            }
        }
        if config.hasBatches {
            // A batch job's state goes to the partition of its jobs partition's number, owned by
            // whoever owns that partition of the jobs topic.
            let topics = try await admin.describeTopics(config.jobTopics + [config.kafka.batchesTopic], timeout: .seconds(15))
            let batches = topics.first { $0.name == config.kafka.batchesTopic }?.partitions.count ?? 0
            for topic in topics where topic.name != config.kafka.batchesTopic && topic.partitions.count > batches {
                throw WorkerError(
                    "kafka.topics.batches: \(config.kafka.batchesTopic) has \(batches) partitions, fewer than jobs topic \(topic.name)'s "
                        + "\(topic.partitions.count); a batch job keeps its partition number, so give it at least as many")
            }
            // The owner of partition N of the jobs topic serves batch-state partition N: a jobs
            // topic of a workload's own must have no partition the shared one lacks.
            let shared = topics.first { $0.name == config.kafka.topics.jobs }?.partitions.count ?? 0
            for topic in topics where topic.name != config.kafka.batchesTopic && topic.partitions.count > shared {
                throw WorkerError(
                    "workloads: jobs topic \(topic.name) has \(topic.partitions.count) partitions, more than kafka.topics.jobs "
                        + "(\(shared)); with batches, the workers serving partition N of \(config.kafka.topics.jobs) serve the batch "
                        + "jobs of partition N of every jobs topic")
            }
        }
        if config.hasBudgets {
            // A deferred job goes to the partition of its jobs partition's number: there must be one.
            let topics = try await admin.describeTopics(config.jobTopics + [config.kafka.deferredTopic], timeout: .seconds(15))
            let deferred = topics.first { $0.name == config.kafka.deferredTopic }?.partitions.count ?? 0
            for topic in topics where topic.name != config.kafka.deferredTopic && topic.partitions.count > deferred {
                throw WorkerError(
                    "kafka.topics.deferred: \(config.kafka.deferredTopic) has \(deferred) partitions, fewer than jobs topic \(topic.name)'s "
                        + "\(topic.partitions.count); a deferred job keeps its partition number, so give it at least as many")
            }
        }
    }
}
