import Completions
import Failover

/// How the contract builds the engine's policy: the defaults (``PolicyDefaults``), overridden by a
/// workload's `policy` in the config, overridden in turn by the job's `routing` fields
/// (``Job/Routing``). The policy the engine runs is the one the config and the job describe; there
/// is no second copy of it to convert.
extension FailoverPolicy {
    /// Every default.
    package static let defaults = FailoverPolicy()

    /// The outcomes `fail_over_on` may name: every failure class (not `ok`, `circuit_open`, `cancelled`).
    package static let failOverOutcomes: [Outcome] = [
        .timeout, .connection, .rateLimited, .overloaded, .serverError, .clientError, .authError, .invalidOutput,
    ]

    /// This policy with every field the job's `routing` sets taken from it.
    package func overridden(by routing: Job.Routing) -> FailoverPolicy {
        var policy = self
        if let value = routing.maxAttempts { policy.maxAttempts = value }
        if let value = routing.attemptTimeoutMs { policy.attemptTimeout = .milliseconds(value) }
        if let value = routing.deadlineMs { policy.deadline = .milliseconds(value) }
        if let value = routing.hedgeAfterMs { policy.hedgeAfter = .milliseconds(value) }
        if let value = routing.failOverOn { policy.failOverOn = Set(value) }
        return policy
    }

    /// Reads a `fail_over_on` list: failure outcomes, none twice.
    static func readFailOverOn(_ value: JSONValue, _ path: FieldPath) throws(FieldError) -> [Outcome] {
        let names = failOverOutcomes.map(\.rawValue)
        let outcomes = try Read.array(
            Read.oneOf(names) { name in
                failOverOutcomes.first { $0.rawValue == name }
            })(value, path)
        var seen: Set<Outcome> = []
        for (index, outcome) in outcomes.enumerated() where !seen.insert(outcome).inserted {
            throw .invalid(path.appending(index: index), "\"\(outcome.rawValue)\" is listed twice")
        }
        return outcomes
    }
}
