import Failover
import Jobs

/// The summary as a plain-text report for a terminal: a header line with the range, a table of
/// workloads, a table of routes, the dead letters, and the error bound of the latencies.
///
/// Columns are aligned (names left, numbers right, two spaces apart); names are cut to
/// ``maxNameColumn`` characters and every control or bidirectional-override character in them
/// is shown as `?`, so a hostile name cannot break the table or the terminal.
extension FleetSummary {
    /// The widest a name column gets.
    package static let maxNameColumn = 48

    /// The report, lines ending in `\n`.
    package func text() -> String {
        var out = "understudy fleet report: \(RFC3339.string(from: since)) .. \(RFC3339.string(from: until))"
        out += " (\(minutes?.count ?? 0) minutes)\n\n"
        let workloadHeader = [
            "WORKLOAD", "JOBS", "FAILED", "JOBS OK", "CALLS", "CALLS OK", "FAILOVER OUT", "FAILOVER IN", "CALL P50", "CALL P95",
            "JOB P50", "JOB P95", "COST USD",
        ]
        var workloadRows = workloads.map { row in
            [Self.name(row.name)] + [
                String(row.counts.jobs), String(row.counts.jobsFailed), NumberText.percent(row.counts.jobSuccessShare),
                String(row.counts.attempts), NumberText.percent(row.counts.successShare), String(row.counts.failoversOut),
                String(row.counts.failoversIn), NumberText.milliseconds(row.attemptP50Ms), NumberText.milliseconds(row.attemptP95Ms),
                NumberText.milliseconds(row.jobP50Ms), NumberText.milliseconds(row.jobP95Ms), NumberText.fixed(row.counts.costUSD, decimals: 4),
            ]
        }
        if workloads.count > 1 {
            let counts = fleet.counts
            workloadRows.append([
                "all", String(counts.jobs), String(counts.jobsFailed), NumberText.percent(counts.jobSuccessShare), String(counts.attempts),
                NumberText.percent(counts.successShare), String(counts.failoversOut), String(counts.failoversIn),
                NumberText.milliseconds(fleet.attemptLatency.p50), NumberText.milliseconds(fleet.attemptLatency.p95),
                NumberText.milliseconds(fleet.jobLatency.p50), NumberText.milliseconds(fleet.jobLatency.p95),
                NumberText.fixed(counts.costUSD, decimals: 4),
            ])
        }
        out += workloadRows.isEmpty ? "No jobs or attempts in this range.\n" : Self.table(header: workloadHeader, rows: workloadRows)
        out += "\n"
        let routeHeader = [
            "ROUTE", "JOBS", "CALLS", "SKIPPED", "CALLS OK", "FAILOVER OUT", "FAILOVER IN", "CALL P50", "CALL P95", "JOB P50", "JOB P95",
            "COST USD", "TRIPS", "BREAKER",
        ]
        let routeRows = routes.map { row in
            [Self.name(row.name)] + [
                String(row.counts.jobs), String(row.counts.attempts), String(row.counts.skippedAttempts),
                NumberText.percent(row.counts.successShare), String(row.counts.failoversOut), String(row.counts.failoversIn),
                NumberText.milliseconds(row.attemptP50Ms), NumberText.milliseconds(row.attemptP95Ms),
                NumberText.milliseconds(row.jobP50Ms), NumberText.milliseconds(row.jobP95Ms),
                NumberText.fixed(row.counts.costUSD, decimals: 4), row.breakerTrips.map(String.init) ?? "-",
                row.breakerState?.rawValue ?? "-",
            ]
        }
        if !routeRows.isEmpty { out += Self.table(header: routeHeader, rows: routeRows) + "\n" }
        if deadLetters.isEmpty {
            out += "Dead letters: none.\n"
        } else {
            let classes = deadLetters.map { "\(Self.name($0.errorClass)) \($0.count)" }.joined(separator: ", ")
            out += "Dead letters: \(deadLetterTotal) (\(classes)).\n"
        }
        let dropped = [
            ("older than the window", drops.tooOld), ("dated too far ahead", drops.tooNew), ("with a bad time", drops.badTime),
            ("breaker changes past the route limit", drops.breakerRoutes),
        ].filter { $0.1 > 0 }
        if !dropped.isEmpty {
            out += "Not counted: " + dropped.map { "\($0.1) \($0.0)" }.joined(separator: ", ") + ".\n"
        }
        if drops.folded > 0 { out += "\(drops.folded) events were counted in (other): more series than the window keeps.\n" }
        out += "Calls: provider calls (breaker skips not counted); CALLS OK: ok / (ok + failed), cancelled calls left out.\n"
        out += "Latencies in ms, read from histograms: within \(NumberText.fixed(LatencyHistogram.relativeErrorBound * 100, decimals: 2))% "
        out += "of the exact percentile.\n"
        return out
    }

    /// `name` safe for the terminal and cut to ``maxNameColumn``.
    private static func name(_ name: String) -> String {
        Markup.cut(Markup.terminal(name), to: maxNameColumn)
    }

    /// The rows under the header: first column left-aligned, the others right-aligned.
    private static func table(header: [String], rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (column, cell) in row.enumerated() where column < widths.count { widths[column] = max(widths[column], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            var text = ""
            for (column, cell) in cells.enumerated() where column < widths.count {
                let padding = String(repeating: " ", count: max(0, widths[column] - cell.count))
                if column == 0 {
                    text += cell + padding
                } else {
                    text += "  " + padding + cell
                }
            }
            return text + "\n"
        }
        return ([header] + rows).map(line).joined()
    }
}
