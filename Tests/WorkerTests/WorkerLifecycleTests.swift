import Completions
import FailoverTesting
import Jobs
import Kafka
import Logging
import Synchronization
import Testing

@testable import Worker

/// The real `Worker` driver over the two client seams (``JobConsumer``, ``ResultProducer``),
/// with clients that record what the worker asks of them: assignments, jobs, acknowledgements,
/// offsets, fatal errors and shutdown, without a broker. The broker-backed suites
/// (`EndToEndTests`) cover the real clients.
@Suite("Worker lifecycle over its client seams")
struct WorkerLifecycleTests {
    static let yaml = """
        kafka:
          bootstrap_servers: 127.0.0.1:1
          topics: {jobs: jobs, results: results, telemetry: telemetry, dead_letter: dead}
        providers:
          local: {type: extractive}
        workloads:
          w:
            routes: [{provider: local, model: m}]
        worker:
          commit_interval_ms: 1000
          shutdown_grace_seconds: 30
        """

    static let partition = KafkaTopicPartition(topic: "jobs", partition: 0)

    static func job(_ id: String, offset: Int64, generation: UInt64) -> KafkaMessage {
        let json = """
            {"id": "\(id)", "workload": "w", "input": {"messages": [{"role": "user", "content": "The broker was down. The backup answered."}], "max_tokens": 60}}
            """
        return KafkaMessage(
            topic: "jobs", partition: 0, offset: offset, key: Array(id.utf8), value: Array(json.utf8), generation: generation)
    }

    /// A worker over fake clients and a manual clock: `body` drives it, then the run ends (`body`
    /// stops delivery or raises a fatal error). The run's outcome, and the consumer it used.
    private func withWorker(
        _ body: (Worker, ManualClock, FakeConsumer, FakeProducer, FakeKafka) async throws -> Void
    ) async throws -> (outcome: Result<Void, any Error>, consumer: FakeConsumer) {
        let config = try UnderstudyConfig.parse(yaml: Self.yaml, environment: [:])
        let logger = Logger(label: "worker-lifecycle-test")
        let catalog = try ProviderCatalog(config: config, environment: [:], logger: logger)
        let fake = FakeKafka()
        let clock = ManualClock()
        let worker = Worker(config: config, providers: catalog.providers, logger: logger, clock: clock, kafka: fake.seam)
        let run = Task { () -> Result<Void, any Error> in
            do {
                try await worker.run()
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        let (consumer, producer) = try #require(await fake.clients())
        try await body(worker, clock, consumer, producer, fake)
        let outcome = await run.value
        await catalog.shutdown()
        return (outcome, consumer)
    }

    /// Runs one pass of the worker's commit loop: moves the clock to the loop's next tick and
    /// returns once the loop sleeps again (its pass is done).
    private func commitTick(_ clock: ManualClock) async throws {
        let tick = try #require(await eventually { clock.nextDeadline })
        clock.advance(to: tick)
        let next = await eventually { clock.nextDeadline.flatMap { $0 > tick ? $0 : nil } }
        #expect(next != nil, "the commit loop did not go back to sleep")
    }

    /// Yields until `probe` has a value (at most 100,000 times: a hang fails, not waits forever).
    private func eventually<T>(_ probe: () -> T?) async -> T? {
        for _ in 0..<100_000 {
            if let value = probe() { return value }
            await Task.yield()
        }
        return probe()
    }

    @Test("a job's offset is stored only after its records are acknowledged; a bad message becomes a dead letter and the partition flows on")
    func offsetsFollowAcknowledgements() async throws {
        let (outcome, consumer) = try await withWorker { worker, clock, consumer, producer, fake in
            await fake.listener()?.partitionsAssigned([Self.partition], generation: 1)
            producer.holdAcknowledgements()
            consumer.deliver([
                Self.job("a", offset: 0, generation: 1),
                KafkaMessage(topic: "jobs", partition: 0, offset: 1, key: nil, value: Array("{not json".utf8), generation: 1),
                Self.job("b", offset: 2, generation: 1),
            ])
            // Both results and the dead letter reach the producer, unacknowledged; a commit pass
            // now stores nothing.
            await producer.waitUntilSent(topic: "results", count: 2)
            await producer.waitUntilSent(topic: "dead", count: 1)
            try await commitTick(clock)
            #expect(consumer.storedOffsets.isEmpty)
            #expect(consumer.commits == 0)
            // Acknowledged: the next pass stores past all three and commits.
            producer.acknowledgeAll()
            let finished = await eventually { worker.counters.jobs + worker.counters.deadLetters == 3 ? true : nil }
            #expect(finished == true)
            try await commitTick(clock)
            #expect(consumer.storedOffsets == [KafkaPartitionOffset(topic: "jobs", partition: 0, offset: 3)])
            #expect(consumer.commits == 1)
            consumer.stopDelivery()
        }
        #expect(throws: Never.self) { try outcome.get() }
        #expect(consumer.closed)
    }

    @Test("a message fetched under an assignment that was revoked and made again is dropped, not run")
    func staleGenerationIsDropped() async throws {
        let (outcome, consumer) = try await withWorker { _, _, consumer, producer, fake in
            let listener = try #require(await fake.listener())
            await listener.partitionsAssigned([Self.partition], generation: 1)
            await listener.partitionsRevoked([Self.partition], lost: false, generation: 2)
            await listener.partitionsAssigned([Self.partition], generation: 3)
            consumer.deliver([Self.job("stale", offset: 5, generation: 1), Self.job("fresh", offset: 0, generation: 3)])
            await producer.waitUntilSent(topic: "results", count: 1)
            consumer.stopDelivery()
            #expect(producer.sentKeys(topic: "results") == ["fresh"])
        }
        #expect(throws: Never.self) { try outcome.get() }
        #expect(consumer.storedOffsets.last == KafkaPartitionOffset(topic: "jobs", partition: 0, offset: 1))
    }

    @Test("a fatal client error stops the worker with that error, and commits nothing more")
    func fatalErrorStopsTheWorker() async throws {
        let (outcome, consumer) = try await withWorker { worker, _, _, _, fake in
            // Not yet in its group: alive, not ready.
            #expect(worker.health.alive && !worker.health.ready && !worker.health.detail.isEmpty)
            await fake.listener()?.partitionsAssigned([Self.partition], generation: 1)
            let ready = await eventually { worker.health.ready ? worker.health : nil }
            #expect(ready == WorkerHealth(alive: true, ready: true, detail: ""))
            fake.raiseFatal(KafkaError(code: .producerFenced, message: "producer fenced", isFatal: true))
            // Failed: neither alive nor ready, saying why, until the process exits.
            #expect(!worker.health.alive && !worker.health.ready)
            #expect(worker.health.detail.contains("producer fenced"))
        }
        guard case .failure(let error) = outcome else {
            Issue.record("the worker returned normally after a fatal error")
            return
        }
        #expect((error as? KafkaError)?.isFatal == true)
        #expect("\(error)".contains("producer fenced"))
        #expect(consumer.commits == 0)
        #expect(consumer.storedOffsets.isEmpty)
        #expect(consumer.closed)
    }
}

// MARK: Fakes

/// Makes the fake clients and keeps what the worker hands them (its listener, its fatal callbacks).
final class FakeKafka: Sendable {
    private struct State {
        var consumer: FakeConsumer?
        var producer: FakeProducer?
        var listener: (any KafkaRebalanceListener)?
        var onFatal: [@Sendable (KafkaError) -> Void] = []
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    var seam: WorkerKafka {
        WorkerKafka(
            prepareTopics: {},
            makeProducer: { onFatal in
                let producer = FakeProducer()
                self.state.withLock {
                    $0.producer = producer
                    $0.onFatal.append(onFatal)
                }
                return producer
            },
            makeConsumer: { listener, onFatal in
                let consumer = FakeConsumer()
                let waiting = self.state.withLock { state in
                    state.consumer = consumer
                    state.listener = listener
                    state.onFatal.append(onFatal)
                    defer { state.waiting = [] }
                    return state.waiting
                }
                for continuation in waiting { continuation.resume() }
                return consumer
            }
        )
    }

    /// Waits until the worker made both clients.
    func clients() async -> (FakeConsumer, FakeProducer)? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.consumer != nil { return true }
                state.waiting.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
        return state.withLock { state in
            guard let consumer = state.consumer, let producer = state.producer else { return nil }
            return (consumer, producer)
        }
    }

    func listener() async -> (any KafkaRebalanceListener)? {
        state.withLock { $0.listener }
    }

    func raiseFatal(_ error: KafkaError) {
        let callbacks = state.withLock { $0.onFatal }
        for callback in callbacks { callback(error) }
    }
}

/// Delivers the batches a test hands it; records stores, commits and close.
final class FakeConsumer: JobConsumer {
    private struct State {
        var batches: [[KafkaMessage]] = []
        var waiter: CheckedContinuation<ArraySlice<KafkaMessage>?, Never>?
        var stopped = false
        var stored: [KafkaPartitionOffset] = []
        var commits = 0
        var closed = false
    }

    private let state = Mutex(State())

    var storedOffsets: [KafkaPartitionOffset] { state.withLock { $0.stored } }
    var commits: Int { state.withLock { $0.commits } }
    var closed: Bool { state.withLock { $0.closed } }

    func deliver(_ messages: [KafkaMessage]) {
        let waiter = state.withLock { state -> CheckedContinuation<ArraySlice<KafkaMessage>?, Never>? in
            guard let waiter = state.waiter else {
                state.batches.append(messages)
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: messages[...])
    }

    func nextBatch(max: Int) async -> ArraySlice<KafkaMessage>? {
        await withCheckedContinuation { (continuation: CheckedContinuation<ArraySlice<KafkaMessage>?, Never>) in
            let now = state.withLock { state -> ArraySlice<KafkaMessage>?? in
                if !state.batches.isEmpty { return .some(state.batches.removeFirst()[...]) }
                if state.stopped { return .some(nil) }
                state.waiter = continuation
                return .none
            }
            if let now { continuation.resume(returning: now) }
        }
    }

    func stopDelivery() {
        let waiter = state.withLock { state -> CheckedContinuation<ArraySlice<KafkaMessage>?, Never>? in
            state.stopped = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    func store(_ offsets: [KafkaPartitionOffset]) throws(KafkaError) -> [KafkaTopicPartition] {
        state.withLock { $0.stored += offsets }
        return []
    }

    func commitInBackground() {
        state.withLock { $0.commits += 1 }
    }

    func commit(timeout: Duration) async throws(KafkaError) {
        state.withLock { $0.commits += 1 }
    }

    func groupMetadata() -> KafkaConsumerGroupMetadata? { nil }

    func close(timeout: Duration) async {
        stopDelivery()
        state.withLock { $0.closed = true }
    }

    func pause(_ partitions: [KafkaTopicPartition]) {}
    func resume(_ partitions: [KafkaTopicPartition]) {}
}

/// Records what is sent; acknowledges at once, or holds every acknowledgement until released.
final class FakeProducer: ResultProducer {
    private struct State {
        var sent: [KafkaRecord] = []
        var holding = false
        var held: [CheckedContinuation<Void, Never>] = []
        var watchers: [(topic: String, count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())

    func holdAcknowledgements() { state.withLock { $0.holding = true } }

    func acknowledgeAll() {
        let held = state.withLock { state in
            state.holding = false
            defer { state.held = [] }
            return state.held
        }
        for continuation in held { continuation.resume() }
    }

    func sentKeys(topic: String) -> [String] {
        state.withLock { $0.sent.filter { $0.topic == topic }.map { String(decoding: $0.key ?? [], as: UTF8.self) } }
    }

    /// Waits until `count` records were sent to `topic` (acknowledged or not).
    func waitUntilSent(topic: String, count: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.sent.filter({ $0.topic == topic }).count >= count { return true }
                state.watchers.append((topic, count, continuation))
                return false
            }
            if done { continuation.resume() }
        }
    }

    func send(_ records: [KafkaRecord]) async -> [Result<KafkaDeliveryReport, KafkaError>] {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.sent += records
            var woken: [CheckedContinuation<Void, Never>] = []
            state.watchers.removeAll { watcher in
                guard state.sent.filter({ $0.topic == watcher.topic }).count >= watcher.count else { return false }
                woken.append(watcher.continuation)
                return true
            }
            return woken
        }
        for continuation in woken { continuation.resume() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let hold = state.withLock { state -> Bool in
                guard state.holding else { return false }
                state.held.append(continuation)
                return true
            }
            if !hold { continuation.resume() }
        }
        return records.map { .success(KafkaDeliveryReport(topic: $0.topic, partition: $0.partition ?? 0, offset: 0)) }
    }

    func beginTransaction() throws(KafkaError) {}

    func sendOffsetsToTransaction(
        _ offsets: [KafkaPartitionOffset], group metadata: KafkaConsumerGroupMetadata, timeout: Duration
    ) async throws(KafkaError) {}

    func commitTransaction(timeout: Duration) async throws(KafkaError) {}

    func abortTransaction(timeout: Duration) async throws(KafkaError) {}

    func close(timeout: Duration) async {}
}
