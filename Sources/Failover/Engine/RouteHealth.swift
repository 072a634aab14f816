/// The shared health of one route (`provider/model`): its breaker, its latency, and what the rest
/// of the fleet says of it.
struct RouteHealth: Sendable {
    var breaker: CircuitBreaker
    var latency: LatencyTracker
    /// Until when the fleet keeps this process off the route (a breaker another worker opened, or
    /// a probe another worker is making); `nil` or past: no hold. See ``FailoverEngine/holdRoute(_:for:)``.
    var fleetHold: Duration?
    /// When a call to the route last succeeded here: this process's own fresh evidence.
    var lastSuccess: Duration?
    /// The failures in a row the rest of the fleet reports on the route (the sum of each other
    /// live worker's current streak). See ``FailoverEngine/fleetFailures(_:count:)``.
    var fleetFailures = 0

    /// Opens the breaker when this process's failures in a row and the rest of the fleet's
    /// together reach the breaker's threshold, so N workers trip after about one worker's worth
    /// of failed calls, not N times it. Only while this process's own last call failed too (its
    /// own evidence agrees); a success here resets its streak and with it this trip.
    mutating func tripOnFleetEvidence(at now: Duration) -> CircuitState? {
        let own = breaker.consecutiveFailureCount
        guard breaker.state == .closed, own > 0, fleetFailures > 0,
            own + fleetFailures >= max(1, breaker.configuration.consecutiveFailures)
        else { return nil }
        return breaker.trip(at: now)
    }

    /// Whether a call could go through at `now`: the fleet's hold first, then the breaker.
    func availability(at now: Duration) -> CircuitBreaker.Availability {
        if let hold = fleetHold, now < hold { return .unavailable(until: hold) }
        return breaker.availability(at: now)
    }

    /// Asks the breaker for a call at `now`, unless the fleet holds the route.
    mutating func acquire(at now: Duration) -> (permission: CircuitBreaker.Permission, change: CircuitState?) {
        if let hold = fleetHold, now < hold { return (.rejected(until: hold), nil) }
        return breaker.acquire(at: now)
    }
}
