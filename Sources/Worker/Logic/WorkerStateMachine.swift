import Kafka

/// The worker's bookkeeping as a value, with no I/O: which partitions it owns and under which
/// assignment generation, which offsets are in flight and which finished, what an exactly-once
/// worker holds for its next transaction, how many jobs run, who waits for what, and whether it
/// is stopping.
///
/// The ``Worker`` feeds it events (a message fetched, a job finished, a commit tick, partitions
/// assigned, revoked or lost, a transaction committed or failed, a fatal error, shutdown, grace
/// expiry) and performs the actions it returns (start a job, wait for a slot, store and commit
/// offsets, run a transaction, wake a waiter, stop fetching, cancel the jobs, exit). Because it
/// only decides, every path through rebalances, transactions and shutdown is tested event by
/// event (`WorkerStateMachineTests`), with no broker and no clock.
///
/// Guarantees it keeps, whatever the order of events:
/// - An offset is handed out for commit only when it and every offset registered below it in
///   the same assignment finished: a commit never passes an unfinished job.
/// - Work from an earlier assignment (a message fetched, or a job finished, before its
///   partition was revoked and assigned again) never touches the current assignment's progress.
/// - At most `maxInFlight` jobs run; with exactly-once delivery, no new job starts while more
///   than `maxHeldBytes` of results wait for a transaction.
/// - A transaction never carries a partition that was revoked after its records were held.
struct WorkerStateMachine: Sendable {
    struct Configuration: Sendable {
        var maxInFlight: Int
        var exactlyOnce: Bool
        /// Exactly-once: the most result and telemetry bytes held for uncommitted transactions.
        var maxHeldBytes: Int
        /// Exactly-once: the most record bytes one transaction carries (one that grows without
        /// bound would outlive `transaction.timeout.ms`, abort, and be retried forever).
        var maxTransactionBytes: Int
    }

    /// Records a finished job holds until a transaction covers its offset (exactly-once).
    struct Held: Sendable, Equatable {
        var records: [KafkaRecord]
        var bytes: Int

        init(records: [KafkaRecord]) {
            self.records = records
            self.bytes = records.reduce(0) { $0 + $1.byteCount }
        }
    }

    /// A started job: where its offset lives, under which assignment (the generation its
    /// partition was assigned at).
    struct Ticket: Sendable, Hashable {
        var partition: KafkaTopicPartition
        var offset: Int64
        var generation: UInt64
    }

    /// What to do with a fetched message.
    enum Admission: Sendable, Equatable {
        /// Run the job now; report its end with ``jobFinished(_:held:)`` or ``jobAbandoned(_:)``.
        case start(Ticket)
        /// No slot: wait for ``Action/resumeConsumer``, then offer the same message again.
        case wait
        /// Not ours to run (a stale assignment, a revoking partition, a duplicate, stopping).
        case drop
    }

    /// Work for the driver after an event.
    enum Action: Sendable, Equatable {
        /// The consume loop waits for a slot: go on.
        case resumeConsumer
        /// These waiters' conditions hold (or can no longer hold): wake them.
        case wake([WaiterID])
        /// Stop fetching and handing out messages.
        case stopDelivery
        /// Cancel every running job (it is not finished: it will run again).
        case cancelJobs
    }

    /// The commit the driver performs at a tick, a revoke or shutdown.
    enum Commit: Sendable, Equatable {
        /// At-least-once: store these offsets and commit them.
        case offsets([KafkaPartitionOffset])
        /// Exactly-once: one transaction with these records and offsets.
        case transaction(Transaction)
    }

    /// One exactly-once transaction, built from what finished jobs held.
    struct Transaction: Sendable, Equatable {
        var records: [KafkaRecord]
        var offsets: [KafkaPartitionOffset]
        var bytes: Int
        /// Which held batches it carries (per partition: its generation and how many of its
        /// pending batches), to release them when it commits.
        fileprivate var parts: [KafkaTopicPartition: (generation: UInt64, count: Int)]
        /// How many of the pending unattached telemetry records (breaker changes, shadow events) it
        /// carries (they come first).
        fileprivate var unattachedCount: Int

        static func == (lhs: Transaction, rhs: Transaction) -> Bool {
            lhs.records == rhs.records && lhs.offsets == rhs.offsets && lhs.bytes == rhs.bytes
        }
    }

    /// Identifies one waiter (a revoke waiting for its partitions' jobs, a drain at shutdown).
    typealias WaiterID = Int

    /// What a waiter waits for.
    enum Condition: Sendable, Equatable {
        /// No job of these partitions (of their current assignment) is running. A job abandoned
        /// at shutdown is not running, though its offset stays unfinished.
        case partitionsIdle(Set<KafkaTopicPartition>)
        /// No job is running at all.
        case allIdle
    }

    enum Phase: Sendable, Equatable {
        case running
        /// Shutdown: no new job starts; running ones finish within the grace period.
        case stopping
        /// A fatal error: stop at once, commit nothing more.
        case failed(String)
    }

    private struct Partition: Sendable {
        var generation: UInt64
        var tracker = OffsetTracker<Held>()
        var revoking = false
        /// Jobs of this assignment running now (abandoned ones are unfinished but not running).
        var running = 0
        /// Exactly-once: batches popped from the tracker, in offset order, waiting for a
        /// transaction; each with the offset to commit after it.
        var pending: [(held: Held, commit: Int64)] = []
    }

    let configuration: Configuration
    private var partitions: [KafkaTopicPartition: Partition] = [:]
    private(set) var phase = Phase.running
    /// Jobs running now (of every assignment, current or not).
    private(set) var inFlight = 0
    /// Exactly-once: bytes held by finished jobs and pending batches.
    private(set) var heldBytes = 0
    private var consumerWaiting = false
    private var waiters: [WaiterID: Condition] = [:]
    private var nextWaiter = 0
    /// Exactly-once: a transaction is being performed (one at a time).
    private(set) var transactionOpen = false
    /// Circuit telemetry waiting for the next transaction (exactly-once).
    private var pendingUnattached: [KafkaRecord] = []

    /// Unattached telemetry records (breaker changes, shadow events) waiting for a transaction.
    var unattachedWaiting: Int { pendingUnattached.count }

    init(configuration: Configuration) {
        self.configuration = configuration
    }

    // MARK: Assignment

    /// The consumer assigned `partitions` at rebalance `generation` (which grows with every
    /// rebalance event, ``KafkaRebalanceListener``).
    /// A partition assigned again replaces whatever the worker still knew of it.
    mutating func assigned(_ assigned: [KafkaTopicPartition], generation: UInt64) -> [Action] {
        for partition in assigned {
            if let old = partitions[partition] { releaseHeld(old) }
            partitions[partition] = Partition(generation: generation)
        }
        return wakeWaiters()
    }

    /// The generation `partition` is owned under, if it is owned.
    func generation(of partition: KafkaTopicPartition) -> UInt64? {
        partitions[partition]?.generation
    }

    /// The consumer is about to take `revoked` away: no new job of theirs starts. Returns the
    /// generations being revoked, to pass to ``revoked(_:)`` once done. `lost`: the group already
    /// gave them away, so nothing of theirs can be committed; they are dropped at once.
    mutating func revoking(_ revoked: [KafkaTopicPartition], lost: Bool) -> (generations: [KafkaTopicPartition: UInt64], actions: [Action]) {
        var generations: [KafkaTopicPartition: UInt64] = [:]
        for partition in revoked {
            guard let generation = partitions[partition]?.generation else { continue }
            partitions[partition]?.revoking = true
            generations[partition] = generation
        }
        if lost { return (generations, revokedNow(generations)) }
        return (generations, [])
    }

    /// The revoke is done (its jobs finished or its grace passed, its offsets committed): forget
    /// the partitions, unless they were assigned again meanwhile (a late revoke handler).
    mutating func revoked(_ generations: [KafkaTopicPartition: UInt64]) -> [Action] {
        revokedNow(generations)
    }

    private mutating func revokedNow(_ generations: [KafkaTopicPartition: UInt64]) -> [Action] {
        for (partition, generation) in generations {
            guard let current = partitions[partition], current.generation == generation else { continue }
            releaseHeld(current)
            partitions[partition] = nil
        }
        return wakeWaiters()
    }

    private mutating func releaseHeld(_ partition: Partition) {
        guard configuration.exactlyOnce else { return }
        heldBytes -= partition.tracker.payloadWeight + partition.pending.reduce(0) { $0 + $1.held.bytes }
    }

    // MARK: Jobs

    /// A message of `partition` at `offset`, fetched when the consumer's rebalance generation was
    /// `generation` (``KafkaMessage/generation``).
    mutating func fetched(_ partition: KafkaTopicPartition, offset: Int64, generation: UInt64) -> Admission {
        guard phase == .running else { return .drop }
        // Current only if its partition was assigned at or before the message was fetched: a
        // message fetched under an earlier assignment has a lower generation than the current one.
        // Only scalars are read out: a copy of the partition held across the `register` below
        // would make its tracker's storage shared, and copy it whole for every message.
        guard let assignedAt = partitions[partition]?.generation, assignedAt <= generation,
            partitions[partition]?.revoking == false
        else { return .drop }
        if inFlight >= configuration.maxInFlight || (configuration.exactlyOnce && heldBytes >= configuration.maxHeldBytes) {
            consumerWaiting = true
            return .wait
        }
        guard partitions[partition]?.tracker.register(offset) == true else { return .drop }
        partitions[partition]?.running += 1
        inFlight += 1
        return .start(Ticket(partition: partition, offset: offset, generation: assignedAt))
    }

    /// The job of `ticket` finished and published (at-least-once) or built the records it holds
    /// for a transaction (exactly-once, `held`).
    mutating func jobFinished(_ ticket: Ticket, held: Held? = nil) -> [Action] {
        inFlight -= 1
        if partitions[ticket.partition]?.generation == ticket.generation { partitions[ticket.partition]?.running -= 1 }
        if partitions[ticket.partition]?.generation == ticket.generation,
            partitions[ticket.partition]?.tracker.finish(ticket.offset, payload: held, weight: held?.bytes ?? 0) == true,
            configuration.exactlyOnce
        {
            heldBytes += held?.bytes ?? 0
        }
        return afterJob()
    }

    /// The job of `ticket` ended without finishing (cancelled at shutdown or after a revoke's
    /// grace): its offset stays unfinished, so it is never committed and runs again elsewhere.
    mutating func jobAbandoned(_ ticket: Ticket) -> [Action] {
        inFlight -= 1
        if partitions[ticket.partition]?.generation == ticket.generation { partitions[ticket.partition]?.running -= 1 }
        return afterJob()
    }

    private mutating func afterJob() -> [Action] {
        var actions = wakeWaiters()
        if consumerWaiting && hasRoom {
            consumerWaiting = false
            actions.append(.resumeConsumer)
        }
        return actions
    }

    private var hasRoom: Bool {
        inFlight < configuration.maxInFlight && !(configuration.exactlyOnce && heldBytes >= configuration.maxHeldBytes)
    }

    // MARK: Waiting

    /// Registers a waiter for `condition`; `nil` when it already holds (do not wait).
    mutating func wait(for condition: Condition) -> WaiterID? {
        if holds(condition) { return nil }
        nextWaiter += 1
        waiters[nextWaiter] = condition
        return nextWaiter
    }

    /// The waiter gave up (its timeout passed). Returns whether it was still waiting.
    mutating func cancelWait(_ waiter: WaiterID) -> Bool {
        waiters.removeValue(forKey: waiter) != nil
    }

    /// Whether `waiter` still waits.
    func isWaiting(_ waiter: WaiterID) -> Bool { waiters[waiter] != nil }

    /// Whether `condition` holds now.
    func holds(_ condition: Condition) -> Bool {
        switch condition {
        case .allIdle:
            return inFlight == 0
        case .partitionsIdle(let set):
            return set.allSatisfy { (partitions[$0]?.running ?? 0) == 0 }
        }
    }

    private mutating func wakeWaiters() -> [Action] {
        guard !waiters.isEmpty else { return [] }
        let ready = waiters.filter { holds($0.value) }.map(\.key).sorted()
        guard !ready.isEmpty else { return [] }
        for waiter in ready { waiters[waiter] = nil }
        return [.wake(ready)]
    }

    // MARK: Committing

    /// What to commit now: for every owned partition (or only `only`), the offsets below which
    /// every job finished. `nil` when there is nothing to do (or a transaction is open).
    mutating func commit(only: Set<KafkaTopicPartition>? = nil, unattached: [KafkaRecord] = []) -> Commit? {
        if case .failed = phase { return nil }
        guard configuration.exactlyOnce else {
            var offsets: [KafkaPartitionOffset] = []
            for key in Array(partitions.keys) where only?.contains(key) ?? true {
                if let commit = partitions[key]?.tracker.popFinished().commit {
                    offsets.append(KafkaPartitionOffset(topic: key.topic, partition: key.partition, offset: commit))
                }
            }
            offsets.sort { Self.precedes($0.topicPartition, $1.topicPartition) }
            return offsets.isEmpty ? nil : .offsets(offsets)
        }
        pendingUnattached += unattached
        guard !transactionOpen else { return nil }
        for key in Array(partitions.keys) where only?.contains(key) ?? true {
            while let popped = partitions[key]?.tracker.popFirstFinished() {
                partitions[key]?.pending.append((popped.payload ?? Held(records: []), popped.offset + 1))
            }
        }
        var transaction = Transaction(
            records: pendingUnattached, offsets: [], bytes: pendingUnattached.reduce(0) { $0 + $1.byteCount }, parts: [:],
            unattachedCount: pendingUnattached.count
        )
        let keys = partitions.keys.sorted(by: Self.precedes)
        for key in keys where only?.contains(key) ?? true {
            guard let owned = partitions[key], !owned.pending.isEmpty else { continue }
            let pending = owned.pending
            var taken = 0
            for batch in pending {
                // Always take one batch, so a single large one still goes out alone.
                if taken > 0 || !transaction.offsets.isEmpty, transaction.bytes + batch.held.bytes > configuration.maxTransactionBytes { break }
                transaction.records += batch.held.records
                transaction.bytes += batch.held.bytes
                taken += 1
            }
            guard taken > 0 else { break }
            transaction.parts[key] = (owned.generation, taken)
            transaction.offsets.append(KafkaPartitionOffset(topic: key.topic, partition: key.partition, offset: pending[taken - 1].commit))
            if transaction.bytes >= configuration.maxTransactionBytes { break }
        }
        guard !transaction.records.isEmpty || !transaction.offsets.isEmpty else { return nil }
        transactionOpen = true
        return .transaction(transaction)
    }

    /// Topic, then partition order: commits and transactions list partitions in a stable order.
    static func precedes(_ a: KafkaTopicPartition, _ b: KafkaTopicPartition) -> Bool {
        a.topic == b.topic ? a.partition < b.partition : a.topic < b.topic
    }

    /// The transaction committed: its batches are done, their bytes free.
    mutating func transactionCommitted(_ transaction: Transaction) -> [Action] {
        transactionOpen = false
        pendingUnattached.removeFirst(min(pendingUnattached.count, transaction.unattachedCount))
        for (key, part) in transaction.parts {
            // A partition revoked (and perhaps assigned again) meanwhile released its batches then.
            guard partitions[key]?.generation == part.generation else { continue }
            // Measured in a scope of its own, so the removal below finds the storage unshared.
            let (count, bytes) =
                partitions[key].map { owned in
                    let done = owned.pending.prefix(part.count)
                    return (done.count, done.reduce(0) { $0 + $1.held.bytes })
                } ?? (0, 0)
            heldBytes -= bytes
            partitions[key]?.pending.removeFirst(count)
        }
        return afterJobRoomChange()
    }

    /// The transaction was aborted: what it carried stays pending for the next one, except the
    /// partitions revoked meanwhile (they were dropped with their revoke).
    mutating func transactionAborted() {
        transactionOpen = false
    }

    private mutating func afterJobRoomChange() -> [Action] {
        if consumerWaiting && hasRoom {
            consumerWaiting = false
            return [.resumeConsumer]
        }
        return []
    }

    // MARK: Stopping

    /// Graceful shutdown: no job starts any more; running ones may finish within the grace.
    mutating func shutdownRequested() -> [Action] {
        guard phase == .running else { return [] }
        phase = .stopping
        var actions: [Action] = [.stopDelivery]
        if consumerWaiting {
            consumerWaiting = false
            actions.append(.resumeConsumer)
        }
        return actions
    }

    /// The shutdown grace passed: cancel what still runs (it is not committed and runs again).
    mutating func graceExpired() -> [Action] {
        inFlight > 0 ? [.cancelJobs] : []
    }

    /// A fatal Kafka error: stop fetching, cancel every job, wake every waiter, commit nothing.
    mutating func fatal(_ description: String) -> [Action] {
        if case .failed = phase { return [] }
        phase = .failed(description)
        var actions: [Action] = [.stopDelivery, .cancelJobs]
        if consumerWaiting {
            consumerWaiting = false
            actions.append(.resumeConsumer)
        }
        if !waiters.isEmpty {
            actions.append(.wake(waiters.keys.sorted()))
            waiters = [:]
        }
        return actions
    }
}

extension KafkaRecord {
    /// The bytes this record takes in a produce request, near enough: key, value and headers.
    var byteCount: Int {
        (value?.count ?? 0) + (key?.count ?? 0) + headers.reduce(0) { $0 + $1.name.utf8.count + ($1.value?.count ?? 0) }
    }
}
