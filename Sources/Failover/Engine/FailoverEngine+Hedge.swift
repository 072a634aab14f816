import Completions
import Synchronization

private enum HedgeEvent: Sendable {
    case finished(CallOutcome)
    case hedgeTimer
}

extension FailoverEngine {
    /// Runs `first`, and if it has not answered after `hedgeAfter`, starts the next untried
    /// route in parallel (if the hedge budget allows). The first valid answer wins; the other
    /// call is cancelled and reported with outcome `cancelled`, decision `hedge`; both costs count.
    func attemptHedged(_ first: Launch, hedgeAfter: Duration, run: inout JobRun, deadline: C.Instant) async -> Step {
        let job = run.job
        let clock = self.clock
        let hedgeAt = min(clock.now.advanced(by: hedgeAfter), deadline)
        return await withTaskGroup(of: HedgeEvent.self) { group in
            var inFlight = 1
            var timerArmed = true
            group.addTask { .finished(await self.perform(first, job: job, deadline: deadline)) }
            group.addTask {
                do {
                    try await clock.sleep(until: hedgeAt, tolerance: nil)
                    return .hedgeTimer
                } catch {
                    return .hedgeTimer
                }
            }
            var lastStep: Step?
            while let event = await group.next() {
                switch event {
                case .hedgeTimer:
                    timerArmed = false
                    guard inFlight == 1, run.calls < job.policy.maxAttempts, !Task.isCancelled, clock.now < deadline else { continue }
                    let now = elapsed(clock.now)
                    let tried = run.tried
                    let unknown = run.unknown
                    guard let (route, probe, changes) = state.withLock({ $0.pickHedge(job, tried: tried, unknown: unknown, now: now) }) else {
                        continue
                    }
                    report(changes)
                    run.calls += 1
                    run.tried.insert(route.index)
                    inFlight += 1
                    let launch = Launch(route: route, probe: probe, attempt: run.calls)
                    group.addTask { .finished(await self.perform(launch, job: job, deadline: deadline)) }
                case .finished(let call):
                    inFlight -= 1
                    let step = conclude(call, run: &run, deadline: deadline, othersInFlight: inFlight > 0)
                    switch step {
                    case .succeeded, .failed:
                        group.cancelAll()
                        let loserDecision: Decision = if case .succeeded = step { .hedge } else { .giveUp }
                        while let rest = await group.next() {
                            if case .finished(let loser) = rest { concludeLoser(loser, run: &run, decision: loserDecision) }
                        }
                        return step
                    case .next:
                        lastStep = step
                        if inFlight == 0 {
                            if timerArmed { group.cancelAll() }
                            return step
                        }
                    }
                }
            }
            return lastStep ?? .failed(FailoverError(.cancelled, message: run.message("the job was cancelled")))
        }
    }
}
