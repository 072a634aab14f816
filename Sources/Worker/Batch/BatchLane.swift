import Completions
import Failover
import Foundation
import Jobs
import Kafka
import Logging
import Synchronization

/// The batch lane (`workloads.NAME.batch`): jobs that can wait go to a provider's batch API at
/// the batch price, and fall back to realtime through the failover engine when their batch is
/// late, fails or expires.
///
/// How it keeps jobs: the consume loop moves a batch job to the batch-state topic
/// (``BatchEntry``, on the partition of the job's number) before the job's offset commits, as
/// a budget deferral moves a job. The owner of jobs partition N acts on batch-state partition
/// N: on each assignment it reads the partitions it was given from the beginning into its
/// ``BatchBook`` (and holds nothing of the others), then it flushes waiting jobs into
/// provider batches (recording each as a ``SubmittedBatch``), polls them with backoff,
/// publishes their answers (`mode: batch`), runs realtime the jobs a batch did not answer or
/// that reach their deadline minus `realtime_margin_ms`, cancels a batch whose jobs were all
/// served elsewhere, and writes a tombstone for each served job with its result. A new owner
/// (after a crash or a rebalance) writes an ownership marker and acts only once it has read it
/// back: it then knows everything its predecessor wrote, and resumes.
///
/// Guarantees: a job's result and its tombstone are written together (one transaction in
/// exactly-once mode; result first, then tombstone, at-least-once), so a job is published once
/// per delivery guarantee; a batch answer for a job already served is dropped and counted
/// (`understudy_batch_jobs_total{outcome="late_duplicate"}`); a job never enters a batch
/// unless its deadline leaves more than `min_deadline_ms`; provider calls never hold the job
/// path; a job is submitted at most once: the lane records its intent before asking the
/// provider, and a successor that finds an intent with no batch after it (a crash in between)
/// runs those jobs realtime instead; a revoke waits (up to the revoke grace) for the results
/// already being published on the partition, so its next owner reads their tombstones; work
/// handed out under one ownership changes nothing of the partition once it is read again; and
/// new batch jobs are refused past ``maxHeldBytes`` of jobs held (they run realtime), so the
/// lane's memory grows only with what a predecessor left on the partitions it takes over.
final class BatchLane: Sendable {
    /// How the lane's records reach Kafka; the worker provides them for its delivery mode.
    struct Writes: Sendable {
        /// Writes state records (ownership markers, batch records, tombstones); true once they
        /// are acknowledged (at-least-once) or committed (exactly-once).
        var write: @Sendable ([KafkaRecord]) async -> Bool
        /// The lane cannot work (its reader did not start): the worker stops, so its partitions
        /// go to a worker that can serve their batch jobs.
        var fail: @Sendable (_ reason: String) -> Void = { _ in }
        /// Publishes a job's publication, then `after` (its tombstone): ``Published/all`` once
        /// all are in Kafka, ``Published/resultOnly`` when the publication is but `after` is not
        /// (at-least-once only; exactly-once writes them together or not at all).
        var publish: @Sendable (_ publication: Publication, _ after: [KafkaRecord]) async -> Published
    }

    /// What a publish achieved.
    enum Published: Sendable, Equatable {
        case all
        case resultOnly
        case nothing
    }

    /// How often it looks for due work.
    static let tick = Duration.milliseconds(50)
    /// Bounds of one provider call.
    static let callTimeout = Duration.seconds(120)
    static let resultsTimeout = Duration.seconds(600)
    /// The most job bytes a worker holds for its batches (waiting or in a batch, its own
    /// partitions); a batch job that would pass it runs realtime.
    static let maxHeldBytes = 512 * 1_024 * 1_024

    let topic: String
    private let configs: [String: BatchConfig]
    private let providers: [String: any BatchCompletionProvider]
    private let processor: JobProcessor
    private let prices: PriceTable
    /// Where a budgeted workload's batch spend is counted; `nil`: no budgets.
    private let budget: BudgetGate?
    private let backlog: TelemetryBacklog
    private let settings: WorkerKafkaSettings
    /// Each assignment's partitions and nonces, for a reader of its own.
    private let assignments: (stream: AsyncStream<[Int32: String]>, continuation: AsyncStream<[Int32: String]>.Continuation)
    /// Publishes under way, by partition (a revoke waits for them).
    private let publishing = Mutex<[Int32: Int]>([:])
    /// Batch jobs that ran realtime because the lane held too much.
    private let overCapacity = Atomic<Int>(0)
    /// Set when it runs (the worker's producer exists only then).
    private let writer = Mutex(Writes(write: { _ in false }, publish: { _, _ in .nothing }))
    private var writes: Writes { writer.withLock { $0 } }
    private let worker: String
    private let logger: Logger
    private let metrics: WorkerMetrics?
    private let maxRecordBytes: Int
    /// The most realtime runs at once (`worker.max_in_flight`).
    private let maxRealtime: Int

    private let book: Mutex<BatchBook>
    private let running = Atomic<Int>(0)
    /// Ownership markers still to write: partition and nonce.
    private let markers = Mutex<[Int32: String]>([:])
    private let lateDuplicates = Atomic<Int>(0)
    /// Tombstones of jobs whose result is published but whose tombstone was not written yet.
    private let tombstones = Mutex<[KafkaRecord]>([])
    /// Closed batches whose files at the provider are still to be deleted.
    private let leftoverFiles = Mutex(ClosedBatchFiles())
    /// Submissions of each group the provider refused for now, in a row (each doubles the wait
    /// before the next, up to 16 poll intervals).
    private let refusedSubmissions = Mutex<[BatchBook.GroupKey: Int]>([:])

    init(
        config: UnderstudyConfig, providers: [String: any CompletionProvider], processor: JobProcessor, backlog: TelemetryBacklog,
        settings: WorkerKafkaSettings, worker: String, logger: Logger, metrics: WorkerMetrics?, budget: BudgetGate? = nil
    ) {
        self.budget = budget
        topic = config.kafka.batchesTopic
        let configs = config.workloads.compactMapValues(\.batch)
        self.configs = configs
        self.providers = providers.compactMapValues { $0 as? any BatchCompletionProvider }
        self.processor = processor
        prices = config.engineConfiguration.prices
        self.backlog = backlog
        self.settings = settings
        assignments = AsyncStream.makeStream(of: [Int32: String].self)
        self.worker = worker
        self.logger = logger
        self.metrics = metrics
        // Within the producer's limit and a broker's default `message.max.bytes` (1 MB).
        maxRecordBytes = max(64 * 1_024, min(settings.producerMessageMaxBytes, 1_000_000) - 4_096)
        maxRealtime = max(1, config.worker.maxInFlight)
        book = Mutex(BatchBook(configs: configs))
    }

    /// Late batch answers dropped (their jobs were served elsewhere first).
    var lateDuplicateCount: Int { lateDuplicates.load(ordering: .relaxed) }

    // MARK: The job path

    /// The entry that takes `job` (read from `message`) to a batch, or `nil` when it runs
    /// realtime: its workload has no enabled batch with a usable route, its deadline leaves no
    /// more than `min_deadline_ms`, or the lane holds ``maxHeldBytes`` of jobs already.
    func entry(for job: Job, message: KafkaMessage, nowMs: Int64) -> BatchEntry? {
        guard let config = configs[job.workload], config.enabled,
            let route = config.routes.first(where: { providers[$0.provider] != nil })
        else { return nil }
        // A job back from the deferred topic keeps the deadline it was first read with.
        let deadline = Deferral.read(message.headers, nowMs: nowMs)?.deadlineMs ?? Deferral.deadline(of: job, message: message, nowMs: nowMs)
        guard deadline &- nowMs > Int64(config.minDeadlineMs) else { return nil }
        guard book.withLock({ $0.heldBytes }) + message.value.count <= Self.maxHeldBytes else {
            // Read back or not, the lane holds enough: this one runs realtime, not in memory.
            if overCapacity.add(1, ordering: .relaxed).newValue % 1_000 == 1 {
                logger.warning(
                    "batch lane full; batch jobs run realtime until it drains",
                    metadata: ["held_bytes": "\(book.withLock { $0.heldBytes })", "understudy.workload": "\(job.workload)"])
            }
            metrics?.batchJob(workload: job.workload, outcome: "over_capacity")
            return nil
        }
        return BatchEntry(message: message, workload: job.workload, route: route, deadlineMs: deadline, nowMs: nowMs)
    }

    /// Batch jobs that ran realtime because the lane held ``maxHeldBytes`` already.
    var overCapacityCount: Int { overCapacity.load(ordering: .relaxed) }

    // MARK: Ownership

    /// This worker now owns these partitions of the jobs topic, and so the batch-state
    /// partitions of the same numbers: a reader of their own reads them from the beginning.
    func assign(_ partitions: [Int32]) {
        guard !partitions.isEmpty else { return }
        var fresh: [Int32: String] = [:]
        for partition in partitions { fresh[partition] = UUID().uuidString.lowercased() }
        book.withLock { book in for (partition, nonce) in fresh { book.assign(partition, nonce: nonce) } }
        markers.withLock { $0.merge(fresh) { _, new in new } }
        assignments.continuation.yield(fresh)
    }

    /// This worker no longer owns these partitions: it stops acting on them at once, and forgets them.
    func revoke(_ partitions: [Int32]) {
        book.withLock { book in for partition in partitions { book.revoke(partition) } }
        markers.withLock { markers in for partition in partitions { markers[partition] = nil } }
    }

    /// Waits, at most `grace`, until no publish of these partitions is under way (each checked
    /// its ownership before the revoke), so the partitions' next owner reads their tombstones.
    /// False when the grace passed first.
    func quiesce(_ partitions: [Int32], upTo grace: Duration) async -> Bool {
        let deadline = ContinuousClock.now + grace
        while publishing.withLock({ counts in partitions.contains { counts[$0] != nil } }) {
            guard ContinuousClock.now < deadline, !Task.isCancelled else { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    // MARK: Running

    /// Reads the batch-state partitions of each assignment and does what is due, writing
    /// through `writes`, until cancelled.
    func run(writes: Writes) async {
        writer.withLock { $0 = writes }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withDiscardingTaskGroup { readers in
                    for await nonces in self.assignments.stream { readers.addTask { await self.follow(nonces, writes: writes) } }
                }
            }
            group.addTask { await self.work() }
            await group.waitForAll()
        }
    }

    /// Reads the batch-state topic from the beginning into the book for the partitions of one
    /// assignment (`nonces`: partition to the nonce of its marker), and follows it while any of
    /// them is still owned under that assignment.
    private func follow(_ nonces: [Int32: String], writes: Writes) async {
        let channel = FleetChannel(topic: topic, purpose: "batches", settings: settings, logger: logger)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await channel.run(
                    partitions: nonces.keys.sorted(),
                    receive: { messages in
                        let now = Worker.nowMs()
                        self.book.withLock { book in
                            for message in messages {
                                if let nonce = nonces[message.partition] { book.read(message, nowMs: now, nonce: nonce) }
                            }
                        }
                    },
                    // The lane writes through the worker's producer: a reader only.
                    publish: nil,
                    startFailed: { error in writes.fail("the batch lane cannot read \(self.topic): \(error)") })
            }
            group.addTask {
                while !Task.isCancelled, self.book.withLock({ book in nonces.contains { book.owns($0.key, nonce: $0.value) } }) {
                    try? await Task.sleep(for: .milliseconds(250))
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    private func work() async {
        await withDiscardingTaskGroup { tasks in
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.tick)
                if Task.isCancelled { break }
                await writeMarkers()
                let now = Worker.nowMs()
                // The work and the ownerships it was handed out under, at once: what comes back
                // from an earlier ownership changes nothing of a partition read again since.
                var (work, nonces) = book.withLock { book in
                    let work = book.due(
                        nowMs: now, maxRequests: { self.providers[$0.provider]?.batchLimits.maxRequests ?? 1 },
                        maxRecordBytes: self.maxRecordBytes)
                    return (work, book.owned.mapValues(\.nonce))
                }
                let room = maxRealtime - running.load(ordering: .relaxed)
                if work.realtime.count > room {
                    let later = work.realtime.dropFirst(max(0, room))
                    book.withLock { book in for entry in later { book.markIdle(entry.origin) } }
                    work.realtime.removeLast(later.count)
                }
                for entry in work.realtime {
                    running.add(1, ordering: .relaxed)
                    tasks.addTask {
                        await self.runRealtime(entry)
                        self.running.subtract(1, ordering: .relaxed)
                    }
                }
                for flush in work.flushes { tasks.addTask { await self.submit(flush.key, flush.entries) } }
                for batch in work.polls {
                    guard let nonce = nonces[batch.partition] else { continue }
                    tasks.addTask { await self.poll(batch, nonce: nonce) }
                }
                for batch in work.cancels {
                    guard let nonce = nonces[batch.partition] else { continue }
                    tasks.addTask { await self.cancel(batch, nonce: nonce) }
                }
                for batch in work.closes {
                    guard let nonce = nonces[batch.partition] else { continue }
                    tasks.addTask { await self.close(batch, nonce: nonce) }
                }
                for batch in leftoverFiles.withLock({ $0.due(nowMs: now) }) {
                    tasks.addTask { await self.deleteFiles(of: batch) }
                }
                for intent in work.voidIntents {
                    tasks.addTask {
                        let done = await self.writes.write([
                            SubmittedBatch.tombstone(group: intent.group, partition: intent.partition, topic: self.topic)
                        ])
                        self.book.withLock { $0.intentVoided(intent.group, done: done) }
                    }
                }
                await retryTombstones()
                metrics?.batchesOpen(book.withLock { book in book.open.values.count { book.isReady($0.batch.partition) } })
            }
        }
    }

    private func isReady(_ partition: Int32) -> Bool {
        book.withLock { $0.isReady(partition) }
    }

    /// Applies `change` only while `partition` is owned under `nonce`, the ownership the work
    /// was handed out under; `nil` when it is not (the partition left, or was read again since).
    @discardableResult
    private func update<T>(_ partition: Int32, under nonce: String, _ change: (inout BatchBook) throws -> T) rethrows -> T? {
        try book.withLock { book in
            guard book.owns(partition, nonce: nonce) else { return nil }
            return try change(&book)
        }
    }

    private func retryTombstones() async {
        let due = tombstones.withLock { pending in
            defer { pending = [] }
            return pending
        }
        guard !due.isEmpty else { return }
        if await !writes.write(due) { tombstones.withLock { $0 = due + $0 } }
    }

    private func writeMarkers() async {
        let due = markers.withLock { $0 }
        guard !due.isEmpty else { return }
        let records = due.map { partition, nonce in
            KafkaRecord(topic: topic, partition: partition, key: Array((BatchEntry.Key.owner + String(partition)).utf8), value: Array(nonce.utf8))
        }
        guard await writes.write(records) else { return }
        markers.withLock { markers in for (partition, nonce) in due where markers[partition] == nonce { markers[partition] = nil } }
    }

    // MARK: Submitting

    private func submit(_ key: BatchBook.GroupKey, _ entries: [BatchEntry]) async {
        let config = configs[key.workload] ?? BatchConfig(routes: [key.route])
        let now = Worker.nowMs()
        guard let provider = providers[key.route.provider], isReady(key.partition) else {
            book.withLock { $0.flushFailed(key, entries, retryAtMs: now, permanent: providers[key.route.provider] == nil) }
            return
        }
        var requests: [BatchRequest] = []
        var members: [(customID: String, origin: String)] = []
        var taken: [BatchEntry] = []
        var unusable: [BatchEntry] = []
        var usedIDs = Set<String>()
        var bytes = 0
        for entry in entries {
            guard let job = processor.decode(entry.message) else {
                unusable.append(entry)
                continue
            }
            // A request's wire size, roughly: the job's own bytes and an envelope.
            let size = entry.value.count + 512
            if !taken.isEmpty, bytes + size > provider.batchLimits.maxBytes { break }
            let customID = BatchLimits.isValidCustomID(job.id) && !usedIDs.contains(job.id) ? job.id : "u\(members.count)"
            guard usedIDs.insert(customID).inserted else {
                unusable.append(entry)
                continue
            }
            requests.append(BatchRequest(customID: customID, request: job.request))
            members.append((customID, entry.origin))
            taken.append(entry)
            bytes += size
        }
        let handled = Set(taken.map(\.origin)).union(unusable.map(\.origin))
        let rest = entries.filter { !handled.contains($0.origin) }
        if !unusable.isEmpty { book.withLock { $0.flushFailed(key, unusable, retryAtMs: now, permanent: true) } }
        if !rest.isEmpty { book.withLock { $0.flushFailed(key, rest, retryAtMs: now, permanent: false) } }
        guard !requests.isEmpty else { return }
        // The intent first: a successor that finds it with no batch after it runs these jobs
        // realtime rather than risk submitting them twice.
        var submitted = SubmittedBatch(
            group: UUID().uuidString.lowercased(), batchID: nil, workload: key.workload, route: key.route, partition: key.partition,
            submittedAtMs: now, members: members)
        book.withLock { $0.submitting(submitted.group) }
        guard let intent = submitted.record(topic: topic), await writes.write([intent]) else {
            book.withLock { book in
                book.notSubmitted(submitted.group, partition: key.partition)
                book.flushFailed(key, taken, retryAtMs: Worker.nowMs() &+ Int64(config.pollIntervalMs), permanent: false)
            }
            return
        }
        // Revoked while the intent was written: the new owner decides (it reads the intent and
        // runs these jobs realtime); nothing goes to the provider from here.
        guard isReady(key.partition) else {
            book.withLock { book in
                book.notSubmitted(submitted.group, partition: key.partition)
                book.flushFailed(key, taken, retryAtMs: now, permanent: false)
            }
            return
        }
        let accepted: ProviderBatch
        do {
            accepted = try await provider.submitBatch(requests, model: key.route.model, timeout: Self.callTimeout)
        } catch {
            let notCreated = error as? BatchNotCreated
            let failure = notCreated?.failure ?? error as? ProviderFailure
            // An answer with an error status, or a failure before the create went out, means
            // the batch was not taken: a client error for good (the jobs run realtime), anything
            // else for now (retried later). A create with no answer at all (a timeout, a reset),
            // or a success answer that could not be read, leaves it in doubt: the provider may
            // have taken it, so its jobs run realtime rather than risk a second batch.
            let answered = notCreated != nil || failure?.httpStatus.map { !(200..<300).contains($0) } == true
            let permanent = failure?.outcome == .clientError
            logger.warning(
                !answered
                    ? "batch submission ended without an answer; its jobs run realtime"
                    : permanent
                        ? "provider refused a batch; its jobs run realtime"
                        : "batch not submitted; retried later (the wait doubles with each refusal in a row)",
                metadata: [
                    "understudy.workload": "\(key.workload)", "understudy.route": "\(key.route)", "jobs": "\(taken.count)",
                    "error": "\(Self.failureText(error))",
                ])
            guard answered else {
                book.withLock { $0.inDoubt(submitted.group, partition: key.partition, entries: taken) }
                return
            }
            let refusals = refusedSubmissions.withLock { refused in
                refused[key, default: 0] += 1
                return refused[key] ?? 1
            }
            let wait = min(Int64(config.pollIntervalMs) << min(refusals - 1, 4), max(Int64(config.pollIntervalMs), 900_000))
            book.withLock { book in
                book.notSubmitted(submitted.group, partition: key.partition)
                book.flushFailed(key, taken, retryAtMs: Worker.nowMs() &+ wait, permanent: permanent)
            }
            // Unwritten, the intent would make a successor run these jobs realtime while they
            // are in a later batch: retried with the others.
            let tombstone = SubmittedBatch.tombstone(group: submitted.group, partition: key.partition, topic: topic)
            if await !writes.write([tombstone]) { tombstones.withLock { $0.append(tombstone) } }
            return
        }
        refusedSubmissions.withLock { $0[key] = nil }
        submitted.batchID = accepted.id
        submitted.submittedAtMs = Worker.nowMs()
        book.withLock { book in
            book.submittedHere(submitted, nextPollMs: Worker.nowMs() &+ Int64(config.pollIntervalMs))
            book.flushSucceeded(key)
            for entry in taken { book.markIdle(entry.origin) }
        }
        if let record = submitted.record(topic: topic), await writes.write([record]) {
        } else {
            logger.error(
                "batch submitted but its record was not written; a successor runs its jobs realtime",
                metadata: ["understudy.batch_id": "\(accepted.id)"])
        }
        metrics?.batchJob(workload: key.workload, outcome: "submitted", count: members.count)
        event(submitted, .submitted, counts: accepted.counts)
        logger.info(
            "batch submitted",
            metadata: [
                "understudy.batch_id": "\(accepted.id)", "understudy.route": "\(key.route)", "jobs": "\(members.count)",
                KafkaLoggingKeys.partition: "\(key.partition)",
            ])
    }

    // MARK: Polling

    private func poll(_ batch: SubmittedBatch, nonce: String) async {
        let interval = Int64(configs[batch.workload]?.pollIntervalMs ?? 30_000)
        guard let provider = providers[batch.route.provider] else {
            abandon(batch, nonce: nonce, reason: "its provider is no longer configured for batches")
            return
        }
        let state: ProviderBatch
        do {
            state = try await provider.batch(batch.providerID, timeout: Self.callTimeout)
        } catch {
            let failure = error as? ProviderFailure
            if failure?.httpStatus == 404 {
                abandon(batch, nonce: nonce, reason: "the provider no longer knows it")
            } else {
                logger.warning(
                    "batch poll failed; backing off",
                    metadata: ["understudy.batch_id": "\(batch.providerID)", "error": "\(Self.failureText(error))"])
                update(batch.partition, under: nonce) { $0.pollFailed(batch.group, nowMs: Worker.nowMs(), interval: interval) }
            }
            return
        }
        switch state.phase {
        case .inProgress, .canceling:
            let previous = update(batch.partition, under: nonce) { book -> ProviderBatch.Counts? in
                let previous = book.open[batch.group]?.counts
                book.polled(batch.group, counts: state.counts, nextPollMs: Worker.nowMs() &+ interval)
                return previous
            }
            if let previous, previous != state.counts { event(batch, .progress, counts: state.counts) }
        case .failed:
            event(batch, .failed, counts: state.counts)
            abandon(batch, nonce: nonce, reason: state.failureMessage ?? "the provider failed it")
        case .ended:
            await collect(batch, state, provider: provider, interval: interval, nonce: nonce)
        }
    }

    /// The whole batch is lost to us: every job still in it runs realtime.
    private func abandon(_ batch: SubmittedBatch, nonce: String, reason: String) {
        logger.warning("batch failed; its jobs run realtime", metadata: ["understudy.batch_id": "\(batch.providerID)", "reason": "\(reason)"])
        update(batch.partition, under: nonce) { book in
            for member in batch.members { book.leaveBatch(member.origin, group: batch.group) }
            book.ended(batch.group)
        }
    }

    /// Reads an ended batch's results as they stream in and publishes them a delivery at a
    /// time; after a complete read, what the provider did not answer runs realtime. A read cut
    /// short is retried with backoff, and skips what the earlier read took.
    private func collect(
        _ batch: SubmittedBatch, _ state: ProviderBatch, provider: any BatchCompletionProvider, interval: Int64, nonce: String
    ) async {
        guard update(batch.partition, under: nonce, { $0.collecting(batch.group) }) != nil else { return }
        do {
            try await provider.batchResults(of: state, timeout: Self.resultsTimeout) { items in
                try await self.take(items, of: batch, nonce: nonce)
            }
        } catch is StopReading {
            // The partition left this worker (its new owner reads the results again), or every
            // job was served and the batch closed: what is left of the file is of no use here.
            return
        } catch let failure as ProviderFailure where failure.outcome == .invalidOutput {
            // Over the size caps: reading it again would fail again. What it delivered counts;
            // the jobs it did not answer run realtime.
            logger.warning(
                "batch results over their size cap; the jobs they did not answer run realtime",
                metadata: ["understudy.batch_id": "\(batch.providerID)", "error": "\(failure.message)"])
        } catch {
            // Every job was served and the batch closed (its files may be gone): nothing to read.
            guard book.withLock({ $0.open[batch.group] != nil }) else { return }
            logger.warning(
                "batch results not read; retried",
                metadata: ["understudy.batch_id": "\(batch.providerID)", "error": "\(Self.failureText(error))"])
            update(batch.partition, under: nonce) { $0.collectFailed(batch.group, nowMs: Worker.nowMs(), interval: interval) }
            return
        }
        let taken = update(batch.partition, under: nonce) { book in
            for member in book.unreported(of: batch.group) { book.leaveBatch(member.origin, group: batch.group) }
            return book.open[batch.group]?.lateAnswers ?? 0
        }
        guard let late = taken else { return }
        event(batch, .ended, counts: state.counts)
        logger.info(
            "batch ended",
            metadata: [
                "understudy.batch_id": "\(batch.providerID)", "succeeded": "\(state.counts.succeeded)", "errored": "\(state.counts.errored)",
                "expired": "\(state.counts.expired)", "canceled": "\(state.counts.canceled)", "late_duplicates": "\(late)",
            ])
    }

    /// Stops reading a batch's results: its partition left this worker, or the batch closed.
    private struct StopReading: Error {}

    /// Takes one delivery of a batch's results: answers are published (a bounded number, one
    /// delivery, at a time), requests that failed inside the batch run realtime, and answers for
    /// jobs served elsewhere are dropped and counted. Throws ``StopReading`` when the partition
    /// is no longer this worker's or the batch is no longer open.
    private func take(_ items: [BatchItemResult], of batch: SubmittedBatch, nonce: String) async throws {
        var answers: [(BatchEntry, CompletionResponse)] = []
        var errored: [(BatchEntry, ProviderFailure)] = []
        var late = 0
        try book.withLock { book in
            guard book.owns(batch.partition, nonce: nonce), book.isReady(batch.partition), book.open[batch.group] != nil else {
                throw StopReading()
            }
            for item in items {
                guard book.see(item.customID, of: batch.group), let member = book.member(item.customID, of: batch.group) else { continue }
                guard member.unserved, let entry = book.entries[member.origin] else {
                    if case .succeeded = item.outcome { late += 1 }
                    continue
                }
                switch item.outcome {
                case .succeeded(let response):
                    if book.markBusy(member.origin) { answers.append((entry, response)) } else { late += 1 }
                case .errored(let failure):
                    book.leaveBatch(member.origin, group: batch.group)
                    errored.append((entry, failure))
                case .canceled, .expired:
                    book.leaveBatch(member.origin, group: batch.group)
                }
            }
            book.countLate(late, of: batch.group)
        }
        if late > 0 {
            lateDuplicates.add(late, ordering: .relaxed)
            metrics?.batchJob(workload: batch.workload, outcome: "late_duplicate", count: late)
        }
        for (entry, failure) in errored { failedInside(batch, entry: entry, failure: failure) }
        await withDiscardingTaskGroup { group in
            for (entry, response) in answers { group.addTask { await self.publishAnswer(entry, response, batch: batch) } }
        }
    }

    /// A failure's message for a log line: a ``ProviderFailure``'s own (already scrubbed of
    /// secrets), otherwise only the error's type.
    private static func failureText(_ error: any Error) -> String {
        ((error as? BatchNotCreated)?.failure ?? error as? ProviderFailure)?.message ?? "\(type(of: error))"
    }

    /// Publishes one batch answer as the job's result, unless its output fails the job's shape
    /// check (then the job runs realtime, as a realtime answer of that shape would fail over).
    private func publishAnswer(_ entry: BatchEntry, _ response: CompletionResponse, batch: SubmittedBatch) async {
        let message = entry.message
        guard let job = processor.decode(message) else {
            book.withLock { $0.leaveBatch(entry.origin, group: batch.group) }
            book.withLock { $0.markIdle(entry.origin) }
            return
        }
        if let problem = OutputValidator.violation(in: response.text, format: job.request.responseFormat) {
            logger.info("batch answer fails the job's output check; the job runs realtime", metadata: ["problem": "\(problem)"])
            book.withLock { book in
                book.leaveBatch(entry.origin, group: batch.group)
                book.markIdle(entry.origin)
            }
            return
        }
        let now = Worker.nowMs()
        let cost = prices.batchCost(of: response.usage, model: batch.route.model)
        let savings =
            response.usage.cacheReadTokens > 0 || response.usage.cacheWriteTokens > 0
            ? prices.cacheSavings(of: response.usage, model: batch.route.model)
                * (prices.price(for: batch.route.model)?.batchShare ?? PriceTable.defaultBatchShare)
            : nil
        let publication = processor.batchAnswered(
            message, job: job, response: response, route: batch.route, costUSD: cost, cacheSavingsUSD: savings,
            latencyMs: Int(clamping: now &- batch.submittedAtMs), queueMs: Int(clamping: batch.submittedAtMs &- entry.enqueuedMs))
        await finish(entry, publication, outcome: "served_batch", group: batch.group)
    }

    /// One request failed inside the batch: an attempt event (mode `batch`) says so; the job runs realtime.
    private func failedInside(_ batch: SubmittedBatch, entry: BatchEntry, failure: ProviderFailure) {
        let job = processor.decode(entry.message)
        var attempt = TelemetryEvent.Attempt(
            jobID: job?.id ?? entry.origin, workload: batch.workload, attempt: 1,
            routeIndex: job?.routes.firstIndex(of: batch.route) ?? 0, route: batch.route, outcome: failure.outcome,
            httpStatus: failure.httpStatus, latencyMs: Int(clamping: max(0, Worker.nowMs() &- batch.submittedAtMs)), decision: .failOver,
            at: Date(), providerType: providers[batch.route.provider]?.kind, providerErrorType: failure.providerErrorType,
            errorMessage: failure.message)
        attempt.mode = .batch
        _ = backlog.enqueue(.attempt(attempt))
    }

    // MARK: Realtime

    /// Runs a job realtime through the engine within what is left of its deadline, and publishes it.
    private func runRealtime(_ entry: BatchEntry) async {
        let message = entry.message
        var job = processor.decode(message)
        if var decoded = job {
            let left = max(1, entry.deadlineMs &- Worker.nowMs())
            decoded.policy.deadline = min(decoded.policy.deadline, .milliseconds(left))
            job = decoded
        }
        guard let publication = await processor.process(message, decoded: job) else {
            book.withLock { $0.markIdle(entry.origin) }
            return
        }
        await finish(entry, publication, outcome: "served_realtime", group: nil)
    }

    /// Publishes a job's publication with its tombstone, and marks it served.
    private func finish(_ entry: BatchEntry, _ publication: Publication, outcome: String, group: String?) async {
        let partition = entry.partition
        let owned = book.withLock { book -> Bool in
            // Revoked meanwhile: the new owner serves it. Served meanwhile (by another owner
            // while the partition was away, its tombstone read since): nothing to publish.
            guard book.isReady(partition), book.entries[entry.origin] != nil else {
                book.markIdle(entry.origin)
                return false
            }
            // Under the book's lock: a revoke that comes next waits for this publish.
            publishing.withLock { $0[partition, default: 0] += 1 }
            return true
        }
        guard owned else { return }
        defer {
            publishing.withLock { counts in
                let left = counts[partition, default: 1] - 1
                counts[partition] = left > 0 ? left : nil
            }
        }
        let published = await writes.publish(publication, [entry.tombstone(topic: topic)])
        if published != .nothing {
            book.withLock { $0.served(entry.origin) }
            // Nothing was reserved for a batch job (it passed the gate on entry); its spend counts now.
            if let budget, case .job(let result, _, _, _) = publication {
                budget.count(entry.workload, spentUSD: result.costUSD, atMs: Worker.nowMs())
            }
            metrics?.batchJob(workload: entry.workload, outcome: outcome)
            // Published but not yet recorded as served: the tombstone is retried, never the job.
            if published == .resultOnly { tombstones.withLock { $0.append(entry.tombstone(topic: topic)) } }
        } else {
            book.withLock { book in
                if let group { book.leaveBatch(entry.origin, group: group) }
                book.markIdle(entry.origin)
            }
        }
    }

    // MARK: Closing

    private func cancel(_ batch: SubmittedBatch, nonce: String) async {
        if let provider = providers[batch.route.provider] {
            do {
                let state = try await provider.cancelBatch(batch.providerID, timeout: Self.callTimeout)
                event(batch, .cancelled, counts: state.counts)
                logger.info("batch cancelled: every job in it was served realtime", metadata: ["understudy.batch_id": "\(batch.providerID)"])
            } catch {
                logger.warning(
                    "batch cancel failed; it runs to its end unread",
                    metadata: [
                        "understudy.batch_id": "\(batch.providerID)", "error": "\(Self.failureText(error))",
                    ])
            }
        }
        update(batch.partition, under: nonce) { $0.ended(batch.group) }
    }

    private func close(_ batch: SubmittedBatch, nonce: String) async {
        guard book.withLock({ $0.owns(batch.partition, nonce: nonce) && $0.isReady(batch.partition) }) else { return }
        if await writes.write([SubmittedBatch.tombstone(group: batch.group, partition: batch.partition, topic: topic)]) {
            update(batch.partition, under: nonce) { $0.closedLocally(batch.group) }
            let kept = leftoverFiles.withLock {
                $0.closed(
                    ClosedBatchFiles.Batch(provider: batch.route.provider, batchID: batch.providerID), nowMs: Worker.nowMs(),
                    firstRetryMs: Int64(configs[batch.workload]?.pollIntervalMs ?? 30_000))
            }
            if !kept {
                logger.warning(
                    "too many closed batches wait for their files to be deleted; this one's stay at the provider",
                    metadata: ["understudy.batch_id": "\(batch.providerID)"])
            }
        } else {
            update(batch.partition, under: nonce) { $0.closeFailed(batch.group) }
        }
    }

    /// Deletes a closed batch's files at its provider (OpenAI's and Azure OpenAI's input,
    /// output and error files): nothing reads them after the tombstone. A batch still running
    /// or cancelling (its files may still come), or a failed delete, is tried again later (see
    /// ``ClosedBatchFiles``).
    private func deleteFiles(of batch: ClosedBatchFiles.Batch) async {
        guard let provider = providers[batch.provider] else {
            leftoverFiles.withLock { $0.deleted(batch) }
            return
        }
        do {
            if let deleted = try await provider.discardFiles(of: batch.batchID, timeout: Self.callTimeout) {
                leftoverFiles.withLock { $0.deleted(batch) }
                if deleted > 0 {
                    logger.debug("batch files deleted", metadata: ["understudy.batch_id": "\(batch.batchID)", "files": "\(deleted)"])
                }
                return
            }
        } catch {
            logger.warning(
                "batch files not deleted; tried again later",
                metadata: ["understudy.batch_id": "\(batch.batchID)", "error": "\(Self.failureText(error))"])
        }
        if !leftoverFiles.withLock({ $0.missed(batch, nowMs: Worker.nowMs()) }) {
            logger.warning(
                "batch files not deleted after a day of trying; they stay at the provider until deleted by hand",
                metadata: ["understudy.batch_id": "\(batch.batchID)"])
        }
    }

    private func event(_ batch: SubmittedBatch, _ state: TelemetryEvent.Batch.State, counts: ProviderBatch.Counts) {
        _ = backlog.enqueue(
            .batch(
                TelemetryEvent.Batch(
                    batchID: batch.providerID, workload: batch.workload, route: batch.route, state: state, requests: batch.members.count,
                    counts: counts, worker: worker, at: Date())))
    }
}
