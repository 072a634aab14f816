import ArgumentParser
import Foundation
import Jobs
import Kafka
import Logging
import Worker

/// `understudy redrive --config FILE [--class CLASS] [--dry-run]`: after a config fix, puts dead
/// letters back on the jobs topic with their original key, value and headers.
///
/// It reads the dead-letter topic through its own consumer group (one per class, so a second run
/// does not repeat the first) and stops once the topic has been idle for `--idle-seconds` (a
/// watermark read at the start would be wrong on brokers such as Tansu).
struct RedriveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redrive",
        abstract: "Put dead letters (of one class, or all) back on the jobs topic."
    )

    @Option(name: .long, help: "The YAML config file.")
    var config: String

    @Option(
        name: .customLong("class"),
        help: "Only dead letters of this class (invalid_json, schema_violation, unknown_workload, route_not_approved, too_large, over_limit).")
    var errorClass: String?

    @Flag(name: .long, help: "Print what would be moved; move nothing, commit nothing.")
    var dryRun = false

    @Option(name: .long, help: "Stop after this many seconds without a new dead letter (0.1 to 3600).")
    var idleSeconds: Double = 5

    func run() async throws {
        let logger = CommandSupport.bootstrapLogging(level: "warning")
        guard (0.1...3_600).contains(idleSeconds) else {
            CommandSupport.printError("--idle-seconds: expected 0.1 to 3600, got \(idleSeconds)")
            throw ExitCode(2)
        }
        let config = try CommandSupport.loadConfig(config)
        let settings = WorkerKafkaSettings(config: config)
        let group = "\(config.kafka.groupID).redrive.\(errorClass ?? "all")"
        var consumerSettings = settings.consumer
        consumerSettings.groupID = group
        let consumer = try KafkaConsumer(configuration: consumerSettings, topics: [config.kafka.topics.deadLetter], logger: logger)
        let producer = try KafkaProducer(configuration: settings.producerForEnqueue, logger: logger)

        var moved = 0
        var skipped = 0
        let scan = TopicScan(consumer: consumer, idle: .milliseconds((idleSeconds * 1000).rounded()))
        while let batch = await scan.nextBatch() {
            var records: [KafkaRecord] = []
            for message in batch {
                let messageClass = message.headers.text(DeadLetter.Header.errorClass) ?? "unknown"
                guard errorClass == nil || errorClass == messageClass else {
                    skipped += 1
                    continue
                }
                let original = message.headers.filter { !DeadLetter.Header.all.contains($0.name) }
                let id = message.key.map { String(decoding: $0, as: UTF8.self) } ?? "(no key)"
                print("\(dryRun ? "would move" : "moving") \(id) (\(messageClass)) from \(message.topic)[\(message.partition)]@\(message.offset)")
                records.append(KafkaRecord(topic: config.kafka.topics.jobs, key: message.key, value: message.value, headers: original))
            }
            if !dryRun {
                for result in await producer.send(records) { _ = try result.get() }
                moved += records.count
                var next: [KafkaTopicPartition: Int64] = [:]
                for message in batch { next[message.topicPartition] = max(next[message.topicPartition] ?? 0, message.offset + 1) }
                try consumer.store(next.map { KafkaPartitionOffset(topic: $0.key.topic, partition: $0.key.partition, offset: $0.value) })
                try await consumer.commit()
            } else {
                moved += records.count
            }
        }
        await consumer.close()
        await producer.close(timeout: .seconds(30))
        print(
            "\(dryRun ? "would move" : "moved") \(moved) dead letters to \(config.kafka.topics.jobs)\(skipped > 0 ? "; \(skipped) of other classes left" : "")"
        )
    }
}
