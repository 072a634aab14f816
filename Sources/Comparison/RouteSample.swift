import Completions

/// One job's attempt on one route during a comparison: the raw observation that
/// ``RouteSummary`` aggregates and ``TextSimilarity`` / ``FieldAgreement`` compare across routes.
///
/// A plain record: it checks nothing. Values that are not measurements are tolerated downstream
/// (a NaN latency is left out of the percentiles, a NaN or infinite cost is treated as unknown).
package struct RouteSample: Sendable, Hashable {
    /// The job the attempt answered; samples of different routes pair up on it.
    package var jobId: String
    /// The route's provider (`claude-azure`).
    package var provider: String
    /// The route's model (`claude-sonnet-4-5`).
    package var model: String
    /// How the call ended.
    package var outcome: Outcome
    /// How long the call took, in milliseconds.
    package var latencyMs: Double
    /// What the call cost in US dollars, `nil` when unknown (no price for the model).
    package var costUSD: Double?
    /// The answer's text, `nil` when there is none (a failed call).
    package var output: String?
    /// For a `json_schema` job, whether the answer satisfied the schema; `nil` for other jobs.
    package var schemaValid: Bool?

    package init(
        jobId: String, provider: String, model: String, outcome: Outcome, latencyMs: Double, costUSD: Double? = nil,
        output: String? = nil, schemaValid: Bool? = nil
    ) {
        self.jobId = jobId
        self.provider = provider
        self.model = model
        self.outcome = outcome
        self.latencyMs = latencyMs
        self.costUSD = costUSD
        self.output = output
        self.schemaValid = schemaValid
    }

    /// The route as reports name it: `provider/model`.
    package var route: String { "\(provider)/\(model)" }
}
