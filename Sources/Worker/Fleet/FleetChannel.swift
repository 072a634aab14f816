import Foundation
import Jobs
import Kafka
import Logging
import ServiceLifecycle
import Synchronization

/// A topic the workers of one group share their state through (route health, spend): every
/// worker reads all of it, from the beginning at start-up and then as it comes, and writes its
/// own words to it.
///
/// Guarantees: its clients are its own (a plain idempotent producer, and a consumer in a group
/// of its own, joined fresh each start, that commits nothing), so the job path never waits on
/// it; it logs only warnings and errors of its clients, which must not read as the worker's; a
/// failure to start them is logged and leaves the channel caught up and silent (each worker
/// then keeps to what it knows itself).
final class FleetChannel: Sendable {
    let topic: String
    /// What it carries, for logs and its consumer group's name (`route-health`, `spend`).
    let purpose: String
    private let settings: WorkerKafkaSettings
    private let logger: Logger
    private let progress = Mutex<(received: Int, caughtUp: Bool)>((0, false))

    init(topic: String, purpose: String, settings: WorkerKafkaSettings, logger: Logger) {
        self.topic = topic
        self.purpose = purpose
        self.settings = settings
        self.logger = logger
    }

    /// Whether the start-up read of the topic is done (or given up on).
    var caughtUp: Bool { progress.withLock { $0.caughtUp } }

    /// Waits until the start-up read is done, at most `timeout`, and no longer than a graceful
    /// shutdown or a cancellation.
    func waitUntilCaughtUp(timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        while !caughtUp && ContinuousClock.now < deadline && !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Reads the topic into `receive` and runs `publish` with the producer, until cancelled
    /// (`publish` `nil`: a reader only, with no producer). With `partitions`, only those
    /// partitions are read, each from its beginning, by a consumer in no group at all (no join
    /// to wait for); ``caughtUp`` then says only that the first 300 ms passed with nothing new,
    /// so such a reader learns it has read everything otherwise (the batch lane reads back a
    /// marker it wrote). `startFailed` hears a failure to start the clients (after it is logged).
    func run(
        partitions: [Int32]? = nil,
        receive: @escaping @Sendable (ArraySlice<KafkaMessage>) -> Void,
        publish: (@Sendable (KafkaProducer) async -> Void)?,
        startFailed: (@Sendable (any Error) -> Void)? = nil
    ) async {
        let consumer: KafkaConsumer
        let producer: KafkaProducer?
        do {
            var consumerSettings = settings.consumer
            consumerSettings.groupID = "\(settings.config.kafka.groupID).\(purpose).\(UUID().uuidString.lowercased())"
            consumerSettings.autoOffsetReset = "earliest"
            // A group of its own, joined fresh each start: no static identity to come back under.
            consumerSettings.common.properties["group.instance.id"] = nil
            // Nothing it reads is ever in flight: a revoke (at close) need not wait for anything.
            consumerSettings.revokeTimeout = .zero
            // A word is news for about a second: a fetch waits at most 100 ms for more (on a
            // broker that answers a fetch only when its wait ends, the default 500 ms would be
            // most of that second).
            consumerSettings.common.properties["fetch.wait.max.ms"] = "100"
            var quiet = logger
            quiet.logLevel = max(logger.logLevel, .warning)
            producer = try publish.map { _ in try KafkaProducer(configuration: settings.producerForEnqueue, logger: quiet) }
            do {
                let source =
                    partitions.map { KafkaConsumerSource.partitionsFromBeginning($0.map { KafkaTopicPartition(topic: topic, partition: $0) }) }
                    ?? .topics([topic])
                consumer = try KafkaConsumer(configuration: consumerSettings, reading: source, logger: quiet)
            } catch {
                await producer?.close(timeout: .seconds(5))
                throw error
            }
        } catch {
            logger.error("\(purpose): cannot start its Kafka clients; this worker keeps to what it knows", metadata: ["error": "\(error)"])
            progress.withLock { $0.caughtUp = true }
            startFailed?(error)
            return
        }
        await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    var iterator = consumer.messages.makeAsyncIterator()
                    while !Task.isCancelled, let batch = await iterator.nextBatch(max: 1_000) {
                        self.progress.withLock { $0.received += batch.count }
                        receive(batch)
                    }
                }
                if let publish, let producer { group.addTask { await publish(producer) } }
                group.addTask { await self.catchUp(consumer) }
                await group.waitForAll()
            }
        } onCancel: {
            // Ends the reader's iteration; the other loops see the cancellation.
            consumer.stopDelivery()
        }
        // Both at once and briefly: the worker's shutdown waits for them.
        async let consumerClosed: Void = consumer.close(timeout: .seconds(2))
        async let producerClosed: Void = producer?.close(timeout: .seconds(2)) ?? ()
        _ = await (consumerClosed, producerClosed)
    }

    /// Sends `records`, logging the ones not delivered (the next word replaces them).
    func send(_ records: [KafkaRecord], with producer: KafkaProducer) async {
        guard !records.isEmpty else { return }
        for result in await producer.send(records) {
            if case .failure(let error) = result { logger.warning("\(purpose): a word was not delivered", metadata: ["error": "\(error)"]) }
        }
    }

    /// Start-up: caught up once the consumer holds its partitions and nothing new came for
    /// 300 ms (a watermark would be wrong on some brokers), or after 10 s whatever happened.
    private func catchUp(_ consumer: KafkaConsumer) async {
        let deadline = ContinuousClock.now + .seconds(10)
        var lastCount = -1
        var quietSince = ContinuousClock.now
        while !Task.isCancelled && ContinuousClock.now < deadline {
            let count = progress.withLock { $0.received }
            if count != lastCount || consumer.assignment.isEmpty {
                lastCount = count
                quietSince = ContinuousClock.now
            } else if ContinuousClock.now - quietSince >= .milliseconds(300) {
                break
            }
            try? await Task.sleep(for: .milliseconds(25))
        }
        progress.withLock { $0.caughtUp = true }
    }
}
