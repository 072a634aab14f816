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
public final class KafkaProducer: Sendable {
    let client: RDKafkaClient
    private let pollThread: RDKafkaPollThread
    private let topicHandles = Mutex<[String: TopicHandle]>([:])
    private let logger: Logger
    public let configuration: KafkaProducerConfiguration

    /// A librdkafka topic handle, destroyed with the producer.
    private struct TopicHandle: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    /// Creates the producer; librdkafka checks every property here. `statistics` receives each
    /// statistics report when `statisticsInterval` is set.
    public init(
        configuration: KafkaProducerConfiguration, logger: Logger,
        statistics: (@Sendable (KafkaStatistics) -> Void)? = nil
    ) throws(KafkaError) {
        try configuration.common.validate()
        self.configuration = configuration
        self.logger = logger
        let client = try RDKafkaClient.make(kind: .producer, pairs: configuration.pairs(), logger: logger, delivery: true) {
            context in
            context.onDelivery = { message in DeliveryGroup.delivered(message) }
            context.onStatistics = statistics
        }
        client.bootstrapDescription = configuration.common.bootstrapServers
        self.client = client
        guard let handle = client.handle else { throw KafkaError(code: .state, message: "producer handle missing") }
        let pointer = SendablePointer(handle)
        self.pollThread = RDKafkaPollThread(name: "understudy.kafka.producer") {
            rd_kafka_poll(pointer.pointer, 100)
            return true
        }
    }

    /// Produces `record` and waits until the broker acknowledged it.
    public func send(_ record: KafkaRecord) async throws(KafkaError) -> KafkaDeliveryReport {
        try await send([record])[0].get()
    }

    /// Produces every record, then waits until each has been acknowledged or has failed; the
    /// results are in the order of `records`. A record that could not even be queued fails alone.
    ///
    /// Cost: one allocation per call for the delivery bookkeeping, none per record beyond
    /// librdkafka's own copy of key, value and headers.
    public func send(_ records: [KafkaRecord]) async -> [Result<KafkaDeliveryReport, KafkaError>] {
        guard !records.isEmpty else { return [] }
        let group = DeliveryGroup(count: records.count)
        // Records of one batch usually share a topic: the handle of the last one is reused
        // without a lookup (a string compare, no hashing per record).
        var last: (name: String, handle: OpaquePointer?)?
        for (index, record) in records.enumerated() {
            let topic: OpaquePointer?
            if let last, last.name == record.topic {
                topic = last.handle
            } else {
                topic = topicHandle(record.topic)
                last = (record.topic, topic)
            }
            let opaque = group.opaque(for: index)
            // The common case queues at once; only a full local queue makes this task wait
            // (librdkafka's delivery reports free room as the broker acknowledges).
            var error = produce(record, topic: topic, opaque: opaque)
            while error?.code == .queueFull {
                try? await Task.sleep(for: .milliseconds(2))
                error = produce(record, topic: topic, opaque: opaque)
            }
            if let error {
                group.complete(index: index, err: error.code.rawValue, partition: -1, offset: -1, message: error.message)
            }
        }
        let outcomes = await group.wait()
        return zip(records, outcomes).map { record, outcome in
            if outcome.err == 0 {
                return .success(KafkaDeliveryReport(topic: record.topic, partition: outcome.partition, offset: outcome.offset))
            }
            return .failure(KafkaError(code: .init(rawValue: outcome.err), message: outcome.message ?? "delivery failed"))
        }
    }

    private func topicHandle(_ topic: String) -> OpaquePointer? {
        guard let handle = client.handle else { return nil }
        let found = topicHandles.withLock { handles -> TopicHandle? in
            if let existing = handles[topic] { return existing }
            guard let created = rd_kafka_topic_new(handle, topic, nil) else { return nil }
            let entry = TopicHandle(pointer: created)
            handles[topic] = entry
            return entry
        }
        return found?.pointer
    }

    /// One `rd_kafka_produceva` call; `nil` when the record was queued. The field list lives on
    /// the stack; header names and values are packed into one buffer each, so that every pointer
    /// handed to librdkafka stays valid for the call (librdkafka copies them).
    private func produce(_ record: KafkaRecord, topic: OpaquePointer?, opaque: UnsafeMutableRawPointer) -> KafkaError? {
        guard let handle = client.handle, let topic else {
            return KafkaError(code: .state, message: "producer is closed")
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
    public func flush(timeout: Duration) async throws(KafkaError) {
        guard let handle = client.handle else { return }
        let ms = Int32(clamping: timeout.milliseconds)
        let err = await offCooperativePool { [handle = SendablePointer(handle)] in rd_kafka_flush(handle.pointer, ms).rawValue }
        if err != 0 {
            throw KafkaError(code: .init(rawValue: err), message: "flush did not finish within \(timeout)")
        }
    }

    /// Flushes with `timeout`, stops the poll thread and destroys the handle. Records still
    /// unacknowledged after the timeout fail their senders with `_PURGE_QUEUE`.
    public func close(timeout: Duration) async {
        do {
            try await flush(timeout: timeout)
        } catch {
            logger.warning("producer closed with unacknowledged records", metadata: ["error": "\(error)"])
            if let handle = client.handle {
                rd_kafka_purge(handle, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT)
                rd_kafka_poll(handle, 0)
            }
        }
        await pollThread.stop()
        topicHandles.withLock { handles in
            for handle in handles.values { rd_kafka_topic_destroy(handle.pointer) }
            handles = [:]
        }
        client.destroy()
    }

    deinit {
        pollThread.requestStop()
    }

    /// The broker's metadata, for start-up checks (unreachable brokers fail after `timeout`).
    public func metadata(topic: String? = nil, timeout: Duration) async throws(KafkaError) -> KafkaClusterMetadata {
        let client = self.client
        let result = await offCooperativePool { Result { () throws(KafkaError) in try client.metadata(topic: topic, timeout: timeout) } }
        return try result.get()
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
    func complete(index: Int, err: Int32, partition: Int32, offset: Int64, message: String?) {
        outcomes[index] = Outcome(err: err, partition: partition, offset: offset, message: message)
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
    static func delivered(_ message: UnsafePointer<rd_kafka_message_t>) {
        guard let opaque = message.pointee._private else { return }
        let slot = opaque.assumingMemoryBound(to: Slot.self).pointee
        let m = message.pointee
        var text: String?
        if m.err != RD_KAFKA_RESP_ERR_NO_ERROR {
            // Not rd_kafka_message_errstr: for a delivery report it returns the record's own
            // payload, which is not NUL-terminated (AddressSanitizer caught the overread).
            text = "delivery failed: \(String(cString: rd_kafka_err2str(m.err)))"
        }
        slot.group.takeUnretainedValue().complete(index: slot.index, err: m.err.rawValue, partition: m.partition, offset: m.offset, message: text)
    }
}
