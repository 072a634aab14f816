import Completions
import Failover
import FleetView
import Foundation
import Jobs

/// Ten minutes of one workload with a primary and a backup route: the primary times out from
/// minute 3, its breaker opens at 3:22, lets one probe through at 5:00 (which times out, so it
/// opens again at 5:02) and closes at 7:00; meanwhile every job fails over to the backup.
///
/// Per minute, ten jobs at seconds 1, 6, ..., 46. A healthy job is one `ok` call on the primary
/// (800 + 10·j ms, $0.002). During the outage a job either calls the primary, which times out
/// (30 s), or skips it (`circuit_open`), and then gets an `ok` from the backup (1200 + 10·j ms,
/// $0.003). The first five jobs of minute 3 and the first of minute 5 call the primary; every
/// other outage job skips it.
enum OutageScenario {
    static let workload = "summaries"
    static let primary = RouteKey(provider: "claude-direct", model: "claude-sonnet-4-5")
    static let backup = RouteKey(provider: "claude-azure", model: "claude-sonnet-4-5")
    /// Minute 0: 2026-11-24T22:00:00Z.
    static let start = Date(timeIntervalSince1970: 1_795_557_600)
    static let minutes = 10
    static let jobsPerMinute = 10
    static let primaryCost = 0.002
    static let backupCost = 0.003

    /// The minute numbers of the window for minutes 0..<10.
    static var firstMinute: Int { FleetWindow.minute(of: start) ?? 0 }

    static func at(minute: Int, second: Double) -> Date {
        start.addingTimeInterval(Double(minute * 60) + second)
    }

    static var end: Date { at(minute: minutes, second: 0) }

    static func isOutage(_ minute: Int) -> Bool { (3...6).contains(minute) }

    /// Whether job `job` of outage minute `minute` calls the primary (and times out).
    static func callsPrimary(minute: Int, job: Int) -> Bool {
        (minute == 3 && job < 5) || (minute == 5 && job == 0)
    }

    static let breakerChanges: [(CircuitState, Date)] = [
        (.open, at(minute: 3, second: 22)),
        (.halfOpen, at(minute: 5, second: 0)),
        (.open, at(minute: 5, second: 2)),
        (.halfOpen, at(minute: 6, second: 59)),
        (.closed, at(minute: 7, second: 0)),
    ]

    /// Every event, in time order.
    static var events: [TelemetryEvent] {
        var events: [TelemetryEvent] = []
        for minute in 0..<minutes {
            for job in 0..<jobsPerMinute {
                events += jobEvents(minute: minute, job: job)
            }
        }
        for (state, date) in breakerChanges {
            events.append(.circuit(TelemetryEvent.Circuit(route: primary, state: state, at: date, cooldownMs: state == .open ? 5_000 : nil)))
        }
        return events.sorted { time($0) < time($1) }
    }

    /// Dead letters: three `invalid_json` in minute 4, one `schema_violation` in minute 8.
    static let deadLetters: [(String, Date)] = [
        ("invalid_json", at(minute: 4, second: 10)), ("invalid_json", at(minute: 4, second: 20)),
        ("invalid_json", at(minute: 4, second: 30)), ("schema_violation", at(minute: 8, second: 5)),
    ]

    /// A window holding the whole scenario.
    static func window() -> FleetWindow {
        var window = FleetWindow()
        for event in events { window.ingest(event) }
        for (errorClass, date) in deadLetters { window.ingestDeadLetter(errorClass: errorClass, at: date) }
        return window
    }

    /// The call latencies of each route, for exact percentiles.
    static var primaryCallLatencies: [Double] {
        var latencies: [Double] = []
        for minute in 0..<minutes {
            for job in 0..<jobsPerMinute {
                if !isOutage(minute) { latencies.append(Double(800 + 10 * job)) }
                if isOutage(minute), callsPrimary(minute: minute, job: job) { latencies.append(30_000) }
            }
        }
        return latencies
    }

    static var jobLatencies: [Double] {
        var latencies: [Double] = []
        for minute in 0..<minutes {
            for job in 0..<jobsPerMinute {
                if !isOutage(minute) {
                    latencies.append(Double(803 + 10 * job))
                } else {
                    latencies.append(Double((callsPrimary(minute: minute, job: job) ? 31_203 : 1_203) + 10 * job))
                }
            }
        }
        return latencies
    }

    private static func jobEvents(minute: Int, job: Int) -> [TelemetryEvent] {
        let id = "job-\(minute)-\(job)"
        let date = at(minute: minute, second: Double(1 + 5 * job))
        let usage = CompletionResponse.Usage(inputTokens: 100, outputTokens: 50)
        guard isOutage(minute) else {
            return [
                .attempt(
                    TelemetryEvent.Attempt(
                        jobID: id, workload: workload, attempt: 1, routeIndex: 0, route: primary, outcome: .ok, httpStatus: 200,
                        latencyMs: 800 + 10 * job, decision: .done, at: date, costUSD: primaryCost, usage: usage)),
                .job(
                    TelemetryEvent.JobFinished(
                        jobID: id, workload: workload, succeeded: true, servedBy: JobResult.ServedBy(route: primary, routeIndex: 0), attempts: 1,
                        latencyMs: 803 + 10 * job, costUSD: primaryCost, at: date)),
            ]
        }
        let calls = callsPrimary(minute: minute, job: job)
        let first = TelemetryEvent.Attempt(
            jobID: id, workload: workload, attempt: 1, routeIndex: 0, route: primary, outcome: calls ? .timeout : .circuitOpen,
            latencyMs: calls ? 30_000 : 0, decision: .failOver, at: date)
        let second = TelemetryEvent.Attempt(
            jobID: id, workload: workload, attempt: 2, routeIndex: 1, route: backup, outcome: .ok, httpStatus: 200, latencyMs: 1_200 + 10 * job,
            decision: .done, at: date, costUSD: backupCost, usage: usage)
        let finished = TelemetryEvent.JobFinished(
            jobID: id, workload: workload, succeeded: true, servedBy: JobResult.ServedBy(route: backup, routeIndex: 1), attempts: calls ? 2 : 1,
            latencyMs: (calls ? 31_203 : 1_203) + 10 * job, costUSD: backupCost, at: date)
        return [.attempt(first), .attempt(second), .job(finished)]
    }

    private static func time(_ event: TelemetryEvent) -> Date {
        switch event {
        case .attempt(let event): event.at
        case .job(let event): event.at
        case .circuit(let event): event.at
        case .shadow(let event): event.at
        case .budget(let event): event.at
        case .batch(let event): event.at
        }
    }
}
