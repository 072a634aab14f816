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
///   synchronously, and only then gives the partitions up (eager or `cooperative-sticky`).
/// - Fetched messages wait in a bounded buffer; when it is full the consumer pauses its
///   partitions and keeps polling, so it never drops out of its group for not polling.
/// - All librdkafka polling runs on a dedicated thread, never on Swift's cooperative pool.
public final class KafkaConsumer: Sendable {
    private struct State {
        var assigned: Set<KafkaTopicPartition> = []
        var userPaused: Set<KafkaTopicPartition> = []
        var backpressured = false
        var deliveryStopped = false
    }

    let client: RDKafkaClient
    public let configuration: KafkaConsumerConfiguration
    private let buffer: KafkaMessageBuffer
    private let state = Mutex(State())
    private let listener: (any KafkaRebalanceListener)?
    private let logger: Logger
    private let queue: SendablePointer
    /// False once teardown destroyed ``queue``; held while a reader wakes the poll thread.
    private let queueAlive = Mutex(true)
    private let pollThread: Mutex<RDKafkaPollThread?> = Mutex(nil)

    /// Messages as they are fetched. Iterate from one task at a time.
    public var messages: KafkaMessageSequence { KafkaMessageSequence(buffer: buffer) }

    /// Creates the consumer (librdkafka checks every property here) and subscribes to `topics`.
    public init(
        configuration: KafkaConsumerConfiguration,
        topics: [String],
        listener: (any KafkaRebalanceListener)? = nil,
        logger: Logger,
        statistics: (@Sendable (KafkaStatistics) -> Void)? = nil
    ) throws(KafkaError) {
        try configuration.common.validate()
        self.configuration = configuration
        self.listener = listener
        self.logger = logger
        self.buffer = KafkaMessageBuffer(capacity: configuration.bufferCapacity)
        let rebalanceTarget = RebalanceTarget()
        let client = try RDKafkaClient.make(kind: .consumer, pairs: configuration.pairs(), logger: logger, rebalance: true) { context in
            context.onRebalance = { err, partitions in rebalanceTarget.consumer?.rebalance(err, partitions) }
            context.onStatistics = statistics
        }
        client.bootstrapDescription = configuration.common.bootstrapServers
        guard let handle = client.handle else { throw KafkaError(code: .state, message: "consumer handle missing") }
        rd_kafka_poll_set_consumer(handle)
        guard let queue = rd_kafka_queue_get_consumer(handle) else {
            throw KafkaError(code: .state, message: "consumer queue missing")
        }
        self.queue = SendablePointer(queue)
        self.client = client
        rebalanceTarget.consumer = self

        let list = TopicPartitionList(capacity: topics.count)
        for topic in topics { list.add(KafkaTopicPartition(topic: topic, partition: RD_KAFKA_PARTITION_UA), offset: 0) }
        let err = rd_kafka_subscribe(handle, list.pointer)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            rd_kafka_queue_destroy(queue)
            throw KafkaError(err, context: "subscribe to \(topics.joined(separator: ","))")
        }

        let fetcher = Fetcher(queue: self.queue, batchSize: Self.fetchBatchSize)
        let thread = RDKafkaPollThread(name: "understudy.kafka.consumer") { [weak self] in
            guard let self else { return false }
            let room = self.waitForRoom()
            let batch = fetcher.fetch(max: room, timeoutMs: 100, logger: logger)
            self.buffer.append(batch)
            return true
        } teardown: { [weak self] in
            self?.teardown()
        }
        pollThread.withLock { $0 = thread }
        // Resume as soon as the reader drains the buffer, and wake the poll thread from its wait
        // on the (paused, so empty) queue: otherwise each pause costs up to a whole poll timeout.
        buffer.setDrainHandler { [weak self] in
            guard let self else { return }
            self.applyBackpressure()
            self.queueAlive.withLock { alive in if alive { rd_kafka_queue_yield(self.queue.pointer) } }
        }
    }

    /// The partitions currently assigned to this member.
    public var assignment: Set<KafkaTopicPartition> { state.withLock { $0.assigned } }

    // MARK: Offsets

    /// Stores processed offsets (`offset` = the next message to read) for the next commit.
    /// Returns the partitions whose store was refused because this member no longer owns them
    /// (librdkafka's `_STATE`): expected after a rebalance, not an error.
    @discardableResult
    public func store(_ offsets: [KafkaPartitionOffset]) throws(KafkaError) -> [KafkaTopicPartition] {
        guard !offsets.isEmpty else { return [] }
        guard let handle = client.handle else { throw KafkaError(code: .state, message: "consumer is closed") }
        let list = TopicPartitionList(offsets)
        let err = rd_kafka_offsets_store(handle, list.pointer)
        var gone: [KafkaTopicPartition] = []
        for (partition, _, elementError) in TopicPartitionList.entries(list.pointer) where elementError != RD_KAFKA_RESP_ERR_NO_ERROR {
            if elementError == RD_KAFKA_RESP_ERR__STATE {
                gone.append(partition)
            } else {
                throw KafkaError(elementError, context: "store offset for \(partition)")
            }
        }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__STATE && gone.isEmpty {
            throw KafkaError(err, context: "store offsets")
        }
        return gone
    }

    /// Stores one processed offset: `offset` is the next message to read.
    @discardableResult
    public func store(topic: String, partition: Int32, offset: Int64) throws(KafkaError) -> Bool {
        try store([KafkaPartitionOffset(topic: topic, partition: partition, offset: offset)]).isEmpty
    }

    /// Commits every stored offset and waits for the broker's answer. Nothing stored is success.
    public func commit() async throws(KafkaError) {
        guard let handle = client.handle else { throw KafkaError(code: .state, message: "consumer is closed") }
        let pointer = SendablePointer(handle)
        let err = await offCooperativePool { rd_kafka_commit(pointer.pointer, nil, 0).rawValue }
        try Self.checkCommit(err)
    }

    /// Starts a commit of every stored offset without waiting for it (for periodic commits).
    public func commitInBackground() {
        guard let handle = client.handle else { return }
        _ = rd_kafka_commit(handle, nil, 1)
    }

    private static func checkCommit(_ raw: Int32) throws(KafkaError) {
        let err = rd_kafka_resp_err_t(rawValue: raw)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET {
            throw KafkaError(err, context: "commit")
        }
    }

    /// The group's committed offsets for `partitions` (-1001 when none), asked of the broker.
    public func committed(_ partitions: [KafkaTopicPartition], timeout: Duration) async throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        guard let handle = client.handle else { throw KafkaError(code: .state, message: "consumer is closed") }
        let pointer = SendablePointer(handle)
        let list = TopicPartitionList(partitions)
        let ms = Int32(clamping: timeout.milliseconds)
        let err = await offCooperativePool { rd_kafka_committed(pointer.pointer, list.pointer, ms).rawValue }
        if err != 0 { throw KafkaError(code: .init(rawValue: err), message: "committed offsets request failed") }
        var result: [KafkaTopicPartition: Int64] = [:]
        for (partition, offset, _) in TopicPartitionList.entries(list.pointer) { result[partition] = offset }
        return result
    }

    func groupMetadata() -> KafkaConsumerGroupMetadata? {
        guard let handle = client.handle, let pointer = rd_kafka_consumer_group_metadata(handle) else { return nil }
        return KafkaConsumerGroupMetadata(pointer: pointer)
    }

    // MARK: Pause and resume

    /// Stops fetching from `partitions` until ``resume(_:)``; buffered messages stay buffered.
    public func pause(_ partitions: [KafkaTopicPartition]) {
        state.withLock { $0.userPaused.formUnion(partitions) }
        setPaused(partitions, paused: true)
    }

    /// Restarts fetching from `partitions` at the next message not yet handed over.
    public func resume(_ partitions: [KafkaTopicPartition]) {
        let resumable = state.withLock { state -> [KafkaTopicPartition] in
            state.userPaused.subtract(partitions)
            return state.backpressured ? [] : partitions
        }
        setPaused(resumable, paused: false)
    }

    private func setPaused(_ partitions: [KafkaTopicPartition], paused: Bool) {
        guard !partitions.isEmpty, let handle = client.handle else { return }
        let list = TopicPartitionList(partitions)
        if paused {
            rd_kafka_pause_partitions(handle, list.pointer)
        } else {
            rd_kafka_resume_partitions(handle, list.pointer)
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
                setPaused(Array(state.assigned), paused: true)
            } else if state.backpressured && count <= buffer.capacity / 2 {
                state.backpressured = false
                setPaused(Array(state.assigned.subtracting(state.userPaused)), paused: false)
            }
        }
    }

    // MARK: Rebalance (poll thread)

    fileprivate func rebalance(_ err: rd_kafka_resp_err_t, _ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) {
        guard let handle = client.handle else { return }
        let partitions = TopicPartitionList.entries(list).map { $0.0 }
        let cooperative = String(cString: rd_kafka_rebalance_protocol(handle)) == "COOPERATIVE"
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            if cooperative {
                if let error = rd_kafka_incremental_assign(handle, list) { logger.error("\(KafkaError(consuming: error, context: "incremental assign"))") }
            } else {
                rd_kafka_assign(handle, list)
            }
            let pauseNow = state.withLock { state -> Bool in
                if !cooperative { state.assigned = [] }
                state.assigned.formUnion(partitions)
                return state.backpressured
            }
            if pauseNow { setPaused(partitions, paused: true) }
            logger.info("partitions assigned", metadata: [KafkaLoggingKeys.partitions: "\(partitions)"])
            if let listener { waitFor(configuration.revokeTimeout) { await listener.partitionsAssigned(partitions) } }
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            let lost = rd_kafka_assignment_lost(handle) != 0
            buffer.purge(Set(partitions))
            logger.info("partitions revoked", metadata: [KafkaLoggingKeys.partitions: "\(partitions)", "lost": "\(lost)"])
            if let listener {
                let finished = waitFor(configuration.revokeTimeout) { await listener.partitionsRevoked(partitions, lost: lost) }
                if !finished { logger.warning("in-flight work did not finish within the revoke timeout; the new owner redoes it") }
            }
            if !lost {
                let commitErr = rd_kafka_commit(handle, nil, 0)
                if commitErr != RD_KAFKA_RESP_ERR_NO_ERROR && commitErr != RD_KAFKA_RESP_ERR__NO_OFFSET {
                    logger.warning("commit on revoke failed", metadata: [KafkaLoggingKeys.errorCode: "\(KafkaError.Code(commitErr).name)"])
                }
            }
            if cooperative {
                if let error = rd_kafka_incremental_unassign(handle, list) { logger.error("\(KafkaError(consuming: error, context: "incremental unassign"))") }
            } else {
                rd_kafka_assign(handle, nil)
            }
            state.withLock { state in
                state.assigned.subtract(partitions)
                state.userPaused.subtract(partitions)
            }
        default:
            logger.error("rebalance failed", metadata: [KafkaLoggingKeys.errorCode: "\(KafkaError.Code(err).name)"])
            rd_kafka_assign(handle, nil)
            state.withLock { $0.assigned = [] }
        }
    }

    /// Runs `work` as a task and blocks this (poll) thread until it finishes or `timeout` passes.
    @discardableResult
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
    /// its group until ``close()``, so in-flight work can finish and be committed.
    public func stopDelivery() {
        let partitions = state.withLock { state -> [KafkaTopicPartition] in
            state.backpressured = true
            state.deliveryStopped = true
            return Array(state.assigned)
        }
        setPaused(partitions, paused: true)
        buffer.purge(Set(partitions))
        buffer.finish()
    }

    /// Stops fetching, commits what is stored, leaves the group (running the revoke path), ends
    /// ``messages`` and destroys the handle. Safe to call more than once.
    public func close() async {
        let thread = pollThread.withLock { $0 }
        await thread?.stop()
    }

    deinit {
        pollThread.withLock { $0?.requestStop() }
    }

    /// The poll thread's last act.
    private func teardown() {
        guard let handle = client.handle else { return }
        let err = rd_kafka_commit(handle, nil, 0)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET {
            logger.warning("commit on close failed", metadata: [KafkaLoggingKeys.errorCode: "\(KafkaError.Code(err).name)"])
        }
        let closeErr = rd_kafka_consumer_close(handle)
        if closeErr != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.warning("consumer close", metadata: [KafkaLoggingKeys.errorCode: "\(KafkaError.Code(closeErr).name)"])
        }
        buffer.finish()
        queueAlive.withLock { alive in
            alive = false
            rd_kafka_queue_destroy(queue.pointer)
        }
        client.destroy()
    }
}

/// Lets the rebalance callback, which is installed before the consumer exists, find it.
private final class RebalanceTarget: @unchecked Sendable {
    weak var consumer: KafkaConsumer?
}

/// Fetches batches from the consumer queue and copies them into Swift values (poll thread only).
private final class Fetcher: @unchecked Sendable {
    let queue: SendablePointer
    let batchSize: Int
    var slots: [UnsafeMutablePointer<rd_kafka_message_t>?]
    var topicNames: [OpaquePointer: String] = [:]

    init(queue: SendablePointer, batchSize: Int) {
        self.queue = queue
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
    func fetch(max: Int, timeoutMs: Int32, logger: Logger) -> [KafkaMessage] {
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
                logger.warning("consumer error: \(text)", metadata: [KafkaLoggingKeys.errorCode: "\(KafkaError.Code(m.err).name)"])
                continue
            }
            batch.append(message(pointer))
        }
        return batch
    }

    private func message(_ pointer: UnsafeMutablePointer<rd_kafka_message_t>) -> KafkaMessage {
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
            headers: headers, timestampMilliseconds: timestamp >= 0 ? timestamp : nil
        )
    }
}
