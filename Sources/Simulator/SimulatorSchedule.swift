/// The state machine that says which mode the next request gets: a script's steps, the current
/// one, when it began and how many requests it has served. A value type that takes `now` as an
/// argument, so every path is tested with a manual clock.
package struct SimulatorSchedule: Sendable, Hashable {
    package private(set) var script: SimulatorScript
    package private(set) var index = 0
    package private(set) var stepStartedAt: ContinuousClock.Instant
    package private(set) var stepRequests = 0
    /// True once the last step of a non-looping script has ended.
    package private(set) var finished = false

    package init(script: SimulatorScript, now: ContinuousClock.Instant) {
        self.script = script
        self.stepStartedAt = now
        self.finished = script.steps.isEmpty
    }

    /// One mode, for ever.
    package init(mode: SimulatorMode, now: ContinuousClock.Instant) {
        self.init(script: SimulatorScript(steps: [.init(mode: mode)]), now: now)
    }

    /// The mode in force at `now`, without counting a request.
    package mutating func currentMode(now: ContinuousClock.Instant) -> SimulatorMode {
        advance(now: now)
        return finished ? .healthy : script.steps[index].mode
    }

    /// The mode for a request arriving at `now`, counting it against the step.
    package mutating func nextRequest(now: ContinuousClock.Instant) -> SimulatorMode {
        advance(now: now)
        guard !finished else { return .healthy }
        stepRequests += 1
        return script.steps[index].mode
    }

    private mutating func advance(now: ContinuousClock.Instant) {
        // Bounded: a looping script of zero-length steps must not spin.
        var guardCount = script.steps.count * 2 + 2
        while !finished, guardCount > 0 {
            guardCount -= 1
            let step = script.steps[index]
            if let limit = step.requests, stepRequests >= limit {
                moveToNextStep(startingAt: now)
                continue
            }
            if let seconds = step.seconds {
                let end = stepStartedAt + .milliseconds(Int64(seconds * 1000))
                if now >= end {
                    moveToNextStep(startingAt: end)
                    continue
                }
            }
            return
        }
    }

    private mutating func moveToNextStep(startingAt start: ContinuousClock.Instant) {
        stepRequests = 0
        stepStartedAt = start
        if index + 1 < script.steps.count {
            index += 1
        } else if script.loop {
            index = 0
        } else {
            finished = true
        }
    }
}
