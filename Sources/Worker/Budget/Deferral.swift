import Completions
import Failover
import Foundation
import Jobs
import Kafka

/// A job that waits for its workload's budget, as a record of the deferred topic: the job
/// message's key, value and headers unchanged, plus when it may run again and when it must have
/// run (its deadline), in headers. It goes to the partition of the same number as the one it
/// came from, so jobs of one key stay in their order.
struct Deferral: Sendable, Equatable {
    /// Header names (values are decimal milliseconds since the epoch, or text).
    enum Header {
        /// Not to run before this instant (the window's end, or the deadline if that is sooner).
        static let notBefore = "understudy.budget.not_before_ms"
        /// The job's deadline: enqueued at plus its `deadline_ms`, or its `expires_at` if sooner.
        static let deadline = "understudy.budget.deadline_ms"
        /// `topic/partition/offset` of the job message it was first read as.
        static let origin = "understudy.budget.origin"
        static let all = [notBefore, deadline, origin]
    }

    var notBeforeMs: Int64
    var deadlineMs: Int64
    var origin: String

    /// The marks of a deferred record; `nil` when a header is missing or malformed (such a
    /// record is treated as ready, with the deadline computed afresh). Anyone who can write to
    /// the deferred topic can write these headers, so a deadline is read as at most the longest
    /// a job may ask for (``JobLimits/hardMaxDeadlineMs``) after `nowMs`, and a not-before as at
    /// most the deadline: no header keeps a job, or the partition behind it, waiting longer.
    static func read(_ headers: [KafkaHeader], nowMs: Int64) -> Deferral? {
        guard let notBefore = headers.text(Header.notBefore).flatMap(Int64.init), notBefore >= 0,
            let deadline = headers.text(Header.deadline).flatMap(Int64.init), deadline >= 0,
            let origin = headers.text(Header.origin), origin.utf8.count <= 1_024
        else { return nil }
        let boundedDeadline = min(deadline, nowMs &+ Int64(JobLimits.hardMaxDeadlineMs))
        return Deferral(notBeforeMs: min(notBefore, boundedDeadline), deadlineMs: boundedDeadline, origin: origin)
    }

    /// When `job`, read from `message`, must have run: enqueued at (the message's timestamp, or
    /// `nowMs`) plus its deadline, or its `expires_at` if sooner.
    static func deadline(of job: Job, message: KafkaMessage, nowMs: Int64) -> Int64 {
        let enqueued = message.timestampMilliseconds.map { min($0, nowMs) } ?? nowMs
        var deadline = enqueued &+ Int64(clamping: job.policy.deadline.milliseconds)
        if let expiresAt = job.expiresAt {
            let seconds = expiresAt.timeIntervalSince1970
            if seconds.isFinite, seconds > 0, seconds < 253_402_300_799 { deadline = min(deadline, Int64(seconds * 1_000)) }
        }
        return deadline
    }

    /// The record that carries `message` to `topic` with these marks (earlier marks replaced).
    func record(of message: KafkaMessage, topic: String) -> KafkaRecord {
        var headers = message.headers.filter { !Header.all.contains($0.name) }
        headers.append(KafkaHeader(name: Header.notBefore, text: String(notBeforeMs)))
        headers.append(KafkaHeader(name: Header.deadline, text: String(deadlineMs)))
        headers.append(KafkaHeader(name: Header.origin, text: origin))
        return KafkaRecord(topic: topic, partition: message.partition, key: message.key, value: message.value, headers: headers)
    }
}
