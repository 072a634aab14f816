import Completions
import Foundation
import Synchronization

/// Runs jobs across their routes: the thin async driver around the engine's value-type logic
/// (``OutcomeClassification``, ``CircuitBreaker``, ``RetryBudget``, ``HedgeBudget``,
/// ``Backoff``, ``LatencyTracker``, ``ConcurrencyLimit``, ``RoutePlan``, ``OutputValidator``).
/// It performs the calls, sleeps, timeouts and cancellations they decide on, and reports every
/// attempt, skip and breaker change to its ``FailoverEventSink``.
///
/// One engine per process: breakers, budgets, latency and concurrency limits are shared by every
/// job it runs (behind one `Mutex`). Time comes from the injected ``AlarmClock`` (a manual clock
/// in tests, from `FailoverTesting`), wall-clock timestamps from `wallClock`.
///
/// Guarantees: ``run(_:)`` never throws and always returns; it ends by the job's deadline (it
/// cancels calls in flight then), honours task cancellation (result class `cancelled`), never
/// makes more than `max_attempts` calls, never calls a route whose breaker is open, and never
/// spins: every wait is a sleep on the clock. Providers must honour cancellation promptly (the
/// ``CompletionProvider`` contract): the engine waits for a cancelled call to return.
package final class FailoverEngine<C: AlarmClock>: Sendable where C.Duration == Duration {
    let clock: C
    let origin: C.Instant
    let wallClock: @Sendable () -> Date
    let providers: [String: any CompletionProvider]
    let configuration: EngineConfiguration
    let sink: any FailoverEventSink
    let state: Mutex<EngineState>
    /// Cuts calls at their attempt timeout or the job's deadline.
    let timer: DeadlineTimer

    /// Makes an engine over `providers` (keyed by configured provider name).
    package init(
        providers: [String: any CompletionProvider],
        configuration: EngineConfiguration = EngineConfiguration(),
        sink: any FailoverEventSink = DiscardingEventSink(),
        clock: C,
        wallClock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.clock = clock
        self.origin = clock.now
        self.wallClock = wallClock
        self.providers = providers
        self.configuration = configuration
        self.sink = sink
        self.state = Mutex(EngineState(configuration: configuration))
        let origin = self.origin
        // The clock decides how the alarm waits (``AlarmClock``): the engine never asks which clock it has.
        self.timer = DeadlineTimer(
            now: { origin.duration(to: clock.now) },
            alarm: { instant, fire in clock.wake(at: origin.advanced(by: instant), fire) }
        )
    }

    /// The breaker state of a route, as of the last call or skip.
    package func circuitState(of key: RouteKey) -> CircuitState {
        state.withLock { $0.routes[key]?.breaker.state ?? .closed }
    }

    /// Whether a call to `key` would be let through now: its breaker is closed, or open past its
    /// cooldown (a probe is due). A route never called is available.
    package func isAvailable(_ key: RouteKey) -> Bool {
        let now = elapsed(clock.now)
        return state.withLock { $0.routes[key]?.availability(at: now) ?? .available } == .available
    }

    /// Shared route health: keeps this engine off `key` for `duration` (another worker opened its
    /// breaker, or probes it), capped at one probe interval when the route succeeded here within
    /// one. `nil` lifts the hold; `closeBreaker` also closes an open breaker here (another
    /// worker's probe succeeded), reported as a circuit event like any other change. A hold that
    /// begins (the route was not held, and has not succeeded here within one cooldown) also cuts
    /// the calls in flight to it: they end as timeouts at once and their jobs fail over.
    package func holdRoute(_ key: RouteKey, for duration: Duration?, closeBreaker: Bool = false) {
        let now = elapsed(clock.now)
        let (change, cut) = state.withLock { $0.hold(key, for: duration, closeBreaker: closeBreaker, now: now) }
        if let change { report([change]) }
        // The calls already in flight to a route the fleet just found down fail over now, not
        // at their attempt timeout.
        if cut { timer.cut(tag: Self.timerTag(key)) }
    }

    /// Shared route health: the rest of the fleet reports `count` failures in a row on `key`
    /// (summed over the other live workers). When this process's own streak on the route (at
    /// least one failure) and `count` together reach the breaker's threshold, its breaker opens
    /// now, reported like any other change, and the calls in flight to the route are cut (they
    /// end as timeouts at once and their jobs fail over); a failure here that brings them there
    /// opens it too.
    package func fleetFailures(_ key: RouteKey, count: Int) {
        let now = elapsed(clock.now)
        guard let change = state.withLock({ $0.fleetFailures(key, count: count, now: now) }) else { return }
        report([change])
        // The fleet's word tripped it between calls: the calls still in flight to the route are
        // as good as failed, so their jobs fail over now, as when a hold begins.
        timer.cut(tag: Self.timerTag(key))
    }

    /// The routes whose breaker is closed but whose last calls here failed: how many in a row,
    /// and how long ago the route last succeeded here. What shared route health tells the rest
    /// of the fleet.
    package func failureStreaks() -> [RouteKey: FailureStreak] {
        let now = elapsed(clock.now)
        return state.withLock { $0.failureStreaks(now: now) }
    }

    /// The current concurrency limit of a provider (`nil`: unlimited).
    package func concurrencyLimit(of provider: String) -> Int? {
        state.withLock { $0.slots[provider]?.limit.currentLimit ?? configuration.maxConcurrency[provider] }
    }

    /// The tag a call to `key` is registered under with the timer, for ``holdRoute(_:for:closeBreaker:)``.
    static func timerTag(_ key: RouteKey) -> Int {
        let tag = key.hashValue
        return tag == 0 ? 1 : tag
    }

    /// Time since the engine was made, the `now` of its value types.
    func elapsed(_ instant: C.Instant) -> Duration { origin.duration(to: instant) }

    /// Runs `job` to a result. Never throws.
    package func run(_ job: FailoverJob) async -> FailoverResult {
        let start = clock.now
        let deadline = start.advanced(by: job.policy.deadline)
        var unknown = RouteSet()
        for route in job.routes where providers[route.provider] == nil { unknown.insert(route.index) }
        var run = JobRun(job: job, unknown: unknown)
        if job.policy.hedgeAfter != nil {
            let now = elapsed(start)
            state.withLock { $0.hedgeBudget.recordRequest(at: now) }
        }

        var pinned: Int?
        var allowRecall = false
        var delay = Duration.zero
        var waitingForRoutes = false

        while true {
            if Task.isCancelled { return failed(&run, start, .cancelled, "the job was cancelled") }
            if delay > .zero {
                let wake = min(clock.now.advanced(by: delay), deadline)
                delay = .zero
                allowRecall = true
                do { try await clock.sleep(until: wake, tolerance: nil) } catch {
                    return failed(&run, start, .cancelled, "the job was cancelled")
                }
                continue
            }
            let instant = clock.now
            if instant >= deadline {
                return waitingForRoutes
                    ? failed(&run, start, .allRoutesUnavailable, "no route became available within the deadline")
                    : failed(&run, start, .deadlineExceeded, "the deadline of \(job.policy.deadline) passed")
            }
            if run.calls >= job.policy.maxAttempts {
                return failed(&run, start, .attemptsExhausted, "\(run.calls) attempts made")
            }
            let now = elapsed(instant)
            let tried = run.tried
            let pick = state.withLock {
                $0.pick(job, tried: tried, pinned: pinned, allowRecall: allowRecall, unknown: unknown, now: now)
            }
            report(pick.changes)
            let chosenIndex: Int? = if case .call(let route, _, _) = pick.choice { route.index } else { nil }
            for (route, standing) in pick.skipped where chosenIndex.map({ route.index < $0 }) ?? true {
                if run.isNewSkip(route.index, standing) { reportSkip(route, standing, &run) }
            }

            switch pick.choice {
            case .noRoute:
                return failed(&run, start, .allRoutesUnavailable, "no configured provider serves any of the job's routes")
            case .wait(let until):
                guard job.policy.waitsForRoutes else {
                    return failed(&run, start, .allRoutesUnavailable, "no route is available and the job does not wait for one")
                }
                waitingForRoutes = true
                allowRecall = true
                let wake = min(origin.advanced(by: until), deadline)
                do { try await clock.sleep(until: wake, tolerance: nil) } catch {
                    return failed(&run, start, .cancelled, "the job was cancelled")
                }
            case .needsBackoff:
                delay = nextBackoff(&run)
            case .budgetExhausted:
                sink.record(.retryRefused(workload: job.workload))
                delay = nextBackoff(&run)
            case .call(let route, let probe, _):
                waitingForRoutes = false
                allowRecall = false
                pinned = nil
                run.calls += 1
                run.tried.insert(route.index)
                let launch = Launch(route: route, probe: probe, attempt: run.calls)
                let step: Step
                if let hedgeAfter = job.policy.hedgeAfter, run.calls < job.policy.maxAttempts, job.routes.count > 1 {
                    step = await attemptHedged(launch, hedgeAfter: hedgeAfter, run: &run, deadline: deadline)
                } else {
                    let outcome = await perform(launch, job: job, deadline: deadline)
                    step = conclude(outcome, run: &run, deadline: deadline, othersInFlight: false)
                }
                switch step {
                case .succeeded(let response, let servedBy):
                    return FailoverResult(
                        status: .succeeded, response: response, servedBy: servedBy, attempts: run.calls, usage: run.usage,
                        costUSD: run.costUSD, latency: start.duration(to: clock.now), error: nil)
                case .failed(let error):
                    return FailoverResult(
                        status: .failed, response: nil, servedBy: nil, attempts: run.calls, usage: run.usage,
                        costUSD: run.costUSD, latency: start.duration(to: clock.now), error: error)
                case .next(.retrySameRoute(let after), let route):
                    pinned = route.index
                    delay = after
                    if after > .zero { run.backoffSteps += 1 }
                    allowRecall = true
                case .next(.failOver(let after, _), _):
                    delay = after
                    if after > .zero { run.backoffSteps += 1 }
                case .next(.giveUp(let code), _):
                    return failed(&run, start, code, "gave up")
                }
            }
        }
    }

    /// The next backoff step of `run`, jittered.
    func nextBackoff(_ run: inout JobRun) -> Duration {
        let step = Backoff(base: run.job.policy.backoffBase, cap: run.job.policy.backoffCap)
            .delay(retry: run.backoffSteps, jitter: configuration.jitter())
        run.backoffSteps += 1
        return max(step, .milliseconds(1))
    }

    func failed(_ run: inout JobRun, _ start: C.Instant, _ code: FailoverError.Code, _ message: String) -> FailoverResult {
        FailoverResult(
            status: .failed, response: nil, servedBy: nil, attempts: run.calls, usage: run.usage, costUSD: run.costUSD,
            latency: start.duration(to: clock.now), error: FailoverError(code, message: run.message(message)))
    }

    func report(_ changes: [EngineState.CircuitChange]) {
        guard !changes.isEmpty else { return }
        let at = wallClock()
        let now = elapsed(clock.now)
        for change in changes {
            var cooldown: Duration?
            if change.state == .open, let until = state.withLock({ $0.routes[change.key]?.breaker.openUntil }), until > now {
                cooldown = until - now
            }
            sink.record(
                .circuit(CircuitEvent(provider: change.key.provider, model: change.key.model, state: change.state, at: at, cooldown: cooldown)))
        }
    }

    func reportSkip(_ route: RouteTarget, _ standing: RoutePlan.Standing, _ run: inout JobRun) {
        let message: String
        switch standing {
        case .unknownProvider: message = "no provider named \(route.provider) is configured"
        case .unavailable(.some): message = "breaker open or cooling down"
        case .unavailable(.none): message = "breaker half-open, probes in flight"
        case .healthy, .slow: message = "skipped"
        }
        (run.job.events ?? sink).record(
            .attempt(
                AttemptEvent(
                    jobID: run.job.id, workload: run.job.workload, attempt: run.calls + 1, routeIndex: route.index,
                    provider: route.provider, model: route.model, providerKind: providers[route.provider]?.kind ?? "",
                    outcome: .circuitOpen, decision: .failOver, errorMessage: message, at: wallClock())))
    }
}

extension FailoverEngine where C == ContinuousClock {
    /// Makes an engine on the system's continuous clock.
    package convenience init(
        providers: [String: any CompletionProvider],
        configuration: EngineConfiguration = EngineConfiguration(),
        sink: any FailoverEventSink = DiscardingEventSink()
    ) {
        self.init(providers: providers, configuration: configuration, sink: sink, clock: ContinuousClock())
    }
}
