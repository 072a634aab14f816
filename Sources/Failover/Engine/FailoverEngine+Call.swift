import Completions
import Synchronization

/// A call the engine is about to make.
struct Launch: Sendable {
    var route: RouteTarget
    var probe: Bool
    /// The 1-based attempt number.
    var attempt: Int
}

/// How one call ended, before the engine decides what it means.
struct CallOutcome: Sendable {
    var launch: Launch
    /// False when the call never started (no concurrency slot before the deadline, or cancelled).
    var started: Bool
    var response: CompletionResponse?
    /// The classified failure; `nil` with `outcome` `.ok` or `.cancelled`.
    var failure: ProviderFailure?
    var outcome: Outcome
    var latency: Duration
    /// The call was cut short by the job's deadline rather than by its attempt timeout.
    var cutByDeadline: Bool
}

/// What a finished attempt (or hedge race) means for the job.
enum Step: Sendable {
    case succeeded(CompletionResponse, RouteTarget)
    case failed(FailoverError)
    case next(OutcomeClassification.Verdict, RouteTarget)
}

/// How a provider call's task ended. (Top-level rather than nested in the generic engine, so
/// using it costs no generic metadata look-up per call.)
private enum Race: Sendable {
    case answered(CompletionResponse)
    case threw(ProviderFailure?, cancelled: Bool, typeName: String)
    /// The call's task gave no result (never, in practice).
    case noAnswer
}

/// A call's end and whether the engine's timer cut it.
private struct CallEnd: Sendable {
    var race: Race
    var timerFired: Bool
    /// The fleet's hold on the route cut it (``FailoverEngine/holdRoute(_:for:closeBreaker:)``).
    var cut: Bool
}

private enum SlotRace: Sendable {
    case slot(Bool)
    case deadline
}

extension FailoverEngine {
    /// Makes one call: waits for a concurrency slot (bounded by the deadline, not by the attempt
    /// timeout), then runs the provider until the attempt timeout / deadline, when the engine's
    /// timer cancels it. Validates an answer against the job's response format.
    func perform(_ launch: Launch, job: FailoverJob, deadline: C.Instant) async -> CallOutcome {
        let route = launch.route
        guard let provider = providers[route.provider] else {
            let failure = ProviderFailure(outcome: .connection, message: "no provider named \(route.provider) is configured")
            return CallOutcome(launch: launch, started: true, failure: failure, outcome: .connection, latency: .zero, cutByDeadline: false)
        }
        let gotSlot = await acquireSlot(route.provider, until: deadline)
        guard gotSlot, !Task.isCancelled, clock.now < deadline else {
            let granted = state.withLock { state in
                state.routes[route.key]?.breaker.recordNeutral(probe: launch.probe)
                return gotSlot ? state.releaseSlot(route.provider) : []
            }
            for continuation in granted { continuation.resume(returning: true) }
            return CallOutcome(launch: launch, started: false, outcome: .cancelled, latency: .zero, cutByDeadline: !Task.isCancelled)
        }

        let begin = clock.now
        let timeoutEnd = begin.advanced(by: job.policy.attemptTimeout)
        let cutoff = min(timeoutEnd, deadline)
        let request = job.request
        let model = route.model
        let timeout = begin.duration(to: cutoff)

        // The call runs in a child task (so the timer can cancel it without cancelling the job),
        // started immediately on this thread: a provider that answers without suspending costs
        // no hop to another thread. The engine-wide timer, not a timer task per call, cuts it at
        // `cutoff`.
        let timer = self.timer
        let cutoffOffset = elapsed(cutoff)
        let tag = Self.timerTag(route.key)
        let end = await withTaskGroup(of: CallEnd.self) { group in
            group.addImmediateTask {
                let id = withUnsafeCurrentTask { task in timer.arm(cutoffOffset, task: task, tag: tag) }
                let race: Race
                do {
                    race = .answered(try await provider.complete(request, model: model, timeout: timeout))
                } catch let failure as ProviderFailure {
                    race = .threw(failure, cancelled: Task.isCancelled, typeName: "ProviderFailure")
                } catch {
                    race = .threw(nil, cancelled: Task.isCancelled || error is CancellationError, typeName: String(describing: type(of: error)))
                }
                let (fired, cut) = timer.disarmNoting(id)
                return CallEnd(race: race, timerFired: fired, cut: cut)
            }
            return await group.next() ?? CallEnd(race: .noAnswer, timerFired: false, cut: false)
        }
        let timerFired = end.timerFired
        let latency = begin.duration(to: self.clock.now)
        var outcome = CallOutcome(launch: launch, started: true, outcome: .cancelled, latency: latency, cutByDeadline: false)

        switch end.race {
        case .answered(let response):
            outcome.response = response
            if let problem = OutputValidator.violation(in: response.text, format: request.responseFormat) {
                outcome.outcome = .invalidOutput
                outcome.failure = ProviderFailure(outcome: .invalidOutput, message: "output rejected: \(problem)")
            } else {
                outcome.outcome = .ok
            }
        case .threw(let failure, let cancelled, let typeName) where !timerFired:
            if cancelled || Task.isCancelled {
                outcome.outcome = .cancelled
            } else if let failure {
                outcome.outcome = failure.outcome
                outcome.failure = failure
            } else {
                outcome.outcome = .connection
                outcome.failure = ProviderFailure(outcome: .connection, message: "the provider call failed with \(typeName)")
            }
        default:
            if Task.isCancelled {
                outcome.outcome = .cancelled
            } else if end.cut {
                outcome.outcome = .timeout
                outcome.failure = ProviderFailure(
                    outcome: .timeout,
                    message:
                        "cut short after \(latency): the fleet found this route down (a breaker opened elsewhere, or the fleet's failures opened this one)"
                )
            } else if cutoff < timeoutEnd {
                outcome.outcome = .cancelled
                outcome.cutByDeadline = true
            } else {
                outcome.outcome = .timeout
                outcome.failure = ProviderFailure(outcome: .timeout, message: "no answer within the attempt timeout of \(job.policy.attemptTimeout)")
            }
        }
        return outcome
    }

    /// Waits for a concurrency slot of `provider`; `false` if the deadline passed or the task was
    /// cancelled first. The fast path (a free slot) takes one lock and no task.
    func acquireSlot(_ provider: String, until deadline: C.Instant) async -> Bool {
        if state.withLock({ $0.tryAcquireSlot(provider) }) { return true }
        let id = state.withLock { $0.newWaiterID() }
        let clock = self.clock
        return await withTaskGroup(of: SlotRace.self) { group in
            group.addTask { .slot(await self.waitForSlot(provider, id: id)) }
            group.addTask {
                try? await clock.sleep(until: deadline, tolerance: nil)
                return .deadline
            }
            var acquired = false
            while let next = await group.next() {
                if case .slot(let granted) = next { acquired = granted }
                group.cancelAll()
            }
            return acquired
        }
    }

    private func waitForSlot(_ provider: String, id: Int) async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let immediate = state.withLock { state -> Bool? in
                    var entry = state.slots.removeValue(forKey: provider) ?? ProviderSlots(configuration.concurrency(for: provider))
                    let result = entry.enqueue(id: id, continuation)
                    state.slots[provider] = entry
                    return result
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let continuation = state.withLock { $0.slots[provider]?.cancel(id: id) }
            continuation?.resume(returning: false)
        }
    }

    /// Records a finished call, decides what it means for the job, and reports the attempt.
    /// `othersInFlight`: a hedge partner is still running, so a failure does not end the job.
    func conclude(_ call: CallOutcome, run: inout JobRun, deadline: C.Instant, othersInFlight: Bool) -> Step {
        let job = run.job
        let route = call.launch.route
        guard call.started else {
            run.calls -= 1
            return call.cutByDeadline
                ? .failed(FailoverError(.deadlineExceeded, message: run.message("the deadline passed while waiting for a concurrency slot")))
                : .failed(FailoverError(.cancelled, message: run.message("the job was cancelled")))
        }
        let instant = clock.now
        let now = elapsed(instant)
        var cost = 0.0
        if let response = call.response {
            cost = configuration.prices.cost(of: response.usage, model: route.model)
            run.add(response.usage, cost: cost)
        }
        let tried = run.tried
        let unknown = run.unknown
        let (changes, granted, hasUntried, budgetLeft) = state.withLock { state in
            let (changes, granted) = state.complete(
                route: route, probe: call.launch.probe, outcome: call.outcome, failure: call.failure, latency: call.latency,
                policy: job.policy, now: now)
            let hasUntried = call.outcome == .ok ? false : state.hasUntriedRoute(job, tried: tried, unknown: unknown, now: now)
            return (changes, granted, hasUntried, state.retryBudget.canRetry(at: now))
        }
        for continuation in granted { continuation.resume(returning: true) }

        let step: Step
        let decision: Decision
        if call.outcome == .ok, let response = call.response {
            step = .succeeded(response, route)
            decision = .done
        } else if let failure = call.failure {
            run.lastFailure = (route, failure)
            let backoff = Backoff(base: job.policy.backoffBase, cap: job.policy.backoffCap)
                .delay(retry: run.backoffSteps, jitter: configuration.jitter())
            let context = OutcomeClassification.Context(
                hasUntriedRoute: hasUntried, attemptsLeft: job.policy.maxAttempts - run.calls, remaining: instant.duration(to: deadline),
                backoff: max(backoff, .milliseconds(1)), retryBudgetLeft: budgetLeft, cutByDeadline: call.cutByDeadline)
            let verdict = OutcomeClassification.decide(failure, policy: job.policy, context: context)
            if !budgetLeft {
                var unlimited = context
                unlimited.retryBudgetLeft = true
                if case .retrySameRoute = OutcomeClassification.decide(failure, policy: job.policy, context: unlimited) {
                    sink.record(.retryRefused(workload: job.workload))
                }
            }
            switch verdict {
            case .giveUp(let code) where !othersInFlight || code == .notRetryable:
                step = .failed(FailoverError(code, message: run.message(Self.summary(code, job))))
                decision = .giveUp
            case .giveUp:
                step = .next(.failOver(after: .zero, cooldown: nil), route)
                decision = .failOver
            default:
                step = .next(verdict, route)
                decision = othersInFlight ? .failOver : verdict.decision
            }
        } else {
            // Cancelled: by the job's task, or cut by the deadline.
            let code: FailoverError.Code = call.cutByDeadline ? .deadlineExceeded : .cancelled
            step = .failed(FailoverError(code, message: run.message(Self.summary(code, job))))
            decision = .giveUp
        }
        record(call, decision: decision, cost: cost, run: run)
        report(changes)
        return step
    }

    static func summary(_ code: FailoverError.Code, _ job: FailoverJob) -> String {
        switch code {
        case .deadlineExceeded: "the deadline of \(job.policy.deadline) passed"
        case .attemptsExhausted: "all \(job.policy.maxAttempts) attempts failed"
        case .notRetryable: "the failure is not retryable"
        case .cancelled: "the job was cancelled"
        default: "no route could serve the job"
        }
    }

    /// Reports the attempt event of `call`.
    func record(_ call: CallOutcome, decision: Decision, cost: Double, run: JobRun, outcome: Outcome? = nil) {
        let route = call.launch.route
        (run.job.events ?? sink).record(
            .attempt(
                AttemptEvent(
                    jobID: run.job.id, workload: run.job.workload, attempt: call.launch.attempt, routeIndex: route.index,
                    provider: route.provider, model: route.model, providerKind: providers[route.provider]?.kind ?? "",
                    outcome: outcome ?? call.outcome, httpStatus: call.failure?.httpStatus, latency: call.latency,
                    retryAfter: call.failure?.retryAfter, decision: decision, costUSD: cost, usage: call.response?.usage,
                    cacheSavingsUSD: call.response.map { configuration.prices.cacheSavings(of: $0.usage, model: route.model) } ?? 0,
                    errorMessage: call.failure?.message, at: wallClock())))
    }

    /// Records a hedge loser: cancelled, its cost counted if it reported usage.
    func concludeLoser(_ call: CallOutcome, run: inout JobRun, decision: Decision) {
        guard call.started else {
            run.calls -= 1
            return
        }
        let route = call.launch.route
        var cost = 0.0
        if let response = call.response {
            cost = configuration.prices.cost(of: response.usage, model: route.model)
            run.add(response.usage, cost: cost)
        }
        let now = elapsed(clock.now)
        let policy = run.job.policy
        let (changes, granted) = state.withLock {
            $0.complete(route: route, probe: call.launch.probe, outcome: .cancelled, failure: nil, latency: call.latency, policy: policy, now: now)
        }
        for continuation in granted { continuation.resume(returning: true) }
        var loser = call
        loser.failure = nil
        record(loser, decision: decision, cost: cost, run: run, outcome: .cancelled)
        report(changes)
    }
}
