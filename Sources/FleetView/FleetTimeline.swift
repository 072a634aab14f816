import Failover
import Foundation
import Jobs

/// The outage timeline as one self-contained SVG document (no font, script, stylesheet or image
/// from elsewhere): one lane per route, time in minutes across with labelled UTC ticks; in each
/// lane, per minute, a bar of calls (`ok` green below, failed red stacked on top) and an orange
/// line of failovers out, on one scale per lane; the breaker's `open` stretches shaded red and
/// `half_open` amber across the lane; a legend on top.
///
/// Markup a test can rely on: each lane is `<g class="lane" data-route="provider/model">`, its
/// bars `rect class="ok"` and `rect class="failed"`, its line `polyline class="failovers"`, its
/// shading `rect class="breaker-open"` and `rect class="breaker-half-open"`.
///
/// Guarantees: well-formed XML whatever the names (every name is escaped with ``Markup/escape(_:)``,
/// long ones cut for the label, whole in the lane's `<title>`); at most ``FleetWindow/maxSeries``
/// lanes (routes across workloads; the failed jobs of no route have no lane) and at most
/// ``FleetWindow/maxMinutes`` columns (the latest of the range), so the document's size is
/// bounded; never traps.
package enum FleetTimeline {
    private static let labelWidth = 230.0
    private static let plotWidth = 960.0
    private static let laneHeight = 64.0
    private static let laneGap = 16.0
    private static let top = 64.0
    private static let axisHeight = 28.0
    private static let maxLabelCharacters = 34

    /// The timeline of `window` over the minutes that overlap `since..<until`.
    package static func svg(window: FleetWindow, since: Date, until: Date) -> String {
        let minutes = window.minutes(since: since, until: until)
        let lanes = minutes.map { makeLanes(window: window, minutes: $0) } ?? []
        let width = labelWidth + plotWidth + 20
        let height = top + Double(max(lanes.count, 1)) * (laneHeight + laneGap) + axisHeight
        var svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"fleet-timeline\" width=\"\(fixed(width))\" height=\"\(fixed(height))\" "
        svg += "viewBox=\"0 0 \(fixed(width)) \(fixed(height))\" font-family=\"system-ui, sans-serif\" font-size=\"12\">\n"
        svg += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
        let title = "understudy fleet timeline: \(RFC3339.string(from: since)) .. \(RFC3339.string(from: until))"
        svg += "<text x=\"8\" y=\"20\" font-size=\"15\" font-weight=\"600\" fill=\"#1b1b1b\">\(Markup.escape(title))</text>\n"
        svg += legend()
        guard let minutes, !lanes.isEmpty else {
            svg += "<text x=\"8\" y=\"\(fixed(top + 24))\" fill=\"#555555\">No calls or breaker changes in this range.</text>\n"
            return svg + "</svg>\n"
        }
        let columns = minutes.count
        let columnWidth = plotWidth / Double(columns)
        let rangeStart = FleetWindow.start(ofMinute: minutes.lowerBound)
        let rangeEnd = FleetWindow.start(ofMinute: minutes.upperBound + 1)
        func x(_ minute: Int) -> Double { labelWidth + Double(minute - minutes.lowerBound) * columnWidth }
        func x(_ date: Date) -> Double {
            let offset = date.timeIntervalSince(rangeStart) / 60
            guard offset.isFinite else { return labelWidth }
            return labelWidth + min(max(offset, 0), Double(columns)) * columnWidth
        }
        svg += ticks(minutes: minutes, x: x, height: height)
        for (number, lane) in lanes.enumerated() {
            let laneTop = top + Double(number) * (laneHeight + laneGap)
            let bottom = laneTop + laneHeight
            svg += "<g class=\"lane\" data-route=\"\(Markup.escape(lane.route.description))\">"
            svg += "<title>\(Markup.escape(lane.route.description))</title>\n"
            svg += "<rect class=\"lane-background\" x=\"\(fixed(labelWidth))\" y=\"\(fixed(laneTop))\" width=\"\(fixed(plotWidth))\" "
            svg += "height=\"\(fixed(laneHeight))\" fill=\"#f7f7f7\"/>\n"
            for span in lane.spans {
                let left = x(span.start)
                let right = x(span.end ?? rangeEnd)
                let (css, fill, opacity) = span.state == .open ? ("breaker-open", "#d62728", "0.22") : ("breaker-half-open", "#f0a500", "0.30")
                svg += "<rect class=\"\(css)\" x=\"\(fixed(left))\" y=\"\(fixed(laneTop))\" width=\"\(fixed(max(right - left, 1)))\" "
                svg += "height=\"\(fixed(laneHeight))\" fill=\"\(fill)\" fill-opacity=\"\(opacity)\"/>\n"
            }
            let scale = (laneHeight - 6) / Double(max(lane.peak, 1))
            let barWidth = max(columnWidth * 0.8, 0.5)
            for (offset, point) in lane.points.enumerated() where point.ok > 0 || point.failed > 0 {
                let left = x(minutes.lowerBound + offset) + (columnWidth - barWidth) / 2
                let okHeight = Double(point.ok) * scale
                let failedHeight = Double(point.failed) * scale
                if point.ok > 0 {
                    svg += "<rect class=\"ok\" x=\"\(fixed(left))\" y=\"\(fixed(bottom - okHeight))\" width=\"\(fixed(barWidth))\" "
                    svg += "height=\"\(fixed(okHeight))\" fill=\"#2e8b57\"/>"
                }
                if point.failed > 0 {
                    svg += "<rect class=\"failed\" x=\"\(fixed(left))\" y=\"\(fixed(bottom - okHeight - failedHeight))\" "
                    svg += "width=\"\(fixed(barWidth))\" height=\"\(fixed(failedHeight))\" fill=\"#d62728\"/>"
                }
            }
            svg += "\n"
            if lane.points.contains(where: { $0.failoversOut > 0 }) {
                let points = lane.points.enumerated().map { offset, point in
                    "\(fixed(x(minutes.lowerBound + offset) + columnWidth / 2)),\(fixed(bottom - Double(point.failoversOut) * scale))"
                }
                svg += "<polyline class=\"failovers\" data-series=\"\(Markup.escape(lane.route.description))\" fill=\"none\" "
                svg += "stroke=\"#ff7f0e\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>\n"
            }
            let label = Markup.cut(lane.route.description, to: maxLabelCharacters)
            svg += "<text class=\"lane-label\" x=\"8\" y=\"\(fixed(laneTop + laneHeight / 2 - 4))\" fill=\"#1b1b1b\">\(Markup.escape(label))</text>"
            let summary = "\(lane.calls) calls, \(lane.failed) failed, \(lane.failoversOut) failovers out"
            svg += "<text x=\"8\" y=\"\(fixed(laneTop + laneHeight / 2 + 12))\" fill=\"#666666\" font-size=\"10\">\(summary)</text>\n"
            svg += "</g>\n"
        }
        return svg + "</svg>\n"
    }

    /// One route's lane.
    private struct Lane {
        /// One minute of the lane.
        struct Point {
            var ok = 0
            var failed = 0
            var failoversOut = 0
        }

        var route: FleetRoute
        var points: [Point]
        var spans: [BreakerHistory.Span] = []

        var peak: Int { points.reduce(0) { max($0, SafeNumber.add($1.ok, $1.failed), $1.failoversOut) } }
        var calls: Int { points.reduce(0) { SafeNumber.add($0, SafeNumber.add($1.ok, $1.failed)) } }
        var failed: Int { points.reduce(0) { SafeNumber.add($0, $1.failed) } }
        var failoversOut: Int { points.reduce(0) { SafeNumber.add($0, $1.failoversOut) } }
    }

    /// The lanes: every route with calls, skips or failovers in `minutes`, and every route whose
    /// breaker was not closed at some time in them; at most the window's `maxSeries`.
    private static func makeLanes(window: FleetWindow, minutes: ClosedRange<Int>) -> [Lane] {
        var lanes: [FleetRoute: Lane] = [:]
        window.forEachStats(in: minutes) { key, minute, stats in
            guard key.route != .none else { return }
            let counts = stats.counts
            guard counts.attempts > 0 || counts.skippedAttempts > 0 || counts.failoversOut > 0 else { return }
            let offset = minute - minutes.lowerBound
            var lane = lanes[key.route] ?? Lane(route: key.route, points: Array(repeating: Lane.Point(), count: minutes.count))
            lane.points[offset].ok = SafeNumber.add(lane.points[offset].ok, counts.okAttempts)
            lane.points[offset].failed = SafeNumber.add(lane.points[offset].failed, counts.failedAttempts)
            lane.points[offset].failoversOut = SafeNumber.add(lane.points[offset].failoversOut, counts.failoversOut)
            lanes[key.route] = lane
        }
        let since = FleetWindow.start(ofMinute: minutes.lowerBound)
        let until = FleetWindow.start(ofMinute: minutes.upperBound + 1)
        for route in window.breakerRoutes {
            guard let spans = window.breaker(route)?.spans(since: since, until: until), !spans.isEmpty else { continue }
            lanes[.route(route), default: Lane(route: .route(route), points: Array(repeating: Lane.Point(), count: minutes.count))].spans =
                spans
        }
        return lanes.values.sorted { $0.route < $1.route }.prefix(window.maxSeries).map { $0 }
    }

    private static func legend() -> String {
        let items: [(String, String)] = [
            ("<rect width=\"12\" height=\"12\" fill=\"#2e8b57\"/>", "ok calls"),
            ("<rect width=\"12\" height=\"12\" fill=\"#d62728\"/>", "failed calls"),
            ("<line x1=\"0\" y1=\"6\" x2=\"14\" y2=\"6\" stroke=\"#ff7f0e\" stroke-width=\"2\"/>", "failovers out"),
            ("<rect width=\"12\" height=\"12\" fill=\"#d62728\" fill-opacity=\"0.22\"/>", "breaker open"),
            ("<rect width=\"12\" height=\"12\" fill=\"#f0a500\" fill-opacity=\"0.30\"/>", "breaker half-open"),
        ]
        var svg = "<g class=\"legend\">"
        for (number, item) in items.enumerated() {
            let left = 8 + number * 150
            svg += "<g transform=\"translate(\(left),32)\">\(item.0)<text x=\"18\" y=\"11\" fill=\"#333333\">\(item.1)</text></g>"
        }
        return svg + "</g>\n"
    }

    /// Vertical grid lines and `HH:MM` labels every 1, 2, 5, ... minutes, about ten across.
    private static func ticks(minutes: ClosedRange<Int>, x: (Int) -> Double, height: Double) -> String {
        let steps = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1_440]
        let step = steps.first { minutes.count / $0 <= 12 } ?? 1_440
        var svg = "<g class=\"axis\">"
        var minute = minutes.lowerBound + FleetWindow.slot(-minutes.lowerBound, of: step)
        while minute <= minutes.upperBound + 1 {
            let left = x(minute)
            svg += "<line x1=\"\(fixed(left))\" y1=\"\(fixed(top - 6))\" x2=\"\(fixed(left))\" y2=\"\(fixed(height - axisHeight + 4))\" "
            svg += "stroke=\"#dddddd\"/>"
            svg +=
                "<text x=\"\(fixed(left))\" y=\"\(fixed(height - 10))\" text-anchor=\"middle\" fill=\"#444444\">\(NumberText.clock(minute: minute))</text>"
            minute += step
        }
        return svg + "</g>\n"
    }

    private static func fixed(_ value: Double) -> String {
        NumberText.fixed(value, decimals: 2)
    }
}
