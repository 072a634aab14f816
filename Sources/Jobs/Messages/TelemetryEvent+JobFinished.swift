import Completions
import Foundation

extension TelemetryEvent {
    /// One finished job: the dashboard's view of its result.
    public struct JobFinished: Sendable, Hashable, Encodable {
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

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: WireKey.self)
            try container.encode("job", forKey: WireKey("event"))
            try container.encode(jobID, forKey: WireKey("job_id"))
            try container.encode(workload, forKey: WireKey("workload"))
            try container.encode(succeeded ? "succeeded" : "failed", forKey: WireKey("status"))
            try container.encodeServedBy(servedBy, forKey: WireKey("served_by"))
            try container.encode(attempts, forKey: WireKey("attempts"))
            try container.encode(fallbackUsed, forKey: WireKey("fallback_used"))
            try container.encode(latencyMs, forKey: WireKey("latency_ms"))
            try container.encode(costUSD, forKey: WireKey("cost_usd"))
            try container.encode(RFC3339.string(from: at), forKey: WireKey("at"))
            try container.encodeIfPresent(errorClass?.rawValue, forKey: WireKey("error_class"))
            try container.encodeIfPresent(queueMs, forKey: WireKey("queue_ms"))
        }
    }
}
