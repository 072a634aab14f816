import Completions
import Failover
import Jobs

/// The counters of one series over one minute, or added up over many: attempts by outcome and
/// decision, failovers, finished jobs, cost and tokens. ``FleetStats`` and ``FleetTotals`` hold
/// one each, beside their latencies.
///
/// How events count:
///
/// | event | counts |
/// |---|---|
/// | attempt `ok` | a call, ``okAttempts`` |
/// | attempt `cancelled` (lost a hedge race, or the job ended) | a call, ``cancelledAttempts`` |
/// | attempt `circuit_open` | not a call: ``skippedAttempts`` |
/// | any other attempt | a call, ``failedAttempts`` |
/// | decision `retry` / `fail_over` / `hedge` / `give_up` | ``retries`` / ``failoversOut`` (skips included) / ``hedges`` / ``gaveUp`` |
/// | job `succeeded` | ``jobsSucceeded``; ``failoversIn`` too when its `served_by.route_index` is above 0 |
/// | job `failed` | ``jobsFailed`` |
///
/// Cost is summed from attempts only (a job event's `cost_usd` repeats its attempts'); a cost
/// that is negative, not finite or above ``FleetWindow/maxCostUSD`` is left out. Token counts
/// below 0 count as 0. Guarantees: no operation traps; integer sums saturate.
package struct FleetCounts: Sendable, Hashable {
    /// Attempts per outcome, in `Outcome.allCases` order; empty before the first attempt.
    package private(set) var outcomes: [Int] = []
    package private(set) var okAttempts = 0
    /// Calls that ended in a failure of the route (not `ok`, `cancelled` or `circuit_open`).
    package private(set) var failedAttempts = 0
    package private(set) var cancelledAttempts = 0
    /// Routes skipped without a call because their breaker was open.
    package private(set) var skippedAttempts = 0
    package private(set) var retries = 0
    /// Attempts (calls and skips) after which the job moved on to another route.
    package private(set) var failoversOut = 0
    /// Calls that lost a hedge race.
    package private(set) var hedges = 0
    package private(set) var gaveUp = 0
    /// Succeeded jobs this route served that did not start on it (`served_by.route_index > 0`).
    package private(set) var failoversIn = 0
    package private(set) var jobsSucceeded = 0
    package private(set) var jobsFailed = 0
    package private(set) var costUSD = 0.0
    package private(set) var inputTokens = 0
    package private(set) var outputTokens = 0

    package init() {}

    /// Provider calls: every attempt but a `circuit_open` skip.
    package var attempts: Int { SafeNumber.add(SafeNumber.add(okAttempts, failedAttempts), cancelledAttempts) }

    /// Finished jobs, succeeded or failed.
    package var jobs: Int { SafeNumber.add(jobsSucceeded, jobsFailed) }

    /// `ok` calls over the calls that ended on their own (`ok` and failed; cancelled calls ended
    /// by the engine's choice and are left out); `nil` without such calls.
    package var successShare: Double? {
        let decided = SafeNumber.add(okAttempts, failedAttempts)
        guard decided > 0 else { return nil }
        return Double(okAttempts) / Double(decided)
    }

    /// Succeeded jobs over finished jobs; `nil` without jobs.
    package var jobSuccessShare: Double? {
        guard jobs > 0 else { return nil }
        return Double(jobsSucceeded) / Double(jobs)
    }

    /// Attempts with `outcome`.
    package func count(_ outcome: Outcome) -> Int {
        let index = Self.index(outcome)
        return index < outcomes.count ? outcomes[index] : 0
    }

    /// True when nothing was counted.
    package var isEmpty: Bool {
        attempts == 0 && skippedAttempts == 0 && jobs == 0 && costUSD == 0 && inputTokens == 0 && outputTokens == 0
            && retries == 0 && failoversOut == 0 && hedges == 0 && gaveUp == 0
    }

    /// Counts one attempt event.
    package mutating func record(_ attempt: TelemetryEvent.Attempt) {
        if outcomes.isEmpty { outcomes = Array(repeating: 0, count: Self.outcomeCount) }
        let index = Self.index(attempt.outcome)
        outcomes[index] = SafeNumber.add(outcomes[index], 1)
        switch attempt.outcome {
        case .ok: okAttempts = SafeNumber.add(okAttempts, 1)
        case .cancelled: cancelledAttempts = SafeNumber.add(cancelledAttempts, 1)
        case .circuitOpen: skippedAttempts = SafeNumber.add(skippedAttempts, 1)
        default: failedAttempts = SafeNumber.add(failedAttempts, 1)
        }
        switch attempt.decision {
        case .done: break
        case .retry: retries = SafeNumber.add(retries, 1)
        case .failOver: failoversOut = SafeNumber.add(failoversOut, 1)
        case .hedge: hedges = SafeNumber.add(hedges, 1)
        case .giveUp: gaveUp = SafeNumber.add(gaveUp, 1)
        }
        if let cost = attempt.costUSD, cost.isFinite, cost >= 0, cost <= FleetWindow.maxCostUSD { costUSD += cost }
        if let usage = attempt.usage {
            inputTokens = SafeNumber.add(inputTokens, max(0, usage.inputTokens))
            outputTokens = SafeNumber.add(outputTokens, max(0, usage.outputTokens))
        }
    }

    /// Counts one finished job.
    package mutating func record(_ job: TelemetryEvent.JobFinished) {
        if job.succeeded {
            jobsSucceeded = SafeNumber.add(jobsSucceeded, 1)
            if let servedBy = job.servedBy, servedBy.routeIndex > 0 { failoversIn = SafeNumber.add(failoversIn, 1) }
        } else {
            jobsFailed = SafeNumber.add(jobsFailed, 1)
        }
    }

    /// Adds `other`'s counts to these.
    package mutating func add(_ other: FleetCounts) {
        if !other.outcomes.isEmpty {
            if outcomes.isEmpty { outcomes = Array(repeating: 0, count: Self.outcomeCount) }
            for (index, count) in zip(outcomes.indices, other.outcomes) { outcomes[index] = SafeNumber.add(outcomes[index], count) }
        }
        okAttempts = SafeNumber.add(okAttempts, other.okAttempts)
        failedAttempts = SafeNumber.add(failedAttempts, other.failedAttempts)
        cancelledAttempts = SafeNumber.add(cancelledAttempts, other.cancelledAttempts)
        skippedAttempts = SafeNumber.add(skippedAttempts, other.skippedAttempts)
        retries = SafeNumber.add(retries, other.retries)
        failoversOut = SafeNumber.add(failoversOut, other.failoversOut)
        hedges = SafeNumber.add(hedges, other.hedges)
        gaveUp = SafeNumber.add(gaveUp, other.gaveUp)
        failoversIn = SafeNumber.add(failoversIn, other.failoversIn)
        jobsSucceeded = SafeNumber.add(jobsSucceeded, other.jobsSucceeded)
        jobsFailed = SafeNumber.add(jobsFailed, other.jobsFailed)
        costUSD += other.costUSD
        inputTokens = SafeNumber.add(inputTokens, other.inputTokens)
        outputTokens = SafeNumber.add(outputTokens, other.outputTokens)
    }

    /// Zeroes every counter, keeping the outcome list's memory.
    package mutating func removeAll() {
        for index in outcomes.indices { outcomes[index] = 0 }
        okAttempts = 0
        failedAttempts = 0
        cancelledAttempts = 0
        skippedAttempts = 0
        retries = 0
        failoversOut = 0
        hedges = 0
        gaveUp = 0
        failoversIn = 0
        jobsSucceeded = 0
        jobsFailed = 0
        costUSD = 0
        inputTokens = 0
        outputTokens = 0
    }

    private static let outcomeCount = Outcome.allCases.count

    /// The position of `outcome` in `Outcome.allCases`.
    private static func index(_ outcome: Outcome) -> Int {
        switch outcome {
        case .ok: 0
        case .timeout: 1
        case .connection: 2
        case .rateLimited: 3
        case .overloaded: 4
        case .serverError: 5
        case .clientError: 6
        case .authError: 7
        case .invalidOutput: 8
        case .circuitOpen: 9
        case .cancelled: 10
        }
    }
}
