import CLibrdkafka
import Foundation
import Logging
import Synchronization

/// An idempotent Kafka producer whose sends can be awaited until the broker acknowledges them.
///
/// Guarantees: with the default configuration (`enable.idempotence=true`, `acks=all`) the
/// records of one producer are written once and in order per partition, whatever retries
/// librdkafka makes. An awaited ``send(_:)`` returns only after the broker acknowledged the
/// record, or throws librdkafka's error code and text. Delivery reports are served by a dedicated
/// poll thread, never on Swift's cooperative pool. When librdkafka's local queue is full, a send
/// waits (asynchronously) for room instead of failing.
package final class KafkaProducer: Sendable {
    let client: RDKafkaClient
    private let pollThread: RDKafkaPollThread
    private let topicHandles: TopicHandles
    private let logger: Logger
    package let configuration: KafkaProducerConfiguration

    /// Creates the producer; librdkafka checks every property here. `statistics` receives each
    /// statistics report when `statisticsInterval` is set.
    ///
    /// `onFatalError` is called at most once, from any thread (often the poll thread: return
    /// quickly, never close the producer inside it), when librdkafka raises a fatal error on this
    /// producer: a fatal idempotent-producer error, a fenced transactional producer. The error
    /// names the real cause and has ``KafkaError/isFatal`` set; so does every error a call
    /// returns afterwards. The producer is then unusable: close it and make a new one (or exit).
    package init(
        configuration: KafkaProducerConfiguration, logger: Logger,
        statistics: (@Sendable (KafkaStatistics) -> Void)? = nil,
        onFatalError: (@Sendable (KafkaError) -> Void)? = nil
    ) throws(KafkaError) {
        try configuration.common.validate()
        self.configuration = configuration
        self.logger = logger
        let client = try RDKafkaClient.make(
            kind: .producer, pairs: configuration.pairs(), logger: logger, delivery: true, onFatalError: onFatalError
        ) { context in
            context.onDelivery = { message, fatal in DeliveryGroup.delivered(message, fatal: fatal) }
            context.onStatistics = statistics
        }
        client.bootstrapDescription = configuration.common.bootstrapServers
        self.client = client
        let topicHandles = TopicHandles()
        self.topicHandles = topicHandles
        // The thread holds the client: whichever way the producer ends (close, or dropped after a
        // failed start-up), the handle is destroyed on this thread after its last poll returned,
        // never while a poll is running.
        self.pollThread = RDKafkaPollThread(name: "understudy.kafka.producer") {
            client.withHandle { rd_kafka_poll($0, 100) } != nil
        } teardown: {
            // Records queued after a close began fail now rather than wait for ever.
            _ = client.withHandle { handle in
                rd_kafka_purge(handle, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT)
                rd_kafka_poll(handle, 0)
            }
            topicHandles.destroyAll()
            client.destroy()
        }
    }

    /// Produces `record` and waits until the broker acknowledged it.
    package func send(_ record: KafkaRecord) async throws(KafkaError) -> KafkaDeliveryReport {
        try await send([record])[0].get()
    }

    /// Produces every record, then waits until each has been acknowledged or has failed; the
    /// results are in the order of `records`. A record that could not even be queued fails alone.
    ///
    /// Cost: one allocation per call for the delivery bookkeeping, none per record beyond
    /// librdkafka's own copy of key, value and headers; the handle is taken once per batch.
    package func send(_ records: [KafkaRecord]) async -> [Result<KafkaDeliveryReport, KafkaError>] {
        guard !records.isEmpty else { return [] }
        let group = DeliveryGroup(count: records.count)
        // Records of one batch usually share a topic: the handle of the last one is reused
        // without a lookup (a string compare, no hashing per record).
        var last: (name: String, handle: OpaquePointer?)?
        var index = 0
        while index < records.count {
            // Queue until the end or a full local queue, under one use of the handle.
            let queueFull = client.withHandle { handle -> Bool in
                while index < records.count {
                    let record = records[index]
                    let topic: OpaquePointer?
                    if let last, last.name == record.topic {
                        topic = last.handle
                    } else {
                        topic = topicHandles.handle(record.topic, client: handle)
                        last = (record.topic, topic)
                    }
                    if let error = produce(record, handle: handle, topic: topic, opaque: group.opaque(for: index)) {
                        if error.code == .queueFull { return true }
                        let checked = error.isFatal ? client.checked(error) : error
                        group.complete(
                            index: index, err: checked.code.rawValue, partition: -1, offset: -1, message: checked.message, fatal: checked.isFatal)
                    }
                    index += 1
                }
                return false
            }
            guard let queueFull else {
                // Closed: every record not queued fails alone.
                for rest in index..<records.count {
                    group.complete(
                        index: rest, err: KafkaError.Code.state.rawValue, partition: -1, offset: -1, message: "producer is closed", fatal: false)
                }
                break
            }
            // Only a full local queue makes this task wait (librdkafka's delivery reports free
            // room as the broker acknowledges).
            if queueFull { try? await Task.sleep(for: .milliseconds(2)) }
        }
        let outcomes = await group.wait()
        return zip(records, outcomes).map { record, outcome in
            if outcome.err == 0 {
                return .success(KafkaDeliveryReport(topic: record.topic, partition: outcome.partition, offset: outcome.offset))
            }
            return .failure(KafkaError(code: .init(rawValue: outcome.err), message: outcome.message ?? "delivery failed", isFatal: outcome.fatal))
        }
    }

    /// One `rd_kafka_produceva` call; `nil` when the record was queued. The field list lives on
    /// the stack; header names and values are packed into one buffer each, so that every pointer
    /// handed to librdkafka stays valid for the call (librdkafka copies them).
    private func produce(_ record: KafkaRecord, handle: OpaquePointer, topic: OpaquePointer?, opaque: UnsafeMutableRawPointer) -> KafkaError? {
        guard let topic else {
            return KafkaError(code: .invalidArgument, message: "no topic handle for \(record.topic)")
        }
        var names: [CChar] = []
        var values: [UInt8] = []
        var offsets: [(name: Int, value: Int, size: Int)] = []
        if !record.headers.isEmpty {
            offsets.reserveCapacity(record.headers.count)
            for header in record.headers {
                let nameOffset = names.count
                names.append(contentsOf: header.name.utf8.map { CChar(bitPattern: $0) })
                names.append(0)
                let valueOffset = values.count
                if let value = header.value { values.append(contentsOf: value) }
                offsets.append((nameOffset, valueOffset, header.value.map { $0.count } ?? -1))
            }
        }
        return withOptionalBytes(record.key) { key in
            withOptionalBytes(record.value) { value in
                names.withUnsafeBufferPointer { names in
                    values.withUnsafeBufferPointer { values in
                        withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 6 + offsets.count) { fields in
                            var count = 0
                            func add(_ vtype: rd_kafka_vtype_t, _ fill: (inout rd_kafka_vu_t) -> Void) {
                                var vu = rd_kafka_vu_t()
                                vu.vtype = vtype
                                fill(&vu)
                                fields[count] = vu
                                count += 1
                            }
                            add(RD_KAFKA_VTYPE_RKT) { $0.u.rkt = topic }
                            add(RD_KAFKA_VTYPE_PARTITION) { $0.u.i32 = record.partition ?? RD_KAFKA_PARTITION_UA }
                            add(RD_KAFKA_VTYPE_MSGFLAGS) { $0.u.i = RD_KAFKA_MSG_F_COPY }
                            if let key {
                                add(RD_KAFKA_VTYPE_KEY) {
                                    $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: key.baseAddress)
                                    $0.u.mem.size = key.count
                                }
                            }
                            if let value {
                                add(RD_KAFKA_VTYPE_VALUE) {
                                    $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: value.baseAddress)
                                    $0.u.mem.size = value.count
                                }
                            }
                            add(RD_KAFKA_VTYPE_OPAQUE) { $0.u.ptr = opaque }
                            for entry in offsets {
                                add(RD_KAFKA_VTYPE_HEADER) {
                                    $0.u.header.name = names.baseAddress.map { UnsafePointer($0 + entry.name) }
                                    $0.u.header.val = entry.size < 0 ? nil : values.baseAddress.map { UnsafeRawPointer($0 + entry.value) }
                                    $0.u.header.size = entry.size
                                }
                            }
                            guard let error = rd_kafka_produceva(handle, fields.baseAddress, count) else { return nil }
                            return KafkaError(consuming: error, context: "produce to \(record.topic)")
                        }
                    }
                }
            }
        }
    }

    /// Waits until every queued record was acknowledged or failed, or `timeout` passed.
    package func flush(timeout: Duration) async throws(KafkaError) {
        let client = self.client
        let ms = Int32(clamping: timeout.milliseconds)
        let err = await offCooperativePool { client.withHandle { rd_kafka_flush($0, ms).rawValue } ?? 0 }
        if err != 0 {
            throw client.checked(KafkaError(code: .init(rawValue: err), message: "flush did not finish within \(timeout)"))
        }
    }

    /// Flushes for at most `timeout`, stops the poll thread and destroys the handle, returning
    /// within `timeout` plus one poll (100 ms) and the handle's destruction, even with every
    /// broker down. Records still unacknowledged at the deadline fail their senders with
    /// `_PURGE_QUEUE` or `_PURGE_INFLIGHT`: whether the broker wrote them is unknown (the
    /// idempotent producer's guarantee ends with the handle). Safe to call more than once.
    package func close(timeout: Duration) async {
        do {
            try await flush(timeout: timeout)
        } catch {
            logger.warning("producer closed with unacknowledged records", metadata: ["error": "\(error)"])
            _ = client.withHandle { handle in
                rd_kafka_purge(handle, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT)
                rd_kafka_poll(handle, 0)
            }
        }
        // The poll thread serves the purged records' reports, then its teardown destroys the
        // topic handles and the client, after its last poll.
        await pollThread.stop()
    }

    deinit {
        // The poll thread tears down on its own: it holds the client until its last poll returned.
        pollThread.requestStop()
    }

    /// The broker's metadata, for start-up checks (unreachable brokers fail after `timeout`).
    package func metadata(topic: String? = nil, timeout: Duration) async throws(KafkaError) -> KafkaClusterMetadata {
        let client = self.client
        let result = await offCooperativePool { Result { () throws(KafkaError) in try client.metadata(topic: topic, timeout: timeout) } }
        return try result.get()
    }

    /// Raises a fatal error on this producer as if librdkafka had hit one (librdkafka's
    /// `rd_kafka_test_fatal_error`), so tests can check how an application reacts to it.
    package func raiseTestFatalError(_ code: KafkaError.Code, reason: String) {
        _ = client.withHandle { rd_kafka_test_fatal_error($0, rd_kafka_resp_err_t(rawValue: code.rawValue), reason) }
    }
}

/// The producer's librdkafka topic handles, destroyed with it (by the poll thread's teardown).
private final class TopicHandles: Sendable {
    /// A librdkafka topic handle.
    private struct Entry: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    private let handles = Mutex<[String: Entry]>([:])

    /// The handle for `topic`, created on first use (`client` is the live producer handle).
    func handle(_ topic: String, client: OpaquePointer) -> OpaquePointer? {
        let client = SendablePointer(client)
        return handles.withLock { handles -> Entry? in
            if let existing = handles[topic] { return existing }
            guard let created = rd_kafka_topic_new(client.pointer, topic, nil) else { return nil }
            let entry = Entry(pointer: created)
            handles[topic] = entry
            return entry
        }?.pointer
    }

    func destroyAll() {
        handles.withLock { handles in
            for entry in handles.values { rd_kafka_topic_destroy(entry.pointer) }
            handles = [:]
        }
    }
}

/// A raw pointer that may cross into a blocking GCD closure; the owner keeps the handle alive.
struct SendablePointer: @unchecked Sendable {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
}

private func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeBufferPointer<UInt8>?) -> R) -> R {
    guard let bytes else { return body(nil) }
    return bytes.withUnsafeBufferPointer { body($0) }
}

/// The delivery bookkeeping of one `send`: a slot per record whose address is librdkafka's
/// `msg_opaque`, the outcome of each record, and the sender waiting for all of them.
///
/// Ownership across the C boundary: the group retains itself once for librdkafka when created
/// and releases that reference when the last record's outcome is in, so a delivery callback
/// always finds it alive; the slots are freed with the group.
final class DeliveryGroup: @unchecked Sendable {
    /// What one record's delivery report said (a plain value, cheap to write on the poll thread).
    struct Outcome {
        var err: Int32 = 0
        var partition: Int32 = -1
        var offset: Int64 = -1
        var message: String?
        /// The client had raised a fatal error when this record failed.
        var fatal = false
    }

    private struct Slot {
        var group: Unmanaged<DeliveryGroup>
        var index: Int
    }

    private let count: Int
    private let slots: UnsafeMutablePointer<Slot>
    /// One outcome per record; each element is written by exactly one thread, and read only
    /// after `remaining` reached zero (acquire/release ordering).
    private let outcomes: UnsafeMutablePointer<Outcome>
    private let remaining: Atomic<Int>
    private let waiter = Mutex<(continuation: CheckedContinuation<[Outcome], Never>?, done: Bool)>((nil, false))
    private var selfReference: Unmanaged<DeliveryGroup>?

    init(count: Int) {
        self.count = count
        self.slots = .allocate(capacity: count)
        self.outcomes = .allocate(capacity: count)
        self.outcomes.initialize(repeating: Outcome(), count: count)
        self.remaining = Atomic(count)
        let reference = Unmanaged.passRetained(self)
        self.selfReference = reference
        for index in 0..<count { (slots + index).initialize(to: Slot(group: reference, index: index)) }
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
        outcomes.deinitialize(count: count)
        outcomes.deallocate()
    }

    func opaque(for index: Int) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(slots + index)
    }

    /// Records one outcome; each index is completed once, by the poll thread or by the sender.
    func complete(index: Int, err: Int32, partition: Int32, offset: Int64, message: String?, fatal: Bool) {
        outcomes[index] = Outcome(err: err, partition: partition, offset: offset, message: message, fatal: fatal)
        let all = { Array(UnsafeBufferPointer(start: self.outcomes, count: self.count)) }
        guard remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 else { return }
        let continuation = waiter.withLock { state -> CheckedContinuation<[Outcome], Never>? in
            state.done = true
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(returning: all())
        // Last act: once librdkafka's reference is released the group may be freed at once (the
        // sender may already have returned), so nothing after this line may touch `self`.
        let reference = selfReference
        selfReference = nil
        reference?.release()
    }

    func wait() async -> [Outcome] {
        await withCheckedContinuation { continuation in
            let done = waiter.withLock { state -> Bool in
                if state.done { return true }
                state.continuation = continuation
                return false
            }
            if done { continuation.resume(returning: Array(UnsafeBufferPointer(start: outcomes, count: count))) }
        }
    }

    /// The delivery callback (poll thread): finds the slot behind `msg_opaque`.
    static func delivered(_ message: UnsafePointer<rd_kafka_message_t>, fatal: Bool) {
        guard let opaque = message.pointee._private else { return }
        let slot = opaque.assumingMemoryBound(to: Slot.self).pointee
        let m = message.pointee
        var text: String?
        if m.err != RD_KAFKA_RESP_ERR_NO_ERROR {
            // Not rd_kafka_message_errstr: for a delivery report it returns the record's own
            // payload, which is not NUL-terminated (AddressSanitizer caught the overread).
            text = "delivery failed: \(String(cString: rd_kafka_err2str(m.err)))"
        }
        slot.group.takeUnretainedValue().complete(
            index: slot.index, err: m.err.rawValue, partition: m.partition, offset: m.offset, message: text, fatal: fatal
        )
    }
}
