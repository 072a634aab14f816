import Completions
import Foundation

extension TelemetryEvent {
    /// One provider call, or one route skipped (`circuit_open`), and the decision that followed.
    public struct Attempt: Sendable, Hashable, Encodable {
        public var jobID: String
        public var workload: String
        /// 1-based count of this job's calls and skips.
        public var attempt: Int
        /// The route's position in the job's declared route list.
        public var routeIndex: Int
        public var route: RouteName
        public var outcome: Outcome
        /// The HTTP status when the provider answered.
        public var httpStatus: Int?
        public var latencyMs: Int
        /// How long the provider asked to wait, when it did.
        public var retryAfterMs: Int?
        public var decision: Decision
        public var at: Date
        /// Cost of this call, when it was billed.
        public var costUSD: Double?
        /// Tokens of this call, when it was billed.
        public var usage: CompletionResponse.Usage?
        /// The provider's adapter type (`anthropic`, `openai`, ...).
        public var providerType: String?
        /// The provider's own error type (`overloaded_error`, ...).
        public var providerErrorType: String?
        /// The failure's message; never a key, a token or a header.
        public var errorMessage: String?

        public init(
            jobID: String,
            workload: String,
            attempt: Int,
            routeIndex: Int,
            route: RouteName,
            outcome: Outcome,
            httpStatus: Int? = nil,
            latencyMs: Int,
            retryAfterMs: Int? = nil,
            decision: Decision,
            at: Date,
            costUSD: Double? = nil,
            usage: CompletionResponse.Usage? = nil,
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
            self.providerType = providerType
            self.providerErrorType = providerErrorType
            self.errorMessage = errorMessage
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: WireKey.self)
            try container.encode("attempt", forKey: WireKey("event"))
            try container.encode(jobID, forKey: WireKey("job_id"))
            try container.encode(workload, forKey: WireKey("workload"))
            try container.encode(attempt, forKey: WireKey("attempt"))
            try container.encode(routeIndex, forKey: WireKey("route_index"))
            try container.encode(route.provider, forKey: WireKey("provider"))
            try container.encode(route.model, forKey: WireKey("model"))
            try container.encode(outcome.rawValue, forKey: WireKey("outcome"))
            try container.encode(httpStatus, forKey: WireKey("http_status"))
            try container.encode(latencyMs, forKey: WireKey("latency_ms"))
            try container.encode(retryAfterMs, forKey: WireKey("retry_after_ms"))
            try container.encode(decision.rawValue, forKey: WireKey("decision"))
            try container.encode(RFC3339.string(from: at), forKey: WireKey("at"))
            try container.encodeIfPresent(costUSD, forKey: WireKey("cost_usd"))
            if let usage {
                var object = container.nestedContainer(keyedBy: WireKey.self, forKey: WireKey("usage"))
                try object.encode(usage.inputTokens, forKey: WireKey("input_tokens"))
                try object.encode(usage.outputTokens, forKey: WireKey("output_tokens"))
            }
            try container.encodeIfPresent(providerType, forKey: WireKey("provider_type"))
            try container.encodeIfPresent(providerErrorType, forKey: WireKey("provider_error_type"))
            try container.encodeIfPresent(errorMessage, forKey: WireKey("error_message"))
        }
    }
}
