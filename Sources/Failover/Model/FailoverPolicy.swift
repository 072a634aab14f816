import Completions

/// The per-job (or per-workload) failover policy: how many calls, how long, and which outcomes
/// may move a job on. Every field has the documented default, taken from ``PolicyDefaults``.
///
/// Guarantees: the engine never makes more than `maxAttempts` calls for one job (hedges
/// included; skipped routes are not calls), never lets a call run past `attemptTimeout` (time
/// spent waiting for a concurrency slot is not counted), and ends the job by `deadline`.
package struct FailoverPolicy: Sendable, Hashable {
    /// The outcomes that may move a job on by default (``PolicyDefaults/failOverOn``). `client_error`
    /// is absent on purpose: a request that is itself wrong fails the job; route-specific client
    /// errors still fail over.
    package static let defaultFailOverOn: Set<Outcome> = PolicyDefaults.failOverOn

    /// Calls across all routes, hedges included (default 4).
    package var maxAttempts: Int
    /// Limit for one call, not counting the wait for a concurrency slot (default 30 s).
    package var attemptTimeout: Duration
    /// Limit for the whole job, from `run` to the result (default 600 s).
    package var deadline: Duration
    /// Start the next route in parallel when a call has not answered by then (default off).
    package var hedgeAfter: Duration?
    /// Outcomes that may retry or fail over; any other failure ends the job (`not_retryable`).
    package var failOverOn: Set<Outcome>
    /// The longest `retry-after` the engine waits out on the same route (default 2 s); a longer
    /// one fails over at once and cools the route down for as long as asked.
    package var maxRetryWait: Duration
    /// First same-route backoff step (default 200 ms); steps double up to `backoffCap`.
    package var backoffBase: Duration
    /// Largest backoff step (default 10 s).
    package var backoffCap: Duration
    /// A route whose recent latency exceeds this is demoted behind healthy routes (default off).
    package var slowAfter: Duration?
    /// Whether the job waits, within its deadline, for a route to come back when every route is
    /// unavailable (default true: live jobs wait out an outage). Shadow calls do not wait.
    package var waitsForRoutes = true

    package init(
        maxAttempts: Int = PolicyDefaults.maxAttempts,
        attemptTimeout: Duration = .milliseconds(PolicyDefaults.attemptTimeoutMs),
        deadline: Duration = .milliseconds(PolicyDefaults.deadlineMs),
        hedgeAfter: Duration? = nil,
        failOverOn: Set<Outcome> = FailoverPolicy.defaultFailOverOn,
        maxRetryWait: Duration = .milliseconds(PolicyDefaults.maxRetryWaitMs),
        backoffBase: Duration = .milliseconds(PolicyDefaults.backoffBaseMs),
        backoffCap: Duration = .milliseconds(PolicyDefaults.backoffCapMs),
        slowAfter: Duration? = nil
    ) {
        self.maxAttempts = maxAttempts
        self.attemptTimeout = attemptTimeout
        self.deadline = deadline
        self.hedgeAfter = hedgeAfter
        self.failOverOn = failOverOn
        self.maxRetryWait = maxRetryWait
        self.backoffBase = backoffBase
        self.backoffCap = backoffCap
        self.slowAfter = slowAfter
    }
}
