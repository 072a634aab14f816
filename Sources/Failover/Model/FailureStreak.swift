/// A route's failures in a row on this process while its breaker is closed: what shared route
/// health tells the rest of the fleet (``FailoverEngine/failureStreaks()``).
package struct FailureStreak: Sendable, Hashable {
    /// Calls that failed in a row, counting against the breaker (at least 1).
    package var failures: Int
    /// How long ago a call to the route last succeeded here; `nil`: never, since this process
    /// started.
    package var sinceSuccess: Duration?

    package init(failures: Int, sinceSuccess: Duration? = nil) {
        self.failures = failures
        self.sinceSuccess = sinceSuccess
    }
}
