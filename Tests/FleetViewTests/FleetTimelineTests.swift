import Completions
import Failover
import FleetView
import Foundation
import Jobs
import Testing

@Suite struct FleetTimelineTests {
    @Test func outageTimelineHasALanePerRouteAndShadesTheOpenBreaker() throws {
        let svg = FleetTimeline.svg(window: OutageScenario.window(), since: OutageScenario.start, until: OutageScenario.end)
        let document = try #require(XMLElements.parse(svg))
        let lanes = document.elements.filter { $0.attributes["class"] == "lane" }.compactMap { $0.attributes["data-route"] }
        let primary = OutageScenario.primary.description
        let backup = OutageScenario.backup.description
        #expect(lanes == [backup, primary])
        #expect(document.count("rect", class: "breaker-open", lane: primary) == 2)
        #expect(document.count("rect", class: "breaker-half-open", lane: primary) == 2)
        #expect(document.count("rect", class: "breaker-open", lane: backup) == 0)
        // Six healthy minutes of ok calls on the primary, failed calls in minutes 3 and 5.
        #expect(document.count("rect", class: "ok", lane: primary) == 6)
        #expect(document.count("rect", class: "failed", lane: primary) == 2)
        #expect(document.count("rect", class: "ok", lane: backup) == 4)
        #expect(document.count("polyline", class: "failovers", lane: primary) == 1)
        #expect(document.count("polyline", class: "failovers", lane: backup) == 0)
        #expect(document.texts.contains("22:00"))
        #expect(document.texts.contains("22:10"))
        #expect(document.texts.contains("breaker open"))
        #expect(!svg.contains("<script"))
        // The open span starts at 3:22, 32.2% of the way across the plot.
        let open = try #require(document.elements.first { $0.attributes["class"] == "breaker-open" })
        let x = try #require(open.attributes["x"].flatMap(Double.init))
        #expect(abs(x - (230 + 960 * 3.3667 / 10)) < 0.5)
    }

    @Test func hostileNamesStayWellFormed() throws {
        var window = FleetWindow()
        let names = ["<g class=\"lane\">&", "a\u{1}b\u{0}c\u{FFFE}", "\"'><!--", String(repeating: "ß", count: 400)]
        for (number, name) in names.enumerated() {
            let route = RouteKey(provider: name, model: "m\(number)")
            window.ingest(
                .attempt(
                    TelemetryEvent.Attempt(
                        jobID: name, workload: name, attempt: 1, routeIndex: 0, route: route, outcome: .timeout, latencyMs: 10,
                        decision: .failOver, at: OutageScenario.start)))
            window.ingest(.circuit(TelemetryEvent.Circuit(route: route, state: .open, at: OutageScenario.start)))
        }
        let svg = FleetTimeline.svg(window: window, since: OutageScenario.start, until: OutageScenario.end)
        let document = try #require(XMLElements.parse(svg))
        #expect(document.count("g", class: "lane") == names.count)
        #expect(document.count("rect", class: "breaker-open") == names.count)
    }

    @Test func lanesAndColumnsAreBounded() throws {
        var window = FleetWindow(maxMinutes: 120, maxSeries: 16)
        for minute in 0..<300 {
            for route in 0..<40 {
                window.ingest(
                    .attempt(
                        TelemetryEvent.Attempt(
                            jobID: "j", workload: "w", attempt: 1, routeIndex: 0, route: RouteKey(provider: "p\(route)", model: "m"),
                            outcome: .ok, latencyMs: 10, decision: .done, at: OutageScenario.start.addingTimeInterval(Double(minute) * 60))))
            }
        }
        let svg = FleetTimeline.svg(
            window: window, since: OutageScenario.start, until: OutageScenario.start.addingTimeInterval(300 * 60))
        let document = try #require(XMLElements.parse(svg))
        #expect(document.count("g", class: "lane") == 16)
        #expect(document.count("rect", class: "ok") <= 16 * 120)
    }

    @Test func anEmptyRangeIsStillADocument() throws {
        for window in [FleetWindow(), OutageScenario.window()] {
            let svg = FleetTimeline.svg(window: window, since: OutageScenario.end, until: OutageScenario.start)
            #expect(XMLElements.parse(svg) != nil)
            #expect(svg.contains("No calls or breaker changes"))
        }
    }
}
