import Foundation

/// The demo's closing report, computed from the job ids that went in and what was read back
/// from the results and telemetry topics.
struct DemoReport: Sendable {
    var jobsIn: Int
    var resultsOut: Int
    var duplicates: Int
    var succeeded: Int
    var failed: Int
    /// Job ids enqueued with no result on the results topic.
    var lost: [String]
    var servedByPrimary: Int
    var servedByBackup: Int
    var failedOver: Int
    var skippedOpenBreaker: Int
    var breakerTrips: Int
    /// p50, p95, p99 of the results' `latency_ms`.
    var latency: (p50: Double, p95: Double, p99: Double)?
    var costUSD: Double
    var timeline: [(at: Duration, text: String)]
    var wallTime: Duration
    var interrupted: Bool

    init(jobIDs: [String], tally: DemoTally, timeline: [(at: Duration, text: String)], wallTime: Duration, interrupted: Bool) {
        jobsIn = jobIDs.count
        resultsOut = tally.resultMessages
        duplicates = tally.duplicates
        failed = tally.failed
        succeeded = tally.results.count - tally.failed
        lost = jobIDs.filter { tally.results[$0] == nil }
        servedByPrimary = tally.servedByPrimary
        servedByBackup = tally.servedByBackup
        failedOver = tally.failedOver
        skippedOpenBreaker = tally.skippedOpenBreaker
        breakerTrips = tally.primaryBreakerTrips
        let latencies = tally.results.values.map(\.latencyMs).sorted()
        latency = latencies.isEmpty ? nil : (Self.percentile(latencies, 50), Self.percentile(latencies, 95), Self.percentile(latencies, 99))
        costUSD = tally.results.values.reduce(0) { $0 + ($1.costUsd ?? 0) }
        self.timeline = timeline
        self.wallTime = wallTime
        self.interrupted = interrupted
    }

    /// Nearest-rank percentile of an ascending, non-empty list.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }

    var text: String {
        func row(_ label: String, _ value: String) -> String {
            "  " + label.padding(toLength: 22, withPad: " ", startingAt: 0) + value
        }
        var lines = [
            "",
            "understudy demo\(interrupted ? " (interrupted)" : ""): \(jobsIn) summary jobs, primary \(DemoConfig.primary), backup \(DemoConfig.backup)",
            "",
        ]
        for event in timeline {
            lines.append("  " + Self.seconds(event.at).padding(toLength: 8, withPad: " ", startingAt: 0) + event.text)
        }
        lines.append("")
        lines.append(row("jobs in", "\(jobsIn)"))
        lines.append(row("results out", "\(resultsOut) (\(succeeded) succeeded, \(failed) failed, \(duplicates) duplicates)"))
        lines.append(
            row(
                interrupted ? "unfinished" : "lost",
                "\(lost.count)" + (lost.isEmpty ? "" : " (" + lost.prefix(5).joined(separator: ", ") + (lost.count > 5 ? ", ..." : "") + ")")
                    + (interrupted && !lost.isEmpty ? "; still on the jobs topic, uncommitted" : "")))
        lines.append(row("served by primary", "\(servedByPrimary)"))
        lines.append(row("served by backup", "\(servedByBackup)"))
        lines.append(
            row("failovers", "\(failedOver + skippedOpenBreaker) (\(failedOver) after a failed call, \(skippedOpenBreaker) past an open breaker)"))
        lines.append(row("breaker trips", "\(breakerTrips) (primary)"))
        if let latency {
            lines.append(row("latency p50/p95/p99", String(format: "%.0f / %.0f / %.0f ms", latency.p50, latency.p95, latency.p99)))
        }
        lines.append(row("total cost", String(format: "$%.4f", costUSD)))
        lines.append(row("wall time", Self.seconds(wallTime)))
        return lines.joined(separator: "\n")
    }

    static func seconds(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return String(format: "%.1fs", value)
    }
}
