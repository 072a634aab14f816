import Completions
import Failover
import Foundation

extension TelemetryEvent {
    /// One provider call, or one route skipped (`circuit_open`), and the decision that followed.
    package struct Attempt: Sendable, Hashable, JSONWritable {
        package var jobID: String
        package var workload: String
        /// 1-based count of this job's calls and skips.
        package var attempt: Int
        /// The route's position in the job's declared route list.
        package var routeIndex: Int
        package var route: RouteKey
        package var outcome: Outcome
        /// The HTTP status when the provider answered.
        package var httpStatus: Int?
        package var latencyMs: Int
        /// How long the provider asked to wait, when it did.
        package var retryAfterMs: Int?
        package var decision: Decision
        package var at: Date
        /// Cost of this call, when it was billed.
        package var costUSD: Double?
        /// Tokens of this call, when it was billed.
        package var usage: CompletionResponse.Usage?
        /// What the prompt cache saved on this call against plain input prices (negative when
        /// writing the cache cost more than reading saved); `nil` when the cache was not used.
        package var cacheSavingsUSD: Double?
        /// The provider's adapter type (`anthropic`, `openai`, ...).
        package var providerType: String?
        /// The provider's own error type (`overloaded_error`, ...).
        package var providerErrorType: String?
        /// The failure's message; never a key, a token or a header.
        package var errorMessage: String?
        /// A realtime call, or one request of a provider batch.
        package var mode: JobResult.Mode = .realtime

        package init(
            jobID: String,
            workload: String,
            attempt: Int,
            routeIndex: Int,
            route: RouteKey,
            outcome: Outcome,
            httpStatus: Int? = nil,
            latencyMs: Int,
            retryAfterMs: Int? = nil,
            decision: Decision,
            at: Date,
            costUSD: Double? = nil,
            usage: CompletionResponse.Usage? = nil,
            cacheSavingsUSD: Double? = nil,
            providerType: String? = nil,
            providerErrorType: String? = nil,
            errorMessage: String? = nil
        ) {
            self.jobID = jobID
            self.workload = workload
            self.attempt = attempt
            self.routeIndex = routeIndex
            self.route = route
            self.outcome = outcome
            self.httpStatus = httpStatus
            self.latencyMs = latencyMs
            self.retryAfterMs = retryAfterMs
            self.decision = decision
            self.at = at
            self.costUSD = costUSD
            self.usage = usage
            self.cacheSavingsUSD = cacheSavingsUSD
            self.providerType = providerType
            self.providerErrorType = providerErrorType
            self.errorMessage = errorMessage
        }

        package func write(to writer: inout JSONWriter) {
            writer.beginObject()
            writer.member("event", "attempt")
            writer.member("job_id", jobID)
            writer.member("workload", workload)
            writer.member("attempt", attempt)
            writer.member("route_index", routeIndex)
            writer.member("provider", route.provider)
            writer.member("model", route.model)
            writer.member("outcome", outcome.rawValue)
            writer.member("http_status", orNull: httpStatus)
            writer.member("latency_ms", latencyMs)
            writer.member("retry_after_ms", orNull: retryAfterMs)
            writer.member("decision", decision.rawValue)
            writer.member("at", RFC3339.string(from: at))
            writer.member("cost_usd", ifPresent: costUSD)
            if let usage {
                writer.key("usage")
                writer.value(usage)
            }
            if let cacheSavingsUSD, cacheSavingsUSD.isFinite { writer.member("cache_savings_usd", cacheSavingsUSD) }
            writer.member("provider_type", ifPresent: providerType)
            writer.member("provider_error_type", ifPresent: providerErrorType)
            writer.member("error_message", ifPresent: errorMessage)
            // Absent reads as realtime (see JobResult).
            if mode == .batch { writer.member("mode", mode.rawValue) }
            writer.endObject()
        }
    }
}
