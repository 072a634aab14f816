import Completions
import Failover
import Foundation

extension TelemetryEvent {
    /// One finished job: the dashboard's view of its result.
    public struct JobFinished: Sendable, Hashable, JSONWritable {
        public var jobID: String
        public var workload: String
        /// `succeeded` or `failed`.
        public var succeeded: Bool
        public var servedBy: JobResult.ServedBy?
        public var attempts: Int
        public var latencyMs: Int
        public var costUSD: Double
        public var at: Date
        /// The failure class of a failed job.
        public var errorClass: JobResult.Failure.ErrorClass?
        public var queueMs: Int?

        public init(
            jobID: String,
            workload: String,
            succeeded: Bool,
            servedBy: JobResult.ServedBy?,
            attempts: Int,
            latencyMs: Int,
            costUSD: Double,
            at: Date,
            errorClass: JobResult.Failure.ErrorClass? = nil,
            queueMs: Int? = nil
        ) {
            self.jobID = jobID
            self.workload = workload
            self.succeeded = succeeded
            self.servedBy = servedBy
            self.attempts = attempts
            self.latencyMs = latencyMs
            self.costUSD = costUSD
            self.at = at
            self.errorClass = errorClass
            self.queueMs = queueMs
        }

        /// The event of `result`, stamped with its `completed_at`.
        public init(_ result: JobResult) {
            self.init(
                jobID: result.jobID,
                workload: result.workload,
                succeeded: result.failure == nil,
                servedBy: result.servedBy,
                attempts: result.attempts,
                latencyMs: result.latencyMs,
                costUSD: result.costUSD,
                at: result.completedAt,
                errorClass: result.failure?.errorClass,
                queueMs: result.queueMs
            )
        }

        /// True when a route other than the job's first answered.
        public var fallbackUsed: Bool {
            (servedBy?.routeIndex ?? 0) != 0
        }

        public func write(to writer: inout JSONWriter) {
            writer.beginObject()
            writer.member("event", "job")
            writer.member("job_id", jobID)
            writer.member("workload", workload)
            writer.member("status", succeeded ? "succeeded" : "failed")
            writer.key("served_by")
            writer.value(servedBy)
            writer.member("attempts", attempts)
            writer.member("fallback_used", fallbackUsed)
            writer.member("latency_ms", latencyMs)
            writer.member("cost_usd", costUSD)
            writer.member("at", RFC3339.string(from: at))
            writer.member("error_class", ifPresent: errorClass?.rawValue)
            writer.member("queue_ms", ifPresent: queueMs)
            writer.endObject()
        }
    }
}
