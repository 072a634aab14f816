import Completions
import Failover
import Foundation

extension TelemetryEvent {
    /// One finished job: the dashboard's view of its result.
    package struct JobFinished: Sendable, Hashable, JSONWritable {
        package var jobID: String
        package var workload: String
        /// `succeeded` or `failed`.
        package var succeeded: Bool
        package var servedBy: JobResult.ServedBy?
        package var attempts: Int
        package var latencyMs: Int
        package var costUSD: Double
        package var at: Date
        /// The failure class of a failed job.
        package var errorClass: JobResult.Failure.ErrorClass?
        package var queueMs: Int?

        package init(
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
        package init(_ result: JobResult) {
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
        package var fallbackUsed: Bool {
            (servedBy?.routeIndex ?? 0) != 0
        }

        package func write(to writer: inout JSONWriter) {
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
