import Failover
import Foundation
import Jobs
import Kafka

/// A job waiting for a provider batch, as a record of the batch-state topic: the job message's
/// value and trace headers unchanged, plus the lane's marks in headers. Keyed `job:<origin>`
/// (the job message's `topic/partition/offset`, unique), so compaction keeps one record per job
/// until its tombstone says it was served. It goes to the partition of the job message's number.
struct BatchEntry: Sendable, Hashable {
    /// Header names (numbers are decimal milliseconds since the epoch).
    enum Header {
        static let workload = "understudy.batch.workload"
        static let provider = "understudy.batch.provider"
        static let model = "understudy.batch.model"
        /// When the job must have its answer.
        static let deadline = "understudy.batch.deadline_ms"
        /// When the job message was enqueued (its timestamp).
        static let enqueued = "understudy.batch.enqueued_ms"
        static let all = [workload, provider, model, deadline, enqueued]
    }

    /// Record keys: `job:<origin>`, `batch:<group>`, `owner:<partition>`.
    enum Key {
        static let job = "job:"
        static let batch = "batch:"
        static let owner = "owner:"
    }

    /// `topic/partition/offset` of the job message.
    var origin: String
    var partition: Int32
    var workload: String
    /// The batch route the job waits for.
    var route: RouteKey
    var deadlineMs: Int64
    var enqueuedMs: Int64
    /// The job message's value (the job) and the headers carried over (trace context).
    var value: [UInt8]
    var headers: [KafkaHeader]

    /// `topic/partition/offset` of `message`.
    static func origin(of message: KafkaMessage) -> String {
        "\(message.topic)/\(message.partition)/\(message.offset)"
    }

    /// The entry for `message` (whose job is of `workload`), on its way to `route`.
    init(message: KafkaMessage, workload: String, route: RouteKey, deadlineMs: Int64, nowMs: Int64) {
        origin = Self.origin(of: message)
        partition = message.partition
        self.workload = workload
        self.route = route
        self.deadlineMs = deadlineMs
        enqueuedMs = message.timestampMilliseconds.map { min($0, nowMs) } ?? nowMs
        value = message.value
        headers = message.headers.filter { JobProcessor.traceHeaderNames.contains($0.name) }
    }

    /// The record that carries the entry to `topic`.
    func record(topic: String) -> KafkaRecord {
        var headers = headers
        headers.append(KafkaHeader(name: Header.workload, text: workload))
        headers.append(KafkaHeader(name: Header.provider, text: route.provider))
        headers.append(KafkaHeader(name: Header.model, text: route.model))
        headers.append(KafkaHeader(name: Header.deadline, text: String(deadlineMs)))
        headers.append(KafkaHeader(name: Header.enqueued, text: String(enqueuedMs)))
        return KafkaRecord(topic: topic, partition: partition, key: Array((Key.job + origin).utf8), value: value, headers: headers)
    }

    /// The tombstone that says the entry's job was served (its result published).
    func tombstone(topic: String) -> KafkaRecord {
        KafkaRecord(topic: topic, partition: partition, key: Array((Key.job + origin).utf8), value: nil)
    }

    /// The entry a record of the batch-state topic carries; `nil` when a mark is missing or
    /// malformed (anyone who can write to the topic can write these headers: a deadline is read
    /// as at most the longest a job may ask for after `nowMs`).
    static func read(_ message: KafkaMessage, origin: String, nowMs: Int64) -> BatchEntry? {
        let headers = message.headers
        guard origin.utf8.count <= 1_024, !message.value.isEmpty,
            let workload = headers.text(Header.workload), let provider = headers.text(Header.provider),
            let model = headers.text(Header.model),
            let deadline = headers.text(Header.deadline).flatMap(Int64.init), deadline >= 0,
            let enqueued = headers.text(Header.enqueued).flatMap(Int64.init), enqueued >= 0
        else { return nil }
        return BatchEntry(
            origin: origin, partition: message.partition, workload: workload, route: RouteKey(provider: provider, model: model),
            deadlineMs: min(deadline, nowMs &+ Int64(JobLimits.hardMaxDeadlineMs)), enqueuedMs: enqueued, value: message.value,
            headers: headers.filter { JobProcessor.traceHeaderNames.contains($0.name) })
    }

    private init(
        origin: String, partition: Int32, workload: String, route: RouteKey, deadlineMs: Int64, enqueuedMs: Int64, value: [UInt8],
        headers: [KafkaHeader]
    ) {
        self.origin = origin
        self.partition = partition
        self.workload = workload
        self.route = route
        self.deadlineMs = deadlineMs
        self.enqueuedMs = enqueuedMs
        self.value = value
        self.headers = headers
    }

    /// The job message again, as the realtime path reads it (its timestamp the enqueue time).
    var message: KafkaMessage {
        let parts = origin.split(separator: "/")
        let offset = parts.last.flatMap { Int64($0) } ?? 0
        let topic = parts.count >= 3 ? parts.dropLast(2).joined(separator: "/") : origin
        return KafkaMessage(
            topic: topic, partition: partition, offset: offset, key: nil, value: value, headers: headers, timestampMilliseconds: enqueuedMs)
    }
}
