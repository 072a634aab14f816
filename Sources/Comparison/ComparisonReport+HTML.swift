/// `report.html`: one self-contained page (no script, font, stylesheet or image from anywhere
/// else) with the verdicts on top, then charts drawn as inline SVG (latency percentiles per route,
/// cost per job per route, a similarity histogram per backup) and the jobs each backup disagreed
/// with the primary on most, side by side.
///
/// Guarantees: every text from a provider, a job or the config is HTML-escaped; the page's size
/// is bounded (at most ``ComparisonReport/maxWorstJobs`` pairs per backup, each answer cut to
/// ``ComparisonReport/maxShownAnswerBytes``).
extension ComparisonReport {
    /// `report.html`.
    package func html() -> String {
        var page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <title>understudy compare: \(Self.escape(workload))</title>
            <style>
            body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#1b1b1b;max-width:1100px}
            table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
            .pass{color:#0a6b2b;font-weight:600}.fail{color:#b3001b;font-weight:600}.na{color:#777}
            .pair{display:grid;grid-template-columns:1fr 1fr;gap:1em}.pair pre{white-space:pre-wrap;background:#f6f6f6;padding:8px;margin:0}
            svg{margin:0.5em 0}h2{margin-top:1.6em}
            </style></head><body>
            <h1>understudy compare: \(Self.escape(workload))</h1>
            <p id="summary" class="\(passed ? "pass" : "fail")">\(Self.escape(lastLine))</p>
            <p>\(jobs) sample jobs on every route; primary <code>\(Self.escape(primary.route))</code>.\(partial ? " <strong>Partial: the run was interrupted.</strong>" : "")</p>

            """
        page += verdictTable()
        page += "<h2>Latency per route (ms)</h2>\n" + latencyChart()
        page += "<h2>Cost per job per route (USD)</h2>\n" + costChart()
        for backup in backups {
            page += "<h2>Similarity to the primary: <code>\(Self.escape(backup.summary.route))</code></h2>\n"
            page += similarityHistogram(backup)
            if let judge {
                page +=
                    "<p class=\"judge\">Judge <code>\(Self.escape(judge))</code>: the answers say the same thing on "
                    + "\(backup.judgedSame) of \(backup.judgements.count) judged jobs.</p>\n"
            }
            page += worstJobs(backup)
        }
        page += "</body></html>\n"
        return page
    }

    private func verdictTable() -> String {
        var rows = "<table id=\"verdicts\"><tr><th>backup</th><th>verdict</th>"
        for criterion in ComparisonCriterion.allCases { rows += "<th>\(criterion.rawValue)</th>" }
        rows += "</tr>\n"
        for backup in backups {
            let verdict = backup.verdict
            rows += "<tr><td><code>\(Self.escape(backup.summary.route))</code></td>"
            rows += verdict.passed ? "<td class=\"pass\">pass</td>" : "<td class=\"fail\">fail</td>"
            for check in verdict.checks {
                let measured = check.measured.map { DecimalText.fixed($0, decimals: 2) } ?? "n/a"
                let threshold = DecimalText.fixed(check.threshold, decimals: 2)
                let css =
                    switch check.status {
                    case .passed: "pass"
                    case .breached: "fail"
                    case .notApplicable: "na"
                    }
                rows += "<td class=\"\(css)\">\(measured) (limit \(threshold))</td>"
            }
            rows += "</tr>\n"
        }
        return rows + "</table>\n"
    }

    /// One group of bars per route: p50, p95, p99.
    private func latencyChart() -> String {
        let routes = [primary] + backups.map(\.summary)
        let series = routes.map { summary in (summary.route, [summary.latencyP50, summary.latencyP95, summary.latencyP99]) }
        return Self.barChart(id: "latency", series: series, labels: ["p50", "p95", "p99"], digits: 0)
    }

    private func costChart() -> String {
        let routes = [primary] + backups.map(\.summary)
        return Self.barChart(id: "cost", series: routes.map { ($0.route, [$0.meanCostUSD]) }, labels: ["per job"], digits: 6)
    }

    /// Ten bins of similarity, 0 to 1.
    private func similarityHistogram(_ backup: Backup) -> String {
        var bins = [Int](repeating: 0, count: 10)
        for similarity in backup.similarities.values where similarity.isFinite {
            let bin = min(9, max(0, Int((similarity * 10).rounded(.down).clamped(to: 0...9))))
            bins[bin] += 1
        }
        let top = max(1, bins.max() ?? 1)
        let width = 400
        let height = 120
        var svg = "<svg class=\"chart\" id=\"similarity-\(Self.escape(backup.summary.route))\" role=\"img\" "
        svg += "xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height + 20)\" viewBox=\"0 0 \(width) \(height + 20)\">"
        svg += "<g class=\"series\" data-route=\"\(Self.escape(backup.summary.route))\">"
        for (index, count) in bins.enumerated() {
            let barHeight = count * height / top
            svg += "<rect x=\"\(index * 40 + 2)\" y=\"\(height - barHeight)\" width=\"36\" height=\"\(barHeight)\" fill=\"#4c78a8\">"
            svg +=
                "<title>\(DecimalText.fixed(Double(index) / 10, decimals: 1))–\(DecimalText.fixed(Double(index + 1) / 10, decimals: 1)): \(count) jobs</title></rect>"
        }
        svg += "</g>"
        svg += "<text x=\"0\" y=\"\(height + 15)\" font-size=\"11\">0</text><text x=\"\(width - 12)\" y=\"\(height + 15)\" font-size=\"11\">1</text>"
        return svg + "</svg>\n"
    }

    private func worstJobs(_ backup: Backup) -> String {
        guard !backup.worst.isEmpty else { return "" }
        var html = "<h3>Where it disagreed most</h3>\n"
        for pair in backup.worst {
            html += "<p><code>\(Self.escape(pair.jobID))</code>: similarity \(DecimalText.fixed(pair.similarity, decimals: 2))"
            if let verdict = pair.judgement {
                html += "; judge: \(verdict.same ? "same" : "different"), \(Self.escape(verdict.reason))"
            }
            html += "</p>\n"
            guard let primary = pair.primary, let answer = pair.backup else {
                html += "<p class=\"note\">The answers are not kept in telemetry; run <code>understudy compare</code> on this job to see them.</p>\n"
                continue
            }
            html += "<div class=\"pair\"><div><strong>primary</strong><pre>\(Self.escape(primary))</pre></div>"
            html += "<div><strong>backup</strong><pre>\(Self.escape(answer))</pre></div></div>\n"
        }
        return html
    }

    /// Horizontal bars: one group per route, one bar per label; the scale is the largest value.
    private static func barChart(id: String, series: [(String, [Double?])], labels: [String], digits: Int) -> String {
        let values = series.flatMap { $0.1.compactMap { $0 } }.filter(\.isFinite)
        let top = max(values.max() ?? 1, .leastNonzeroMagnitude)
        let rowHeight = 16
        let groupHeight = rowHeight * labels.count + 10
        let width = 640
        let labelWidth = 260
        let height = groupHeight * series.count
        var svg = "<svg class=\"chart\" id=\"\(id)\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" "
        svg += "height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\">"
        let colors = ["#4c78a8", "#f58518", "#e45756"]
        for (group, (route, bars)) in series.enumerated() {
            let y0 = group * groupHeight
            svg += "<g class=\"series\" data-route=\"\(escape(route))\">"
            svg += "<text x=\"0\" y=\"\(y0 + 12)\" font-size=\"12\">\(escape(route))</text>"
            for (index, value) in bars.enumerated() {
                let y = y0 + index * rowHeight
                let finite = value.flatMap { $0.isFinite ? $0 : nil }
                let length = finite.map { Int(($0 / top * Double(width - labelWidth - 90)).rounded().clamped(to: 0...10_000)) } ?? 0
                let label = index < labels.count ? labels[index] : ""
                svg +=
                    "<rect x=\"\(labelWidth)\" y=\"\(y + 2)\" width=\"\(length)\" height=\"\(rowHeight - 4)\" fill=\"\(colors[index % colors.count])\">"
                svg += "<title>\(label)</title></rect>"
                let text = finite.map { DecimalText.fixed($0, decimals: digits) } ?? "n/a"
                svg += "<text x=\"\(labelWidth + length + 4)\" y=\"\(y + 12)\" font-size=\"11\">\(label) \(text)</text>"
            }
            svg += "</g>"
        }
        return svg + "</svg>\n"
    }

    /// `text` safe inside HTML elements and attribute values.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}

extension Double {
    /// This value within `range` (NaN becomes the lower bound).
    fileprivate func clamped(to range: ClosedRange<Double>) -> Double {
        guard !isNaN else { return range.lowerBound }
        return Swift.min(Swift.max(self, range.lowerBound), range.upperBound)
    }
}
