import CLibrdkafka
import Dispatch
import Foundation
import Logging
import Synchronization

/// A consumer-group member that hands messages to Swift and commits only what the caller says
/// was processed.
///
/// Guarantees:
/// - `enable.auto.commit` and `enable.auto.offset.store` are off: an offset is committed only
///   after the caller stored it with ``store(_:)`` (or ``store(topic:partition:offset:)``), so a
///   message that was not processed is read again after a restart or a rebalance.
/// - Rebalances go through the consumer's own rebalance callback, which asks the
///   ``KafkaRebalanceListener`` to finish or drop in-flight work, commits stored offsets
///   (bounded by ``KafkaConsumerConfiguration/revokeTimeout``), and only then gives the
///   partitions up (eager or `cooperative-sticky`).
/// - Every rebalance event has a *generation*, one more than the last, and every message carries
///   the generation in force when it was fetched (``KafkaMessage/generation``): a message is
///   current while its partition's latest event is an assignment whose generation is not above
///   the message's (``isCurrent(_:)``). Rebalance events are applied between two fetches, never
///   in the middle of one, so the tag is exact.
/// - Fetched messages wait in a bounded buffer; when it is full the consumer pauses its
///   partitions and keeps polling, so it never drops out of its group for not polling. Every
///   assignment starts fetching (or paused, if the buffer is full): a pause never outlives the
///   assignment it was made for.
/// - All librdkafka polling runs on a dedicated thread, never on Swift's cooperative pool.
/// - ``close(timeout:)`` returns within its timeout even with every broker down.
package final class KafkaConsumer: Sendable {
    private struct State {
        /// Assigned partitions, each with the generation of the event that assigned it.
        var assigned: [KafkaTopicPartition: UInt64] = [:]
        var userPaused: Set<KafkaTopicPartition> = []
        /// Partitions this consumer paused in librdkafka and has not resumed since. librdkafka
        /// keeps an application pause on a partition across unassign and assign, so a partition
        /// assigned again is resumed explicitly when it is in here.
        var pausedInLibrdkafka: Set<KafkaTopicPartition> = []
        var backpressured = false
        var deliveryStopped = false
        /// When the current ``close(timeout:)`` must be done.
        var closeDeadline: ContinuousClock.Instant?
    }

    let client: RDKafkaClient
    package let configuration: KafkaConsumerConfiguration
    private let buffer: KafkaMessageBuffer
    private let state = Mutex(State())
    private let generationCounter = Atomic<UInt64>(0)
    private let listener: (any KafkaRebalanceListener)?
    private let logger: Logger
    private let queue: SendablePointer
    /// False once teardown destroyed ``queue``; held while a reader wakes the poll thread.
    private let queueAlive: QueueLifetime
    private let pollThread: Mutex<RDKafkaPollThread?> = Mutex(nil)

    /// Messages as they are fetched. Iterate from one task at a time.
    package var messages: KafkaMessageSequence { KafkaMessageSequence(buffer: buffer) }

    /// Creates the consumer (librdkafka checks every property here) and subscribes to `topics`
    /// (``init(configuration:reading:listener:logger:statistics:onFatalError:)`` with
    /// ``KafkaConsumerSource/topics(_:)``).
    package convenience init(
        configuration: KafkaConsumerConfiguration,
        topics: [String],
        listener: (any KafkaRebalanceListener)? = nil,
        logger: Logger,
        statistics: (@Sendable (KafkaStatistics) -> Void)? = nil,
        onFatalError: (@Sendable (KafkaError) -> Void)? = nil
    ) throws(KafkaError) {
        try self.init(
            configuration: configuration, reading: .topics(topics), listener: listener, logger: logger, statistics: statistics,
            onFatalError: onFatalError)
    }

    /// Creates the consumer (librdkafka checks every property here) and subscribes to the
    /// topics of `source`, or assigns itself its partitions (then `listener` hears nothing: no
    /// rebalance ever happens).
    ///
    /// `onFatalError` is called at most once, from any thread (often the poll thread: return
    /// quickly, never close the consumer inside it), when librdkafka raises a fatal error on this
    /// consumer, for example when a newer member with the same `group.instance.id` fenced it
    /// (`FENCED_INSTANCE_ID`). The error names the real cause and has ``KafkaError/isFatal``
    /// set, as does every error a call returns afterwards. The consumer is then unusable: stop
    /// processing, close it and exit (or make a new one).
    package init(
        configuration: KafkaConsumerConfiguration,
        reading source: KafkaConsumerSource,
        listener: (any KafkaRebalanceListener)? = nil,
        logger: Logger,
        statistics: (@Sendable (KafkaStatistics) -> Void)? = nil,
        onFatalError: (@Sendable (KafkaError) -> Void)? = nil
    ) throws(KafkaError) {
        try configuration.common.validate()
        self.configuration = configuration
        self.listener = listener
        self.logger = logger
        self.buffer = KafkaMessageBuffer(capacity: configuration.bufferCapacity)
        let inbox = RebalanceInbox()
        let client = try RDKafkaClient.make(
            kind: .consumer, pairs: configuration.pairs(), logger: logger, rebalance: true, onFatalError: onFatalError
        ) { context in
            // Served inside librdkafka's poll calls on the poll thread: only noted here, and
            // applied by the poll loop once the call returned (see `RebalanceInbox`).
            context.onRebalance = { err, partitions in inbox.post(err, partitions) }
            context.onStatistics = statistics
        }
        client.bootstrapDescription = configuration.common.bootstrapServers
        let queue = try client.withHandle { handle throws(KafkaError) -> SendablePointer in
            rd_kafka_poll_set_consumer(handle)
            guard let queue = rd_kafka_queue_get_consumer(handle) else {
                throw KafkaError(code: .state, message: "consumer queue missing")
            }
            switch source {
            case .topics(let topics):
                let list = TopicPartitionList(capacity: topics.count)
                for topic in topics { list.add(KafkaTopicPartition(topic: topic, partition: RD_KAFKA_PARTITION_UA), offset: 0) }
                let err = rd_kafka_subscribe(handle, list.pointer)
                guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                    rd_kafka_queue_destroy(queue)
                    throw KafkaError(err, context: "subscribe to \(topics.joined(separator: ","))")
                }
            case .partitionsFromBeginning(let partitions):
                let list = TopicPartitionList(capacity: partitions.count)
                for partition in partitions { list.add(partition, offset: Int64(RD_KAFKA_OFFSET_BEGINNING)) }
                let err = rd_kafka_assign(handle, list.pointer)
                guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                    rd_kafka_queue_destroy(queue)
                    throw KafkaError(err, context: "assign \(partitions.count) partitions")
                }
            }
            return SendablePointer(queue)
        }
        guard let queue else { throw KafkaError(code: .state, message: "consumer handle missing") }
        self.queue = queue
        self.client = client
        let queueAlive = QueueLifetime()
        self.queueAlive = queueAlive
        if case .partitionsFromBeginning(let partitions) = source {
            // Its own assignment, under the first generation: every message fetched is current.
            let generation = generationCounter.add(1, ordering: .acquiringAndReleasing).newValue
            state.withLock { state in for partition in partitions { state.assigned[partition] = generation } }
        }

        // The thread holds what its teardown needs (client, queue, buffer), so the handle is
        // closed and destroyed on it, after its last poll, even when the consumer was dropped
        // without close().
        let buffer = self.buffer
        let fetcher = Fetcher(queue: queue, client: client, batchSize: Self.fetchBatchSize)
        let thread = RDKafkaPollThread(name: "understudy.kafka.consumer") { [weak self] in
            guard let self else { return false }
            let room = self.waitForRoom()
            let generation = self.generationCounter.load(ordering: .acquiring)
            var batch = fetcher.fetch(max: room, timeoutMs: 100, generation: generation, logger: logger)
            let events = inbox.take()
            if !events.isEmpty {
                // Fetched before the events were applied: under the generation read above.
                let revoked = Set(events.filter { $0.err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS }.flatMap { $0.partitions.map(\.0) })
                if !revoked.isEmpty { batch.removeAll { revoked.contains($0.topicPartition) } }
            }
            buffer.append(batch)
            for event in events { self.rebalance(event) }
            return true
        } teardown: { [weak self] in
            if let self {
                self.teardown(fetcher: fetcher, inbox: inbox)
            } else {
                KafkaConsumer.abandon(client: client, queue: queue, queueAlive: queueAlive, inbox: inbox, fetcher: fetcher, logger: logger)
            }
            buffer.finish()
            client.destroy()
        }
        pollThread.withLock { $0 = thread }
        // Resume as soon as the reader drains the buffer, and wake the poll thread from its wait
        // on the (paused, so empty) queue: otherwise each pause costs up to a whole poll timeout.
        buffer.setDrainHandler { [weak self] in
            guard let self else { return }
            self.applyBackpressure()
            self.queueAlive.alive.withLock { alive in if alive { rd_kafka_queue_yield(self.queue.pointer) } }
        }
    }

    /// The partitions currently assigned to this member.
    package var assignment: Set<KafkaTopicPartition> { state.withLock { Set($0.assigned.keys) } }

    /// The generation of the latest rebalance event (0 before the first assignment).
    package var generation: UInt64 { generationCounter.load(ordering: .acquiring) }

    /// True when `message`'s partition is assigned to this member under the assignment it was
    /// fetched under (no revoke or newer assignment of its partition came since).
    package func isCurrent(_ message: KafkaMessage) -> Bool {
        state.withLock { state in
            guard let assignedAt = state.assigned[message.topicPartition] else { return false }
            return assignedAt <= message.generation
        }
    }

    // MARK: Offsets

    /// Stores processed offsets (`offset` = the next message to read) for the next commit.
    /// Returns the partitions whose store was refused because this member no longer owns them
    /// (librdkafka's `_STATE`): expected after a rebalance, not an error.
    @discardableResult
    package func store(_ offsets: [KafkaPartitionOffset]) throws(KafkaError) -> [KafkaTopicPartition] {
        guard !offsets.isEmpty else { return [] }
        if let fatal = client.raisedFatalError() { throw client.checked(fatal) }
        let list = TopicPartitionList(offsets)
        let result = client.withHandle { handle -> Result<[KafkaTopicPartition], KafkaError> in
            let err = rd_kafka_offsets_store(handle, list.pointer)
            var gone: [KafkaTopicPartition] = []
            for (partition, _, elementError) in TopicPartitionList.entries(list.pointer) where elementError != RD_KAFKA_RESP_ERR_NO_ERROR {
                if elementError == RD_KAFKA_RESP_ERR__STATE {
                    gone.append(partition)
                } else {
                    return .failure(KafkaError(elementError, context: "store offset for \(partition)"))
                }
            }
            if err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__STATE && gone.isEmpty {
                return .failure(KafkaError(err, context: "store offsets"))
            }
            return .success(gone)
        }
        guard let result else { throw KafkaError(code: .state, message: "consumer is closed") }
        do {
            return try result.get()
        } catch {
            throw client.checked(error)
        }
    }

    /// Stores one processed offset: `offset` is the next message to read.
    @discardableResult
    package func store(topic: String, partition: Int32, offset: Int64) throws(KafkaError) -> Bool {
        try store([KafkaPartitionOffset(topic: topic, partition: partition, offset: offset)]).isEmpty
    }

    /// Commits every stored offset and waits for the broker's answer, at most `timeout` (then
    /// throws `_TIMED_OUT`; the commit may still land). Nothing stored is success.
    package func commit(timeout: Duration = .seconds(30)) async throws(KafkaError) {
        let client = self.client
        if let fatal = client.raisedFatalError() { throw client.checked(fatal) }
        let raw = await offCooperativePool { client.withHandle { Self.commitStored($0, timeout: timeout).rawValue } }
        guard let raw else { throw KafkaError(code: .state, message: "consumer is closed") }
        let err = rd_kafka_resp_err_t(rawValue: raw)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET {
            throw client.error(err, context: "commit")
        }
    }

    /// Starts a commit of every stored offset without waiting for it (for periodic commits).
    package func commitInBackground() {
        _ = client.withHandle { rd_kafka_commit($0, nil, 1) }
    }

    /// Commits the stored offsets and waits at most `timeout` for the answer (`_TIMED_OUT`
    /// then). The wait is on a private queue, so nothing else is served meanwhile.
    private static func commitStored(_ handle: OpaquePointer, timeout: Duration) -> rd_kafka_resp_err_t {
        guard let replies = rd_kafka_queue_new(handle) else { return RD_KAFKA_RESP_ERR__STATE }
        defer { rd_kafka_queue_destroy(replies) }
        let err = rd_kafka_commit_queue(handle, nil, replies, nil, nil)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { return err }
        guard let event = rd_kafka_queue_poll(replies, Int32(clamping: max(0, timeout.milliseconds))) else {
            return RD_KAFKA_RESP_ERR__TIMED_OUT
        }
        defer { rd_kafka_event_destroy(event) }
        return rd_kafka_event_error(event)
    }

    /// The group's committed offsets for `partitions` (-1001 when none), asked of the broker.
    package func committed(_ partitions: [KafkaTopicPartition], timeout: Duration) async throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        let client = self.client
        let list = TopicPartitionList(partitions)
        let ms = Int32(clamping: timeout.milliseconds)
        let raw = await offCooperativePool { client.withHandle { rd_kafka_committed($0, list.pointer, ms).rawValue } }
        guard let raw else { throw KafkaError(code: .state, message: "consumer is closed") }
        if raw != 0 { throw client.checked(KafkaError(code: .init(rawValue: raw), message: "committed offsets request failed")) }
        var result: [KafkaTopicPartition: Int64] = [:]
        for (partition, offset, _) in TopicPartitionList.entries(list.pointer) { result[partition] = offset }
        return result
    }

    package func groupMetadata() -> KafkaConsumerGroupMetadata? {
        guard let pointer = client.withHandle({ rd_kafka_consumer_group_metadata($0) }) ?? nil else { return nil }
        return KafkaConsumerGroupMetadata(pointer: pointer)
    }

    // MARK: Pause and resume

    /// Stops fetching from `partitions` until ``resume(_:)``; buffered messages stay buffered.
    /// A pause ends with the partition's assignment: assigned again, it is fetched again.
    package func pause(_ partitions: [KafkaTopicPartition]) {
        state.withLock { state in
            state.userPaused.formUnion(partitions)
            setPaused(partitions, paused: true, state: &state)
        }
    }

    /// Restarts fetching from `partitions` at the next message not yet handed over.
    package func resume(_ partitions: [KafkaTopicPartition]) {
        state.withLock { state in
            state.userPaused.subtract(partitions)
            guard !state.backpressured else { return }
            setPaused(partitions, paused: false, state: &state)
        }
    }

    /// Pauses or resumes in librdkafka and keeps ``State/pausedInLibrdkafka`` in step; called
    /// under the state lock, so two threads never apply their decisions out of order. A resume
    /// only goes to partitions this consumer paused.
    private func setPaused(_ partitions: [KafkaTopicPartition], paused: Bool, state: inout State) {
        let targets: [KafkaTopicPartition]
        if paused {
            targets = partitions
            state.pausedInLibrdkafka.formUnion(partitions)
        } else {
            targets = partitions.filter { state.pausedInLibrdkafka.remove($0) != nil }
        }
        guard !targets.isEmpty else { return }
        let list = TopicPartitionList(targets)
        _ = client.withHandle { handle in
            if paused {
                rd_kafka_pause_partitions(handle, list.pointer)
            } else {
                rd_kafka_resume_partitions(handle, list.pointer)
            }
        }
    }

    /// Pauses every assigned partition while the buffer is full, resumes below half (poll thread).
    ///
    /// Runs on the poll thread and on the reading task (when it drains a full buffer), so the
    /// decision and the pause or resume call happen under one lock: two threads must not apply
    /// them in the opposite order of their decisions (a lost resume stalls the consumer).
    ///
    /// The poll thread takes from librdkafka's queue only as many messages as the buffer has
    /// room for (``waitForRoom()``), so a reader that keeps up never sees a pause: a pause makes
    /// librdkafka drop what it prefetched for the paused partitions, which then has to be fetched
    /// again (pausing on every over-full batch held a worker to a few thousand jobs per second).
    /// Only a reader that makes no room for a second gets its partitions paused.
    ///
    /// Returns how many messages to take next: the free room, or a full batch while paused or
    /// after the second passed (the poll thread must keep polling, to serve rebalances and stay
    /// well inside `max.poll.interval.ms`).
    private func waitForRoom() -> Int {
        let paused = state.withLock { $0.backpressured || $0.deliveryStopped }
        if paused {
            applyBackpressure()
            return Self.fetchBatchSize
        }
        var waited = 0
        while buffer.count >= buffer.capacity && waited < 1_000 {
            usleep(1_000)
            waited += 1
        }
        let room = buffer.capacity - buffer.count
        guard room <= 0 else { return min(room, Self.fetchBatchSize) }
        applyBackpressure()
        return Self.fetchBatchSize
    }

    /// The most messages one poll takes from librdkafka's queue.
    static let fetchBatchSize = 4096

    private func applyBackpressure() {
        state.withLock { state in
            if state.deliveryStopped { return }
            let count = buffer.count
            if !state.backpressured && count >= buffer.capacity {
                state.backpressured = true
                setPaused(Array(state.assigned.keys), paused: true, state: &state)
            } else if state.backpressured && count <= buffer.capacity / 2 {
                state.backpressured = false
                setPaused(Array(Set(state.assigned.keys).subtracting(state.userPaused)), paused: false, state: &state)
            }
        }
    }

    // MARK: Rebalance (poll thread)

    /// With `startTimestampMs`, an assignment's partitions at the offsets of that time (poll
    /// thread); `nil` for other events, without the setting, or when the broker cannot say.
    /// A partition the lookup failed for starts at its committed offset (or the reset policy).
    private func startingList(_ event: RebalanceInbox.Event) -> TopicPartitionList? {
        guard event.err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS, let timestamp = configuration.startTimestampMs, !event.partitions.isEmpty
        else { return nil }
        let lookup = TopicPartitionList(capacity: event.partitions.count)
        for (partition, _) in event.partitions { lookup.add(partition, offset: timestamp) }
        let err = client.withHandle { rd_kafka_offsets_for_times($0, lookup.pointer, 10_000) } ?? RD_KAFKA_RESP_ERR__DESTROY
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            logger.warning(
                "no offsets by timestamp; starting from the committed offsets",
                metadata: ["error": "\(KafkaError(err, context: "offsets for times"))"])
            return nil
        }
        let list = TopicPartitionList(capacity: event.partitions.count)
        for (partition, offset, partitionErr) in TopicPartitionList.entries(lookup.pointer) {
            list.add(partition, offset: partitionErr == RD_KAFKA_RESP_ERR_NO_ERROR ? offset : Int64(RD_KAFKA_OFFSET_INVALID))
        }
        return list
    }

    /// Applies one rebalance event (poll thread, between fetches or while closing).
    private func rebalance(_ event: RebalanceInbox.Event) {
        let generation = generationCounter.add(1, ordering: .acquiringAndReleasing).newValue
        let partitions = event.partitions.map(\.0)
        let list = startingList(event) ?? event.list()
        let cooperative = client.withHandle { String(cString: rd_kafka_rebalance_protocol($0)) == "COOPERATIVE" } ?? false
        let wait = waitBudget(configuration.revokeTimeout)
        switch event.err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            let failure =
                client.withHandle { handle -> KafkaError? in
                    if cooperative {
                        return rd_kafka_incremental_assign(handle, list.pointer).map { KafkaError(consuming: $0, context: "incremental assign") }
                    }
                    let err = rd_kafka_assign(handle, list.pointer)
                    return err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError(err, context: "assign")
                } ?? nil
            if let failure { logger.error("\(client.checked(failure))") }
            state.withLock { state in
                if !cooperative { state.assigned = [:] }
                for partition in partitions { state.assigned[partition] = generation }
                // Fetch the new partitions, or hold them paused while the buffer is full: a pause
                // librdkafka kept from an earlier assignment of them is undone here.
                if state.backpressured || state.deliveryStopped {
                    setPaused(partitions, paused: true, state: &state)
                } else {
                    setPaused(partitions, paused: false, state: &state)
                }
            }
            logger.info("partitions assigned", metadata: [KafkaLoggingKeys.partitions: "\(partitions)", "generation": "\(generation)"])
            if let listener {
                let finished = waitFor(wait) { await listener.partitionsAssigned(partitions, generation: generation) }
                if !finished { logger.warning("the assignment listener did not return within the revoke timeout") }
            }
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            let lost = client.withHandle { rd_kafka_assignment_lost($0) != 0 } ?? true
            buffer.purge(Set(partitions))
            logger.info(
                "partitions revoked",
                metadata: [KafkaLoggingKeys.partitions: "\(partitions)", "lost": "\(lost)", "generation": "\(generation)"]
            )
            if let listener {
                let finished = waitFor(wait) { await listener.partitionsRevoked(partitions, lost: lost, generation: generation) }
                if !finished { logger.warning("in-flight work did not finish within the revoke timeout; the new owner redoes it") }
            }
            if !lost {
                let commitErr =
                    client.withHandle { Self.commitStored($0, timeout: waitBudget(configuration.revokeTimeout)) } ?? RD_KAFKA_RESP_ERR__STATE
                if commitErr != RD_KAFKA_RESP_ERR_NO_ERROR && commitErr != RD_KAFKA_RESP_ERR__NO_OFFSET {
                    logger.warning("commit on revoke failed", metadata: [KafkaLoggingKeys.errorCode: "\(KafkaError.Code(commitErr).name)"])
                }
            }
            let failure =
                client.withHandle { handle -> KafkaError? in
                    if cooperative {
                        return rd_kafka_incremental_unassign(handle, list.pointer).map { KafkaError(consuming: $0, context: "incremental unassign") }
                    }
                    let err = rd_kafka_assign(handle, nil)
                    return err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError(err, context: "unassign")
                } ?? nil
            if let failure { logger.error("\(client.checked(failure))") }
            state.withLock { state in
                for partition in partitions { state.assigned[partition] = nil }
                state.userPaused.subtract(partitions)
            }
        default:
            logger.error("rebalance failed", metadata: [KafkaLoggingKeys.errorCode: "\(KafkaError.Code(event.err).name)"])
            _ = client.withHandle { rd_kafka_assign($0, nil) }
            state.withLock { $0.assigned = [:] }
        }
    }

    /// `limit`, or less when a close must be done sooner.
    private func waitBudget(_ limit: Duration) -> Duration {
        guard let deadline = state.withLock({ $0.closeDeadline }) else { return limit }
        return max(.zero, min(limit, deadline - .now))
    }

    /// Runs `work` as a task and blocks this (poll) thread until it finishes or `timeout` passes.
    /// After a timeout `work` keeps running: the listener's generations tell it that it is late.
    private func waitFor(_ timeout: Duration, _ work: @escaping @Sendable () async -> Void) -> Bool {
        let semaphore = DispatchSemaphore(value: 0)
        Task {
            await work()
            semaphore.signal()
        }
        let deadline = DispatchTime.now() + .milliseconds(Int(timeout.milliseconds))
        return semaphore.wait(timeout: deadline) == .success
    }

    // MARK: Closing

    /// Stops handing out messages: iteration of ``messages`` ends, messages fetched but not yet
    /// handed out are dropped (they were not processed, so they are not committed and will be
    /// read again), and every partition stays paused. The consumer keeps polling and stays in
    /// its group until ``close(timeout:)``, so in-flight work can finish and be committed.
    package func stopDelivery() {
        let partitions = state.withLock { state -> [KafkaTopicPartition] in
            state.backpressured = true
            state.deliveryStopped = true
            let partitions = Array(state.assigned.keys)
            setPaused(partitions, paused: true, state: &state)
            return partitions
        }
        buffer.purge(Set(partitions))
        buffer.finish()
    }

    /// Stops fetching, commits what is stored, leaves the group (running the revoke path), ends
    /// ``messages`` and destroys the handle. Safe to call more than once.
    ///
    /// Returns within `timeout`, even with every broker down: the final commit, the revoke
    /// listener and the group leave share the budget, less a reserve (a fifth of it, at most
    /// 500 ms) for destroying the handle.
    /// What a close cut short gives up: offsets stored but not committed (their messages are
    /// read again by the next owner, as after a crash), and the leave (the group notices after
    /// `session.timeout.ms`, so the partitions move later). If the poll thread is still busy at
    /// the deadline (a listener that does not return), it finishes the teardown on its own.
    package func close(timeout: Duration = .seconds(30)) async {
        let deadline = ContinuousClock.now + timeout
        // The teardown's own steps end a little before the deadline, leaving time to destroy
        // the handle (a few milliseconds) before close returns.
        let reserve = min(.milliseconds(500), timeout / 5)
        state.withLock { state in
            let stepsDeadline = deadline - reserve
            if state.closeDeadline.map({ $0 > stepsDeadline }) ?? true { state.closeDeadline = stepsDeadline }
        }
        guard let thread = pollThread.withLock({ $0 }) else { return }
        let done = await thread.stop(within: max(.zero, deadline - .now))
        if !done {
            logger.warning("consumer close passed its timeout; the teardown goes on in the background", metadata: ["timeout": "\(timeout)"])
        }
    }

    deinit {
        pollThread.withLock { $0?.requestStop() }
    }

    /// The poll thread's last act: a bounded final commit, a bounded group leave, the queue.
    private func teardown(fetcher: Fetcher, inbox: RebalanceInbox) {
        let deadline = state.withLock { state -> ContinuousClock.Instant in
            if let deadline = state.closeDeadline { return deadline }
            let deadline = ContinuousClock.now + .seconds(30)
            state.closeDeadline = deadline
            return deadline
        }
        let err = client.withHandle { Self.commitStored($0, timeout: deadline - .now) } ?? RD_KAFKA_RESP_ERR__STATE
        if err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET {
            logger.warning("commit on close failed", metadata: [KafkaLoggingKeys.errorCode: "\(KafkaError.Code(err).name)"])
        }
        let closed = Self.leaveGroup(client: client, queue: queue, deadline: deadline, fetcher: fetcher, logger: logger) {
            for event in inbox.take() { self.rebalance(event) }
        }
        if !closed { logger.warning("consumer left the group without telling it: the close timeout passed") }
        queueAlive.destroy(queue)
    }

    /// The teardown of a consumer dropped without ``close(timeout:)``: the same, with no listener
    /// and no final commit, within 10 s.
    private static func abandon(
        client: RDKafkaClient, queue: SendablePointer, queueAlive: QueueLifetime, inbox: RebalanceInbox, fetcher: Fetcher, logger: Logger
    ) {
        _ = leaveGroup(client: client, queue: queue, deadline: .now + .seconds(10), fetcher: fetcher, logger: logger) {
            for event in inbox.take() {
                let list = event.list()
                _ = client.withHandle { handle in
                    let cooperative = String(cString: rd_kafka_rebalance_protocol(handle)) == "COOPERATIVE"
                    switch (event.err, cooperative) {
                    case (RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS, true):
                        rd_kafka_incremental_assign(handle, list.pointer).map { rd_kafka_error_destroy($0) }
                    case (RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS, false): _ = rd_kafka_assign(handle, list.pointer)
                    case (RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS, true):
                        rd_kafka_incremental_unassign(handle, list.pointer).map { rd_kafka_error_destroy($0) }
                    default: _ = rd_kafka_assign(handle, nil)
                    }
                }
            }
        }
        queueAlive.destroy(queue)
    }

    /// Starts librdkafka's asynchronous consumer close on the consumer queue and serves that
    /// queue (rebalance events through `applyRebalances`, messages dropped) until the close is
    /// done or `deadline` passed. True when the group was left in time.
    private static func leaveGroup(
        client: RDKafkaClient, queue: SendablePointer, deadline: ContinuousClock.Instant, fetcher: Fetcher, logger: Logger,
        applyRebalances: () -> Void
    ) -> Bool {
        let started =
            client.withHandle { handle -> Bool in
                guard let error = rd_kafka_consumer_close_queue(handle, queue.pointer) else { return true }
                let failure = KafkaError(consuming: error, context: "consumer close")
                // Already closed, or a fatal error (then there is no group to leave).
                logger.warning("consumer close", metadata: ["error": "\(failure)"])
                return false
            } ?? false
        guard started else { return false }
        while ContinuousClock.now < deadline {
            if client.withHandle({ rd_kafka_consumer_closed($0) != 0 }) ?? true { return true }
            let remaining = Int32(clamping: max(1, min(100, (deadline - .now).milliseconds)))
            _ = fetcher.fetch(max: Self.fetchBatchSize, timeoutMs: remaining, generation: 0, logger: logger)
            applyRebalances()
        }
        return client.withHandle({ rd_kafka_consumer_closed($0) != 0 }) ?? true
    }
}

/// Whether the consumer queue still exists: a reader waking the poll thread holds the lock, so
/// the queue is never destroyed under it.
private final class QueueLifetime: Sendable {
    let alive = Mutex(true)

    func destroy(_ queue: SendablePointer) {
        alive.withLock { alive in
            guard alive else { return }
            alive = false
            rd_kafka_queue_destroy(queue.pointer)
        }
    }
}

/// Rebalance events noted by the rebalance callback and applied by the poll loop after the
/// librdkafka call that served them returned.
///
/// librdkafka serves the rebalance callback inside `rd_kafka_consume_batch_queue`, between two
/// messages of the batch it is filling. Applying the event there would leave the messages taken
/// before it in the batch under the wrong generation; deferring it (librdkafka allows the assign
/// or unassign call after the callback returned, as its event API does) keeps every message of
/// one batch under one generation, and the event applies before the next fetch.
private final class RebalanceInbox: Sendable {
    struct Event: Sendable {
        let err: rd_kafka_resp_err_t
        /// Partitions with the offsets librdkafka gave (an assignment may carry start offsets).
        let partitions: [(KafkaTopicPartition, Int64)]

        func list() -> TopicPartitionList {
            let list = TopicPartitionList(capacity: partitions.count)
            for (partition, offset) in partitions { list.add(partition, offset: offset) }
            return list
        }
    }

    private let events = Mutex<[Event]>([])

    /// Notes an event (rebalance callback): the list is copied, librdkafka frees it on return.
    func post(_ err: rd_kafka_resp_err_t, _ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) {
        let partitions = TopicPartitionList.entries(list).map { ($0.0, $0.1) }
        events.withLock { $0.append(Event(err: err, partitions: partitions)) }
    }

    /// The events noted since the last call, in order.
    func take() -> [Event] {
        events.withLock { events in
            guard !events.isEmpty else { return [] }
            defer { events = [] }
            return events
        }
    }
}

/// Fetches batches from the consumer queue and copies them into Swift values (poll thread only).
private final class Fetcher: @unchecked Sendable {
    let queue: SendablePointer
    let client: RDKafkaClient
    let batchSize: Int
    var slots: [UnsafeMutablePointer<rd_kafka_message_t>?]
    var topicNames: [OpaquePointer: String] = [:]

    init(queue: SendablePointer, client: RDKafkaClient, batchSize: Int) {
        self.queue = queue
        self.client = client
        self.batchSize = batchSize
        self.slots = Array(repeating: nil, count: batchSize)
    }

    /// Up to `max` messages (at most `batchSize`): what the queue holds now, or else the first
    /// message to arrive within `timeoutMs` and whatever came with it.
    ///
    /// `rd_kafka_consume_batch_queue` waits until the batch is *full* or the timeout passes, so
    /// asking it for a large batch with a timeout delays messages that are already there. Hence
    /// a non-blocking call for what is queued, and a blocking one for a single message only when
    /// the queue was empty.
    /// Every message is tagged with `generation`. A fatal consumer error (`_FATAL`, a fenced
    /// static member) is reported to the owner through the client, once.
    func fetch(max: Int, timeoutMs: Int32, generation: UInt64, logger: Logger) -> [KafkaMessage] {
        let limit = Swift.min(Swift.max(1, max), slots.count)
        let count = slots.withUnsafeMutableBufferPointer { buffer -> Int in
            guard let base = buffer.baseAddress else { return 0 }
            let queued = rd_kafka_consume_batch_queue(queue.pointer, 0, base, limit)
            guard queued == 0 else { return queued }
            let first = rd_kafka_consume_batch_queue(queue.pointer, timeoutMs, base, 1)
            guard first == 1, limit > 1 else { return first }
            return 1 + Swift.max(0, rd_kafka_consume_batch_queue(queue.pointer, 0, base + 1, limit - 1))
        }
        guard count > 0 else { return [] }
        var batch: [KafkaMessage] = []
        batch.reserveCapacity(count)
        for index in 0..<count {
            guard let pointer = slots[index] else { continue }
            defer { rd_kafka_message_destroy(pointer) }
            let m = pointer.pointee
            if m.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                // A consumer error's payload is its text, `len` bytes long (not read as a C string).
                let text =
                    m.payload.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: m.len), as: UTF8.self) }
                    ?? String(cString: rd_kafka_err2str(m.err))
                let error = client.checked(KafkaError(code: .init(m.err), message: "consumer error: \(text)"))
                if !error.isFatal {
                    logger.warning("consumer error: \(text)", metadata: [KafkaLoggingKeys.errorCode: "\(error.code.name)"])
                }
                continue
            }
            batch.append(message(pointer, generation: generation))
        }
        return batch
    }

    private func message(_ pointer: UnsafeMutablePointer<rd_kafka_message_t>, generation: UInt64) -> KafkaMessage {
        let m = pointer.pointee
        var topic = ""
        if let rkt = m.rkt {
            if let cached = topicNames[rkt] {
                topic = cached
            } else {
                topic = String(cString: rd_kafka_topic_name(rkt))
                topicNames[rkt] = topic
            }
        }
        let value = m.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: m.len)) } ?? []
        let key = m.key.map { Array(UnsafeRawBufferPointer(start: $0, count: m.key_len)) }
        var headers: [KafkaHeader] = []
        var list: OpaquePointer?
        if rd_kafka_message_headers(pointer, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list {
            var index = 0
            var name: UnsafePointer<CChar>?
            var valuePointer: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(list, index, &name, &valuePointer, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                let headerValue = valuePointer.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }
                headers.append(KafkaHeader(name: name.map { String(cString: $0) } ?? "", value: headerValue))
                index += 1
            }
        }
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(pointer, &timestampType)
        return KafkaMessage(
            topic: topic, partition: m.partition, offset: m.offset, key: key, value: value,
            headers: headers, timestampMilliseconds: timestamp >= 0 ? timestamp : nil, generation: generation
        )
    }
}
