import Completions

/// How the engine runs a job: attempts, timeouts, deadline, hedging, which outcomes may move it on,
/// and same-route backoff. Built from the defaults below, overridden by a workload's `policy` in the
/// config, overridden in turn by the job's `routing` fields (``Job/Routing``). Every default is
/// taken from ``PolicyDefaults``, the one place it is written.
public struct WorkloadPolicy: Sendable, Hashable {
    /// Attempts across all routes (a route skipped for an open breaker is not an attempt).
    /// Default ``PolicyDefaults/maxAttempts``.
    public var maxAttempts: Int
    /// Limit of one provider call, in milliseconds. Default ``PolicyDefaults/attemptTimeoutMs``.
    public var attemptTimeoutMs: Int
    /// Limit of the whole job from when the worker starts it, in milliseconds. Default
    /// ``PolicyDefaults/deadlineMs``.
    public var deadlineMs: Int
    /// Start the next route in parallel when an attempt has not answered after this many
    /// milliseconds; `nil` (the default) never hedges.
    public var hedgeAfterMs: Int?
    /// Outcomes that may move the job on (retry or fail over); any other outcome ends it.
    public var failOverOn: Set<Outcome>
    /// Longest `retry-after` worth waiting for on the same route before failing over. Default
    /// ``PolicyDefaults/maxRetryWaitMs``.
    public var maxRetryWaitMs: Int
    /// First same-route backoff step (full jitter), in milliseconds. Default ``PolicyDefaults/backoffBaseMs``.
    public var backoffBaseMs: Int
    /// Largest same-route backoff, in milliseconds. Default ``PolicyDefaults/backoffCapMs``.
    public var backoffCapMs: Int

    public init(
        maxAttempts: Int = PolicyDefaults.maxAttempts,
        attemptTimeoutMs: Int = PolicyDefaults.attemptTimeoutMs,
        deadlineMs: Int = PolicyDefaults.deadlineMs,
        hedgeAfterMs: Int? = nil,
        failOverOn: Set<Outcome> = PolicyDefaults.failOverOn,
        maxRetryWaitMs: Int = PolicyDefaults.maxRetryWaitMs,
        backoffBaseMs: Int = PolicyDefaults.backoffBaseMs,
        backoffCapMs: Int = PolicyDefaults.backoffCapMs
    ) {
        self.maxAttempts = maxAttempts
        self.attemptTimeoutMs = attemptTimeoutMs
        self.deadlineMs = deadlineMs
        self.hedgeAfterMs = hedgeAfterMs
        self.failOverOn = failOverOn
        self.maxRetryWaitMs = maxRetryWaitMs
        self.backoffBaseMs = backoffBaseMs
        self.backoffCapMs = backoffCapMs
    }

    /// Every default.
    public static let defaults = WorkloadPolicy()

    /// `timeout`, `connection`, `rate_limited`, `overloaded`, `server_error`, `invalid_output`, `auth_error`
    /// (``PolicyDefaults/failOverOn``).
    public static let defaultFailOverOn: Set<Outcome> = PolicyDefaults.failOverOn

    /// The outcomes `fail_over_on` may name: every failure class (not `ok`, `circuit_open`, `cancelled`).
    public static let failOverOutcomes: [Outcome] = [
        .timeout, .connection, .rateLimited, .overloaded, .serverError, .clientError, .authError, .invalidOutput,
    ]

    /// This policy with every field the job's `routing` sets taken from it.
    public func overridden(by routing: Job.Routing) -> WorkloadPolicy {
        var policy = self
        if let value = routing.maxAttempts { policy.maxAttempts = value }
        if let value = routing.attemptTimeoutMs { policy.attemptTimeoutMs = value }
        if let value = routing.deadlineMs { policy.deadlineMs = value }
        if let value = routing.hedgeAfterMs { policy.hedgeAfterMs = value }
        if let value = routing.failOverOn { policy.failOverOn = Set(value) }
        return policy
    }

    /// ``attemptTimeoutMs`` as a duration.
    public var attemptTimeout: Duration { .milliseconds(attemptTimeoutMs) }
    /// ``deadlineMs`` as a duration.
    public var deadline: Duration { .milliseconds(deadlineMs) }
    /// ``hedgeAfterMs`` as a duration.
    public var hedgeAfter: Duration? { hedgeAfterMs.map { .milliseconds($0) } }
    /// ``maxRetryWaitMs`` as a duration.
    public var maxRetryWait: Duration { .milliseconds(maxRetryWaitMs) }
    /// ``backoffBaseMs`` as a duration.
    public var backoffBase: Duration { .milliseconds(backoffBaseMs) }
    /// ``backoffCapMs`` as a duration.
    public var backoffCap: Duration { .milliseconds(backoffCapMs) }
}

extension WorkloadPolicy {
    /// Reads a `fail_over_on` list: failure outcomes, none twice.
    static func readFailOverOn(_ value: JSONValue, _ path: FieldPath) throws(FieldError) -> [Outcome] {
        let names = failOverOutcomes.map(\.rawValue)
        let outcomes = try Read.array(Read.oneOf(names) { name in
            failOverOutcomes.first { $0.rawValue == name }
        })(value, path)
        var seen: Set<Outcome> = []
        for (index, outcome) in outcomes.enumerated() where !seen.insert(outcome).inserted {
            throw .invalid(path.appending(index: index), "\"\(outcome.rawValue)\" is listed twice")
        }
        return outcomes
    }
}
