import Completions

/// Everything the engine shares across jobs, kept behind one `Mutex`: route health, the retry
/// and hedge budgets, and the per-provider concurrency slots. Pure bookkeeping: its methods
/// take `now` and return decisions, continuations to resume and breaker changes; the engine
/// performs the effects after leaving the lock.
struct EngineState: Sendable {
    /// A breaker changed state.
    struct CircuitChange: Sendable {
        var key: RouteKey
        var state: CircuitState
    }

    /// Where a job should go next.
    enum Choice: Sendable {
        /// Call `route`; `probe` if the breaker is half-open, `recall` if the job called it before.
        case call(RouteTarget, probe: Bool, recall: Bool)
        /// Every route is unavailable; look again at `until`.
        case wait(until: Duration)
        /// Only routes the job already called are callable, and it has not backed off yet.
        case needsBackoff
        /// A retry is needed and the retry budget is spent.
        case budgetExhausted
        /// No route can ever be called (no configured provider).
        case noRoute
    }

    /// A choice and the routes passed over on the way.
    struct Pick: Sendable {
        var choice: Choice
        var skipped: [(route: RouteTarget, standing: RoutePlan.Standing)]
        var changes: [CircuitChange]
    }

    let configuration: EngineConfiguration
    var routes: [RouteKey: RouteHealth] = [:]
    var retryBudget: RetryBudget
    var hedgeBudget: HedgeBudget
    var slots: [String: ProviderSlots] = [:]
    var nextWaiterID = 0

    init(configuration: EngineConfiguration) {
        self.configuration = configuration
        retryBudget = RetryBudget(configuration.retryBudget)
        hedgeBudget = HedgeBudget(configuration.hedgeBudget)
    }

    /// A fresh health entry (closed, no latency) for a route seen for the first time.
    private static func freshHealth(_ configuration: EngineConfiguration) -> RouteHealth {
        RouteHealth(breaker: CircuitBreaker(configuration.breaker), latency: LatencyTracker(configuration.latency))
    }

    /// How `route` of `job` stands at `now` (one look-up of its health).
    private func standing(of route: RouteTarget, _ job: FailoverJob, unknown: RouteSet, now: Duration) -> RoutePlan.Standing {
        if unknown.contains(route.index) { return .unknownProvider }
        let key = route.key
        guard let health = routes[key] else { return .healthy }
        if case .unavailable(let until) = health.availability(at: now) { return .unavailable(until: until) }
        let threshold = job.policy.slowAfter ?? (configuration.slowAfter.isEmpty ? nil : configuration.slowAfter[key])
        if let threshold, health.latency.isSlow(threshold: threshold, at: now) { return .slow }
        return .healthy
    }

    /// The plan for `job` at `now`.
    func plan(_ job: FailoverJob, unknown: RouteSet, now: Duration) -> RoutePlan {
        RoutePlan(routes: job.routes) { route in standing(of: route, job, unknown: unknown, now: now) }
    }

    /// Whether `job` has a route it has not called that is callable at `now`.
    func hasUntriedRoute(_ job: FailoverJob, tried: RouteSet, unknown: RouteSet, now: Duration) -> Bool {
        job.routes.contains { route in
            guard !tried.contains(route.index), !unknown.contains(route.index) else { return false }
            guard let health = routes[route.key] else { return true }
            return health.availability(at: now) == .available
        }
    }

    /// Chooses the next route for `job`: the pinned route (a same-route retry), else the first
    /// untried route in plan order, else (once the job has backed off) a route it called before.
    /// Calls to a route the job called before spend the retry budget; other calls count as requests.
    mutating func pick(_ job: FailoverJob, tried: RouteSet, pinned: Int?, allowRecall: Bool, unknown: RouteSet, now: Duration) -> Pick {
        var changes: [CircuitChange] = []
        var budgetDenied = false
        var recallDeferred = false

        func attempt(_ route: RouteTarget, recall: Bool) -> Choice? {
            let key = route.key
            let (permission, change) = routes[key, default: Self.freshHealth(configuration)].acquire(at: now)
            if let change { changes.append(CircuitChange(key: key, state: change)) }
            let probe: Bool
            switch permission {
            case .allowed: probe = false
            case .probe: probe = true
            case .rejected: return nil
            }
            if recall {
                guard retryBudget.tryRetry(at: now) else {
                    routes[key]?.breaker.recordNeutral(probe: probe)
                    budgetDenied = true
                    return nil
                }
            } else {
                retryBudget.recordRequest(at: now)
            }
            return .call(route, probe: probe, recall: recall)
        }

        // Fast path, the common case: a job's first pick, where the first route in declared
        // order that is not skipped is healthy (not slow). The plan would put that route first,
        // so take it without building the plan; the skips before it are the ones to report.
        if pinned == nil, tried.isEmpty {
            var skipped: [(route: RouteTarget, standing: RoutePlan.Standing)] = []
            for route in job.routes {
                let current = standing(of: route, job, unknown: unknown, now: now)
                switch current {
                case .unavailable, .unknownProvider:
                    skipped.append((route, current))
                    continue
                case .healthy:
                    if let found = attempt(route, recall: false) { return Pick(choice: found, skipped: skipped, changes: changes) }
                case .slow:
                    break
                }
                break
            }
        }

        let plan = plan(job, unknown: unknown, now: now)
        var choice: Choice?
        if let pinned, let route = plan.ordered.first(where: { $0.index == pinned }) {
            choice = attempt(route, recall: tried.contains(route.index))
        }
        if choice == nil {
            for route in plan.ordered where !tried.contains(route.index) {
                if let found = attempt(route, recall: false) {
                    choice = found
                    break
                }
            }
        }
        if choice == nil {
            for route in plan.ordered where tried.contains(route.index) && route.index != pinned {
                guard allowRecall else {
                    recallDeferred = true
                    break
                }
                if let found = attempt(route, recall: true) {
                    choice = found
                    break
                }
            }
        }
        if choice == nil {
            if budgetDenied {
                choice = .budgetExhausted
            } else if recallDeferred {
                choice = .needsBackoff
            } else if let earliest = plan.earliestReturn(now: now, poll: configuration.probePollInterval) {
                choice = .wait(until: earliest)
            } else if !plan.ordered.isEmpty {
                choice = .wait(until: now + configuration.probePollInterval)
            } else {
                choice = .noRoute
            }
        }
        return Pick(choice: choice ?? .noRoute, skipped: plan.skipped, changes: changes)
    }

    /// Chooses a route to hedge with: the first untried callable route, if the hedge budget allows.
    mutating func pickHedge(_ job: FailoverJob, tried: RouteSet, unknown: RouteSet, now: Duration) -> (
        RouteTarget, probe: Bool, changes: [CircuitChange]
    )? {
        let plan = plan(job, unknown: unknown, now: now)
        guard let route = plan.ordered.first(where: { !tried.contains($0.index) }) else { return nil }
        guard hedgeBudget.tryHedge(at: now) else { return nil }
        let (permission, change) = routes[route.key, default: Self.freshHealth(configuration)].acquire(at: now)
        let changes = change.map { [CircuitChange(key: route.key, state: $0)] } ?? []
        switch permission {
        case .allowed:
            retryBudget.recordRequest(at: now)
            return (route, false, changes)
        case .probe:
            retryBudget.recordRequest(at: now)
            return (route, true, changes)
        case .rejected:
            return nil
        }
    }

    /// Records the end of a call: breaker, cooldown, latency, concurrency. Returns the breaker
    /// changes and the slot waiters to resume.
    mutating func complete(
        route: RouteTarget,
        probe: Bool,
        outcome: Outcome,
        failure: ProviderFailure?,
        latency: Duration,
        policy: FailoverPolicy,
        now: Duration
    ) -> (changes: [CircuitChange], granted: [CheckedContinuation<Bool, Never>]) {
        let key = route.key
        var changes: [CircuitChange] = []
        func note(_ change: CircuitState?) {
            if let change { changes.append(CircuitChange(key: key, state: change)) }
        }
        let countsAsOverload = OutcomeClassification.shrinksConcurrency(outcome)
        routes[key, default: Self.freshHealth(configuration)].mutate { health in
            switch outcome {
            case .ok:
                note(health.breaker.recordSuccess(probe: probe, at: now))
                health.lastSuccess = now
                health.latency.record(latency, at: now)
            case .cancelled, .circuitOpen:
                health.breaker.recordNeutral(probe: probe)
            default:
                guard let failure else {
                    health.breaker.recordNeutral(probe: probe)
                    return
                }
                if outcome == .timeout { health.latency.record(latency, at: now) }
                if OutcomeClassification.opensBreakerAtOnce(outcome) {
                    health.breaker.recordNeutral(probe: probe)
                    note(health.breaker.trip(at: now))
                } else if OutcomeClassification.countsAgainstBreaker(failure) {
                    note(health.breaker.recordFailure(probe: probe, at: now) ?? health.tripOnFleetEvidence(at: now))
                } else {
                    health.breaker.recordNeutral(probe: probe)
                }
                if let cooldown = OutcomeClassification.cooldown(for: failure, policy: policy) {
                    note(health.breaker.coolDown(for: cooldown, at: now))
                }
            }
        }
        let granted = slots[route.provider]?.finish(succeeded: outcome == .ok, overloaded: countsAsOverload, at: now) ?? []
        return (changes, granted)
    }

    /// Keeps calls off `key` for `duration` from `now` because another worker opened its breaker
    /// or probes it. A route that succeeded here within one probe interval (the breaker's
    /// cooldown) is held for at most that long: the fleet's word never outweighs this process's
    /// own fresh evidence for longer. `nil` lifts the hold; with `closeBreaker`, an open breaker
    /// here closes too (the fleet's probe succeeded). Returns the breaker change, if any.
    /// `cut`: the route was not held and now is, with no fresh success here: the calls in flight
    /// to it are to be cut (the fleet already knows it is down).
    mutating func hold(
        _ key: RouteKey, for duration: Duration?, closeBreaker: Bool, now: Duration
    ) -> (change: CircuitChange?, cut: Bool) {
        var change: CircuitChange?
        var cut = false
        routes[key, default: Self.freshHealth(configuration)].mutate { health in
            guard let duration, duration > .zero else {
                health.fleetHold = nil
                if closeBreaker, health.breaker.state == .open, health.breaker.forceClose() { change = CircuitChange(key: key, state: .closed) }
                return
            }
            let wasHeld = health.fleetHold.map { now < $0 } ?? false
            var end = now + duration
            var fresh = false
            // Renewed holds included: no longer than one cooldown after this process's last success.
            if let success = health.lastSuccess, now - success < configuration.breaker.cooldown {
                end = min(end, success + configuration.breaker.cooldown)
                fresh = true
            }
            health.fleetHold = end
            cut = !wasHeld && !fresh && end > now
        }
        return (change, cut)
    }

    /// Records what the rest of the fleet reports of `key`: `count` failures in a row, summed
    /// over the other live workers; opens the breaker here if that and this process's own
    /// streak reach the threshold (``RouteHealth/tripOnFleetEvidence(at:)``).
    mutating func fleetFailures(_ key: RouteKey, count: Int, now: Duration) -> CircuitChange? {
        var change: CircuitChange?
        routes[key, default: Self.freshHealth(configuration)].mutate { health in
            health.fleetFailures = max(0, count)
            if let state = health.tripOnFleetEvidence(at: now) { change = CircuitChange(key: key, state: state) }
        }
        return change
    }

    /// Each route whose breaker is closed with failures in a row here: how many, and how long
    /// ago the route last succeeded here. What this process tells the fleet.
    func failureStreaks(now: Duration) -> [RouteKey: FailureStreak] {
        var streaks: [RouteKey: FailureStreak] = [:]
        for (key, health) in routes where health.breaker.state == .closed && health.breaker.consecutiveFailureCount > 0 {
            streaks[key] = FailureStreak(failures: health.breaker.consecutiveFailureCount, sinceSuccess: health.lastSuccess.map { now - $0 })
        }
        return streaks
    }

    /// Takes a concurrency slot of `provider` if one is free and nobody waits.
    mutating func tryAcquireSlot(_ provider: String) -> Bool {
        slots[provider, default: ProviderSlots(configuration.concurrency(for: provider))].tryAcquire()
    }

    /// Gives back a slot taken for a call that never started.
    mutating func releaseSlot(_ provider: String) -> [CheckedContinuation<Bool, Never>] {
        slots[provider]?.release() ?? []
    }

    mutating func newWaiterID() -> Int {
        nextWaiterID += 1
        return nextWaiterID
    }
}

extension RouteHealth {
    mutating func mutate(_ body: (inout RouteHealth) -> Void) { body(&self) }
}
