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
            context.onDelivery = { message in DeliveryTicket.complete(message) }
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
        let group = DeliveryGroup(count: 1)
        try await enqueue(record, ticket: DeliveryTicket(group: group, index: 0))
        let result = await group.wait()[0]
        return try result.get()
    }

    /// Produces every record, then waits until each has been acknowledged or has failed; the
    /// results are in the order of `records`. A record that could not even be queued fails alone.
    public func send(_ records: [KafkaRecord]) async -> [Result<KafkaDeliveryReport, KafkaError>] {
        guard !records.isEmpty else { return [] }
        let group = DeliveryGroup(count: records.count)
        for (index, record) in records.enumerated() {
            let ticket = DeliveryTicket(group: group, index: index)
            do {
                try await enqueue(record, ticket: ticket)
            } catch {
                group.complete(index: index, with: .failure(error))
            }
        }
        return await group.wait()
    }

    /// Queues one record in librdkafka, waiting for room when the local queue is full.
    private func enqueue(_ record: KafkaRecord, ticket: DeliveryTicket) async throws(KafkaError) {
        let opaque = Unmanaged.passRetained(ticket).toOpaque()
        while true {
            let error = produce(record, opaque: opaque)
            guard let error else { return }
            if error.code == .queueFull {
                try? await Task.sleep(for: .milliseconds(2))
                continue
            }
            Unmanaged<DeliveryTicket>.fromOpaque(opaque).release()
            throw error
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

    /// One `rd_kafka_produceva` call; `nil` when the record was queued.
    private func produce(_ record: KafkaRecord, opaque: UnsafeMutableRawPointer) -> KafkaError? {
        guard let handle = client.handle, let topic = topicHandle(record.topic) else {
            return KafkaError(code: .state, message: "producer is closed")
        }
        let headerNames = record.headers.map { strdup($0.name) }
        defer { for name in headerNames { free(name) } }
        return withOptionalBytes(record.key) { key in
            withOptionalBytes(record.value) { value in
                var fields: [rd_kafka_vu_t] = []
                fields.reserveCapacity(6 + record.headers.count)
                var vu = rd_kafka_vu_t()
                vu.vtype = RD_KAFKA_VTYPE_RKT
                vu.u.rkt = topic
                fields.append(vu)
                vu = rd_kafka_vu_t()
                vu.vtype = RD_KAFKA_VTYPE_PARTITION
                vu.u.i32 = record.partition ?? RD_KAFKA_PARTITION_UA
                fields.append(vu)
                vu = rd_kafka_vu_t()
                vu.vtype = RD_KAFKA_VTYPE_MSGFLAGS
                vu.u.i = RD_KAFKA_MSG_F_COPY
                fields.append(vu)
                if let key {
                    vu = rd_kafka_vu_t()
                    vu.vtype = RD_KAFKA_VTYPE_KEY
                    vu.u.mem.ptr = UnsafeMutableRawPointer(mutating: key.baseAddress)
                    vu.u.mem.size = key.count
                    fields.append(vu)
                }
                if let value {
                    vu = rd_kafka_vu_t()
                    vu.vtype = RD_KAFKA_VTYPE_VALUE
                    vu.u.mem.ptr = UnsafeMutableRawPointer(mutating: value.baseAddress)
                    vu.u.mem.size = value.count
                    fields.append(vu)
                }
                vu = rd_kafka_vu_t()
                vu.vtype = RD_KAFKA_VTYPE_OPAQUE
                vu.u.ptr = opaque
                fields.append(vu)
                return withHeaderFields(record.headers, names: headerNames, fields: fields) { fields in
                    guard let error = rd_kafka_produceva(handle, fields.baseAddress, fields.count) else { return nil }
                    return KafkaError(consuming: error, context: "produce to \(record.topic)")
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

/// Appends one `RD_KAFKA_VTYPE_HEADER` field per header (values stay pinned for the call).
private func withHeaderFields<R>(
    _ headers: [KafkaHeader], names: [UnsafeMutablePointer<CChar>?], fields: [rd_kafka_vu_t],
    index: Int = 0, _ body: (UnsafeBufferPointer<rd_kafka_vu_t>) -> R
) -> R {
    if index == headers.count {
        return fields.withUnsafeBufferPointer(body)
    }
    var fields = fields
    return withOptionalBytes(headers[index].value) { value in
        var vu = rd_kafka_vu_t()
        vu.vtype = RD_KAFKA_VTYPE_HEADER
        vu.u.header.name = UnsafePointer(names[index])
        vu.u.header.val = UnsafeRawPointer(value?.baseAddress)
        vu.u.header.size = value.map { $0.count } ?? -1
        fields.append(vu)
        return withHeaderFields(headers, names: names, fields: fields, index: index + 1, body)
    }
}

/// The per-record context behind librdkafka's `msg_opaque`: which group and slot to complete.
/// Retained when queued, released by the delivery callback.
final class DeliveryTicket: Sendable {
    let group: DeliveryGroup
    let index: Int

    init(group: DeliveryGroup, index: Int) {
        self.group = group
        self.index = index
    }

    /// Called on the poll thread for each delivery report.
    static func complete(_ message: UnsafePointer<rd_kafka_message_t>) {
        guard let opaque = message.pointee._private else { return }
        let ticket = Unmanaged<DeliveryTicket>.fromOpaque(opaque).takeRetainedValue()
        let m = message.pointee
        let result: Result<KafkaDeliveryReport, KafkaError>
        if m.err == RD_KAFKA_RESP_ERR_NO_ERROR {
            let topic = m.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
            result = .success(KafkaDeliveryReport(topic: topic, partition: m.partition, offset: m.offset))
        } else {
            var error = KafkaError(m.err, context: "delivery failed")
            if let text = rd_kafka_message_errstr(message) { error.message = "delivery failed: \(String(cString: text))" }
            result = .failure(error)
        }
        ticket.group.complete(index: ticket.index, with: result)
    }
}

/// Collects the delivery results of a set of records and wakes the sender when all are in.
final class DeliveryGroup: Sendable {
    private struct State {
        var results: [Result<KafkaDeliveryReport, KafkaError>?]
        var remaining: Int
        var waiter: CheckedContinuation<[Result<KafkaDeliveryReport, KafkaError>], Never>?
    }

    private let state: Mutex<State>

    init(count: Int) {
        state = Mutex(State(results: Array(repeating: nil, count: count), remaining: count, waiter: nil))
    }

    func complete(index: Int, with result: Result<KafkaDeliveryReport, KafkaError>) {
        let resume = state.withLock { state -> (CheckedContinuation<[Result<KafkaDeliveryReport, KafkaError>], Never>, [Result<KafkaDeliveryReport, KafkaError>])? in
            guard state.results[index] == nil else { return nil }
            state.results[index] = result
            state.remaining -= 1
            guard state.remaining == 0, let waiter = state.waiter else { return nil }
            state.waiter = nil
            return (waiter, state.results.compactMap { $0 })
        }
        if let (waiter, results) = resume { waiter.resume(returning: results) }
    }

    func wait() async -> [Result<KafkaDeliveryReport, KafkaError>] {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> [Result<KafkaDeliveryReport, KafkaError>]? in
                if state.remaining == 0 { return state.results.compactMap { $0 } }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
