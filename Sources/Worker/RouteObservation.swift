import Comparison
import Completions
import Failover

/// How one job's run on one route ended, as a comparison records it: the outcome (`ok`, or the
/// class of the last failed call) and, for a `json_schema` job, whether the answer passed the
/// engine's output check. `compare` and shadow calls read their runs the same way through it.
package struct RouteObservation: Sendable, Hashable {
    package var outcome: Outcome
    /// `true` when the answer passed the output check, `false` when an answer failed it, `nil`
    /// for a text job or a run that failed otherwise (it says nothing about the schema).
    package var schemaValid: Bool?

    /// Reads the run that produced `result`, whose attempts `events` collected.
    package init(result: FailoverResult, events: JobEvents, isJSON: Bool) {
        // The last call's outcome; a skip after it (its breaker opened) is not what the route answered.
        let attempts = events.attempts
        outcome =
            result.status == .succeeded ? .ok : (attempts.last { $0.outcome != .circuitOpen } ?? attempts.last)?.outcome ?? .cancelled
        schemaValid =
            if !isJSON { nil } else if outcome == .ok { true } else if events.attempts.contains(where: { $0.outcome == .invalidOutput }) {
                false
            } else { nil }
    }

    /// The sample a comparison keeps of this run.
    package func sample(job: String, route: RouteKey, result: FailoverResult) -> RouteSample {
        RouteSample(
            jobId: job, provider: route.provider, model: route.model, outcome: outcome,
            latencyMs: Double(result.latency.milliseconds), costUSD: result.costUSD, output: result.response?.text,
            schemaValid: schemaValid
        )
    }
}
