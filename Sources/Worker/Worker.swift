import Completions
import Failover
import Foundation
import Jobs
import Kafka
import Logging
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The understudy worker: consumes jobs, runs each through the failover engine, publishes its
/// result and telemetry, and commits the job's offset only once all of that is done.
///
/// Guarantees (at-least-once, the default): a job's offset is committed only after its result
/// and its telemetry were acknowledged by the broker, and per partition only the highest offset
/// below which every job finished, so a crash at any moment loses no job (it repeats at most
/// the jobs in flight and one commit interval's work). With `delivery: exactly_once`, results,
/// telemetry and offsets go in one Kafka transaction, held back per partition until the jobs
/// below them finished. Bad messages go to the dead-letter topic and never block a partition.
/// At most `worker.max_in_flight` jobs run at once; beyond that the consumer pauses its
/// partitions and keeps polling, so the worker stays in its group.
///
/// It is a `Service`: run it in a `ServiceGroup`, whose graceful shutdown (SIGTERM, SIGINT)
/// stops fetching, lets in-flight jobs finish within `worker.shutdown_grace_seconds`, commits,
/// flushes and returns.
public final class Worker: Service, Sendable {
    private struct PartitionProgress: Sendable {
        var tracker = OffsetTracker<[KafkaRecord]>()
        var revoking = false
    }

    private struct State: Sendable {
        var partitions: [KafkaTopicPartition: PartitionProgress] = [:]
        /// Records taken out of trackers for a transaction that has not committed yet.
        var pendingTransaction: (records: [KafkaRecord], offsets: [KafkaTopicPartition: Int64]) = ([], [:])
        var stopping = false
        var inFlight = 0
        /// A fatal Kafka error that ends the worker with a failure.
        var fatal: KafkaError?
    }

    private let config: UnderstudyConfig
    private let settings: WorkerKafkaSettings
    private let engine: FailoverEngine<ContinuousClock>
    private let circuitEvents: CircuitEvents
    private let processor: JobProcessor
    private let logger: Logger
    private let state = Mutex(State())
    private let limit: InFlightLimit
    private let clients = Mutex<(consumer: KafkaConsumer?, producer: KafkaProducer?)>((nil, nil))
    private let transactionLock = AsyncLock()
    /// Counts for reports and tests: jobs finished, dead letters, results published.
    public let counters = WorkerCounters()

    private var exactlyOnce: Bool { config.kafka.delivery == .exactlyOnce }

    /// Builds a worker over `providers` (keyed by the config's provider names).
    public init(config: UnderstudyConfig, providers: [String: any CompletionProvider], logger: Logger) {
        self.config = config
        self.settings = WorkerKafkaSettings(config: config)
        self.logger = logger
        self.limit = InFlightLimit(limit: config.worker.maxInFlight)
        let circuitEvents = CircuitEvents(topic: config.kafka.topics.telemetry)
        self.circuitEvents = circuitEvents
        let engine = FailoverEngine(providers: providers, configuration: EngineSettings.configuration(config), sink: circuitEvents)
        self.engine = engine
        self.processor = JobProcessor(
            decoder: JobDecoder(config: config), engine: engine,
            providerKinds: providers.mapValues(\.kind), topics: config.kafka.topics,
            maxMessageBytes: config.worker.maxMessageBytes, logger: logger
        )
    }

    public func run() async throws {
        OpenFileLimit.raise(logger: logger)
        try await TopicSetup.prepare(config: config, logger: logger)
        let producer = try KafkaProducer(configuration: settings.producer, logger: logger)
        if exactlyOnce {
            try await producer.initTransactions(timeout: .seconds(30))
        }
        let consumer = try KafkaConsumer(
            configuration: settings.consumer, topics: [config.kafka.topics.jobs],
            listener: RebalanceHandler(worker: self), logger: logger
        )
        clients.withLock { $0 = (consumer, producer) }
        var started: Logger.Metadata = [
            KafkaLoggingKeys.groupID: "\(config.kafka.groupID)", "delivery": "\(config.kafka.delivery.rawValue)",
            "max_in_flight": "\(config.worker.maxInFlight)",
        ]
        // Static membership: the identity a restarted pod comes back under.
        if let instance = settings.staticMemberID {
            started["kafka.group.instance.id"] = "\(instance)"
        }
        logger.info("worker started", metadata: started)

        var failure: (any Error)?
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.commitLoop(consumer: consumer, producer: producer) }
                await self.consume(consumer: consumer, producer: producer)
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.logger.info("shutting down: no new jobs; finishing the ones in flight")
            self.state.withLock { $0.stopping = true }
            consumer.stopDelivery()
        }
        if let fatal = state.withLock({ $0.fatal }) {
            failure = fatal
        } else {
            do {
                try await commitFinished(consumer: consumer, producer: producer, synchronous: true)
            } catch {
                failure = error
                logger.error("final commit failed", metadata: ["error": "\(error)"])
            }
        }
        await consumer.close()
        await producer.close(timeout: .seconds(10))
        logger.info("worker stopped", metadata: ["jobs": "\(counters.jobs)", "dead_letters": "\(counters.deadLetters)"])
        if let failure { throw failure }
    }

    // MARK: Consuming

    private func consume(consumer: KafkaConsumer, producer: KafkaProducer) async {
        await withDiscardingTaskGroup { jobs in
            var iterator = consumer.messages.makeAsyncIterator()
            while let batch = await iterator.nextBatch(max: 256) {
                for message in batch {
                    guard register(message) else { continue }
                    await limit.acquire()
                    jobs.addTask {
                        await self.handle(message, producer: producer)
                        self.limit.release()
                    }
                }
            }
            // Delivery stopped (shutdown): wait for in-flight jobs within the grace period.
            let grace = Duration.seconds(config.worker.shutdownGraceSeconds)
            let drained = await waitForInFlight(upTo: grace) { _ in true }
            if !drained {
                logger.warning("shutdown grace passed with jobs in flight; they are not committed and will run again")
                jobs.cancelAll()
            }
        }
    }

    /// Starts tracking `message`; false when its partition is not (or no longer) ours.
    private func register(_ message: KafkaMessage) -> Bool {
        state.withLock { state in
            // Mutated in place through the dictionary: copying the progress out and back would
            // copy the whole tracker for every message.
            guard !state.stopping, state.partitions[message.topicPartition]?.revoking == false else { return false }
            state.partitions[message.topicPartition]?.tracker.register(message.offset)
            state.inFlight += 1
            return true
        }
    }

    private func handle(_ message: KafkaMessage, producer: KafkaProducer) async {
        guard let publication = await processor.process(message) else {
            state.withLock { $0.inFlight -= 1 }
            return
        }
        var held: [KafkaRecord]? = nil
        if exactlyOnce {
            held = Publisher.records(for: publication, maxBytes: settings.producerMessageMaxBytes)
        } else {
            let published = await Publisher.publish(publication, producer: producer, maxBytes: settings.producerMessageMaxBytes, logger: logger)
            if !published {
                state.withLock { $0.inFlight -= 1 }
                return
            }
        }
        counters.count(publication)
        state.withLock { state in
            state.inFlight -= 1
            state.partitions[message.topicPartition]?.tracker.finish(message.offset, payload: held)
        }
    }

    /// Waits until no job of the partitions `matching` is in flight, or `limit` passed.
    private func waitForInFlight(upTo limit: Duration, _ matching: @escaping (KafkaTopicPartition) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while true {
            let busy = state.withLock { state in
                state.partitions.contains { matching($0.key) && $0.value.tracker.unfinished > 0 } || (state.stopping && state.inFlight > 0)
            }
            if !busy { return true }
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    // MARK: Committing

    private func commitLoop(consumer: KafkaConsumer, producer: KafkaProducer) async {
        let interval = Duration.milliseconds(max(1, config.worker.commitIntervalMs))
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            do {
                try await commitFinished(consumer: consumer, producer: producer, synchronous: false)
            } catch let error as KafkaError where error.isFatal {
                // A fenced or otherwise dead producer: stop taking jobs and exit non-zero, so the
                // orchestrator restarts the worker with fresh clients; nothing unfinished is committed.
                logger.critical("fatal Kafka error; the worker stops", metadata: ["error": "\(error)"])
                state.withLock { state in
                    state.stopping = true
                    state.fatal = error
                }
                consumer.stopDelivery()
                return
            } catch {
                logger.error("commit failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Commits the offsets below which every job finished (and, exactly-once, publishes what they
    /// held in the same transaction). `partitions` limits it to some partitions (a revoke).
    private func commitFinished(
        consumer: KafkaConsumer, producer: KafkaProducer, synchronous: Bool, partitions: Set<KafkaTopicPartition>? = nil
    ) async throws {
        if exactlyOnce {
            try await commitTransaction(consumer: consumer, producer: producer, partitions: partitions)
            return
        }
        let circuit = circuitEvents.drain()
        if !circuit.isEmpty {
            for result in await producer.send(circuit) {
                if case .failure(let error) = result { logger.warning("circuit event not published", metadata: ["error": "\(error)"]) }
            }
        }
        let offsets = state.withLock { state -> [KafkaPartitionOffset] in
            var offsets: [KafkaPartitionOffset] = []
            for key in Array(state.partitions.keys) where partitions?.contains(key) ?? true {
                if let commit = state.partitions[key]?.tracker.popFinished().commit {
                    offsets.append(KafkaPartitionOffset(topic: key.topic, partition: key.partition, offset: commit))
                }
            }
            return offsets
        }
        if !offsets.isEmpty {
            try consumer.store(offsets)
        }
        if synchronous {
            try await consumer.commit()
        } else if !offsets.isEmpty {
            consumer.commitInBackground()
        }
    }

    /// One transaction: held results and telemetry of finished jobs, with their offsets.
    private func commitTransaction(consumer: KafkaConsumer, producer: KafkaProducer, partitions: Set<KafkaTopicPartition>?) async throws {
        try await transactionLock.withLock {
            let circuit = circuitEvents.drain()
            let (records, offsets) = state.withLock { state -> ([KafkaRecord], [KafkaTopicPartition: Int64]) in
                for key in Array(state.partitions.keys) where partitions?.contains(key) ?? true {
                    guard let popped = state.partitions[key]?.tracker.popFinished(), let commit = popped.commit else { continue }
                    state.pendingTransaction.records += popped.payloads.flatMap { $0 }
                    state.pendingTransaction.offsets[key] = commit
                }
                state.pendingTransaction.records += circuit
                return (state.pendingTransaction.records, state.pendingTransaction.offsets)
            }
            guard !offsets.isEmpty || !records.isEmpty else { return }
            do {
                try producer.beginTransaction()
                for result in await producer.send(records) {
                    if case .failure(let error) = result { throw error }
                }
                try await producer.sendOffsetsToTransaction(
                    offsets.map { KafkaPartitionOffset(topic: $0.key.topic, partition: $0.key.partition, offset: $0.value) },
                    consumer: consumer, timeout: .seconds(30)
                )
                try await producer.commitTransaction(timeout: .seconds(60))
                state.withLock { $0.pendingTransaction = ([], [:]) }
            } catch let error as KafkaError where !error.isFatal {
                logger.warning("transaction aborted; its records and offsets go into the next one", metadata: ["error": "\(error)"])
                try? await producer.abortTransaction(timeout: .seconds(30))
                throw error
            }
        }
    }

    // MARK: Rebalance

    fileprivate func assigned(_ partitions: [KafkaTopicPartition]) {
        state.withLock { state in
            for partition in partitions { state.partitions[partition] = PartitionProgress() }
        }
    }

    fileprivate func revoked(_ partitions: [KafkaTopicPartition], lost: Bool) async {
        let revoked = Set(partitions)
        state.withLock { state in
            for partition in partitions { state.partitions[partition]?.revoking = true }
        }
        if !lost {
            let finished = await waitForInFlight(upTo: .milliseconds(config.worker.revokeGraceMs)) { revoked.contains($0) }
            if !finished { logger.warning("revoke grace passed with jobs in flight; the new owner redoes them") }
            let (consumer, producer) = clients.withLock { $0 }
            if let consumer, let producer {
                do {
                    try await commitFinished(consumer: consumer, producer: producer, synchronous: false, partitions: revoked)
                } catch {
                    logger.warning("commit on revoke failed", metadata: ["error": "\(error)"])
                }
            }
        }
        state.withLock { state in
            for partition in partitions { state.partitions[partition] = nil }
        }
    }

    /// Hears the consumer's rebalances on the worker's behalf.
    private struct RebalanceHandler: KafkaRebalanceListener {
        let worker: Worker

        func partitionsAssigned(_ partitions: [KafkaTopicPartition], generation: UInt64) async {
            worker.assigned(partitions)
        }

        func partitionsRevoked(_ partitions: [KafkaTopicPartition], lost: Bool, generation: UInt64) async {
            await worker.revoked(partitions, lost: lost)
        }
    }
}

/// A start-up failure of the worker, with the config key path in its message.
public struct WorkerError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
