import Completions

/// The breaker of one route, as a value-type state machine with no I/O: it takes events with
/// `now` (a duration since any fixed origin) and returns decisions and state changes.
///
/// - Closed: calls flow. It opens after `consecutiveFailures` failures in a row, or when the
///   failure ratio over the sliding `window` reaches `failureRatio` with at least `minimumCalls`.
/// - Open: calls are refused until the cooldown ends. Each trip in a row doubles the cooldown,
///   from `cooldown` up to `maxCooldown`. ``trip(at:)`` opens at once (auth errors);
///   ``coolDown(for:at:)`` opens for exactly as long as a provider asked (a 429 reset), without
///   growing the next cooldown.
/// - Half-open: after the cooldown, up to `halfOpenProbes` probe calls go through; a success
///   closes the breaker, a failed probe reopens it with a longer cooldown.
package struct CircuitBreaker: Sendable, Hashable {
    /// Thresholds. Every default is the config's (`engine.breaker_*`), taken from
    /// ``EngineDefaults``, the one place they are written.
    package struct Configuration: Sendable, Hashable {
        /// Failures in a row that open the breaker (``EngineDefaults/breakerFailures``).
        package var consecutiveFailures: Int
        /// Failure share over `window` that opens the breaker (``EngineDefaults/breakerFailureRatio``).
        package var failureRatio: Double
        /// The sliding window for the ratio (``EngineDefaults/breakerWindowSeconds``).
        package var window: Duration
        /// Calls needed in the window before the ratio counts (``EngineDefaults/breakerMinCalls``).
        package var minimumCalls: Int
        /// First cooldown (``EngineDefaults/breakerCooldownMs``).
        package var cooldown: Duration
        /// Longest cooldown (``EngineDefaults/breakerMaxCooldownMs``).
        package var maxCooldown: Duration
        /// Probe calls let through while half-open (``EngineDefaults/halfOpenProbes``).
        package var halfOpenProbes: Int

        package init(
            consecutiveFailures: Int = EngineDefaults.breakerFailures,
            failureRatio: Double = EngineDefaults.breakerFailureRatio,
            window: Duration = .seconds(EngineDefaults.breakerWindowSeconds),
            minimumCalls: Int = EngineDefaults.breakerMinCalls,
            cooldown: Duration = .milliseconds(EngineDefaults.breakerCooldownMs),
            maxCooldown: Duration = .milliseconds(EngineDefaults.breakerMaxCooldownMs),
            halfOpenProbes: Int = EngineDefaults.halfOpenProbes
        ) {
            self.consecutiveFailures = consecutiveFailures
            self.failureRatio = failureRatio
            self.window = window
            self.minimumCalls = minimumCalls
            self.cooldown = cooldown
            self.maxCooldown = maxCooldown
            self.halfOpenProbes = halfOpenProbes
        }
    }

    /// What ``acquire(at:)`` allows.
    package enum Permission: Sendable, Hashable {
        /// A normal call (breaker closed).
        case allowed
        /// A probe call (breaker half-open); report its end with `probe: true`.
        case probe
        /// No call. `until` is when the route may be tried again, `nil` while probes are out.
        case rejected(until: Duration?)
    }

    package let configuration: Configuration
    package private(set) var state: CircuitState = .closed
    /// When an open breaker turns half-open.
    package private(set) var openUntil: Duration = .zero
    /// Trips in a row without a close (drives the growing cooldown).
    package private(set) var trips = 0
    package private(set) var consecutiveFailureCount = 0
    private var probesInFlight = 0
    private var calls: SlidingWindowCounter
    private var failures: SlidingWindowCounter

    package init(_ configuration: Configuration = Configuration()) {
        self.configuration = configuration
        calls = SlidingWindowCounter(window: configuration.window)
        failures = SlidingWindowCounter(window: configuration.window)
    }

    /// Whether a call could go through at `now`, without changing anything.
    package enum Availability: Sendable, Hashable {
        case available
        /// No call until `until`; `nil` means "when the probes in flight end".
        case unavailable(until: Duration?)
    }

    /// Whether a call could go through at `now`, without changing anything.
    package func availability(at now: Duration) -> Availability {
        switch state {
        case .closed: .available
        case .open: now >= openUntil ? .available : .unavailable(until: openUntil)
        case .halfOpen: probesAvailable ? .available : .unavailable(until: nil)
        }
    }

    private var probesAvailable: Bool { probesInFlight < max(1, configuration.halfOpenProbes) }

    /// Asks to make a call at `now`. Returns the permission and the new state if it changed
    /// (an open breaker whose cooldown is over turns half-open).
    package mutating func acquire(at now: Duration) -> (permission: Permission, change: CircuitState?) {
        var change: CircuitState?
        if state == .open {
            guard now >= openUntil else { return (.rejected(until: openUntil), nil) }
            state = .halfOpen
            probesInFlight = 0
            change = .halfOpen
        }
        switch state {
        case .closed:
            return (.allowed, change)
        case .halfOpen:
            guard probesAvailable else { return (.rejected(until: nil), change) }
            probesInFlight += 1
            return (.probe, change)
        case .open:
            return (.rejected(until: openUntil), change)
        }
    }

    /// A call succeeded. A success while half-open closes the breaker.
    package mutating func recordSuccess(probe: Bool, at now: Duration) -> CircuitState? {
        if probe { probesInFlight = max(0, probesInFlight - 1) }
        switch state {
        case .closed:
            consecutiveFailureCount = 0
            calls.add(at: now)
            return nil
        case .halfOpen:
            close()
            return .closed
        case .open:
            return nil
        }
    }

    /// A call failed in a way that counts against the route.
    package mutating func recordFailure(probe: Bool, at now: Duration) -> CircuitState? {
        if probe { probesInFlight = max(0, probesInFlight - 1) }
        switch state {
        case .closed:
            consecutiveFailureCount += 1
            calls.add(at: now)
            failures.add(at: now)
            let total = calls.total(at: now)
            let ratioTripped =
                total >= max(1, configuration.minimumCalls)
                && Double(failures.total(at: now)) >= configuration.failureRatio * Double(total)
            if consecutiveFailureCount >= max(1, configuration.consecutiveFailures) || ratioTripped {
                return trip(at: now)
            }
            return nil
        case .halfOpen:
            guard probe else { return nil }
            return trip(at: now)
        case .open:
            return nil
        }
    }

    /// A call ended without saying anything about the route (cancelled, a bad request, a 429
    /// handled by cooldown): frees its probe slot, changes nothing else.
    package mutating func recordNeutral(probe: Bool) {
        if probe { probesInFlight = max(0, probesInFlight - 1) }
    }

    /// Opens the breaker now with the next (growing) cooldown.
    @discardableResult
    package mutating func trip(at now: Duration) -> CircuitState? {
        trips += 1
        let ceiling = Backoff(base: configuration.cooldown, cap: configuration.maxCooldown).ceiling(retry: trips - 1)
        return open(until: now + ceiling)
    }

    /// Opens the breaker until `now + duration` (a provider's reset time), without counting a
    /// trip; an already longer cooldown is kept.
    @discardableResult
    package mutating func coolDown(for duration: Duration, at now: Duration) -> CircuitState? {
        open(until: now + duration)
    }

    /// Closes an open breaker on another process's word (the fleet's probe succeeded). Returns
    /// whether it changed anything; a closed or half-open breaker (a probe of its own in flight)
    /// is left as it is.
    package mutating func forceClose() -> Bool {
        guard state == .open else { return false }
        close()
        return true
    }

    private mutating func open(until end: Duration) -> CircuitState? {
        let wasOpen = state == .open
        openUntil = wasOpen ? max(openUntil, end) : end
        state = .open
        probesInFlight = 0
        consecutiveFailureCount = 0
        calls.reset()
        failures.reset()
        return wasOpen ? nil : .open
    }

    private mutating func close() {
        state = .closed
        trips = 0
        probesInFlight = 0
        consecutiveFailureCount = 0
        calls.reset()
        failures.reset()
    }
}
