import Completions
import Failover
import FleetView
import Foundation
import Jobs
import Testing

@Suite struct DashboardTests {
    @Test func snapshotHasTheOutageSeries() throws {
        let snapshot = DashboardSnapshot(window: OutageScenario.window(), until: OutageScenario.end, lookBackMinutes: 10)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(snapshot.json())) as? [String: Any])
        let window = try #require(object["window"] as? [String: Any])
        #expect(window["since"] as? String == "2026-11-24T22:00:00.000Z")
        #expect(window["until"] as? String == "2026-11-24T22:10:00.000Z")
        #expect(window["minutes"] as? Int == 10)
        #expect((object["labels"] as? [String])?.first == "22:00")
        let routes = try #require(object["routes"] as? [[String: Any]])
        #expect(routes.compactMap { $0["route"] as? String } == [OutageScenario.backup.description, OutageScenario.primary.description])
        let primary = try #require(routes.first { $0["route"] as? String == OutageScenario.primary.description })
        let backup = try #require(routes.first { $0["route"] as? String == OutageScenario.backup.description })
        let outage = [0, 0, 0, 10, 10, 10, 10, 0, 0, 0]
        #expect(primary["failovers_out"] as? [Int] == outage)
        #expect(backup["failovers_in"] as? [Int] == outage)
        #expect(backup["jobs"] as? [Int] == outage)
        #expect(primary["jobs"] as? [Int] == outage.map { 10 - $0 })
        let shares = try #require(primary["success_share"] as? [Any])
        #expect(
            shares.map { ($0 as? Double).map { String($0) } ?? "null" } == ["1.0", "1.0", "1.0", "0.0", "null", "0.0", "null", "1.0", "1.0", "1.0"])
        let p95 = try #require(primary["p95_ms"] as? [Any])
        #expect(p95.count == 10)
        #expect(p95[4] is NSNull)
        let healthy = try #require(p95[0] as? Double)
        #expect(abs(healthy - 890) <= 890 * LatencyHistogram.relativeErrorBound)
        let cost = try #require(primary["cost_usd"] as? [Double])
        #expect(cost.first == 0.02)
        let workloads = try #require(object["workloads"] as? [[String: Any]])
        #expect(workloads.count == 1)
        #expect(workloads.first?["workload"] as? String == OutageScenario.workload)
        #expect((workloads.first?["routes"] as? [Any])?.count == 2)
        let breakers = try #require(object["breakers"] as? [[String: Any]])
        #expect(breakers.count == 1)
        #expect(breakers.first?["route"] as? String == OutageScenario.primary.description)
        #expect(breakers.first?["state"] as? String == "closed")
        #expect(breakers.first?["since"] as? String == "2026-11-24T22:07:00.000Z")
        #expect(breakers.first?["trips"] as? Int == 2)
        let letters = try #require(object["dead_letters"] as? [String: Any])
        #expect(letters["per_minute"] as? [Int] == [0, 0, 0, 0, 3, 0, 0, 0, 1, 0])
        #expect(!snapshot.json().contains(UInt8(ascii: "\n")))
    }

    @Test func snapshotMidOutageShowsTheOpenBreaker() throws {
        let now = OutageScenario.at(minute: 4, second: 30)
        let snapshot = DashboardSnapshot(window: OutageScenario.window(), until: now, lookBackMinutes: 3)
        #expect(snapshot.minutes?.count == 3)
        #expect(snapshot.breakers.first?.state == .open)
        let primary = try #require(snapshot.routes.first { $0.route == .route(OutageScenario.primary) })
        #expect(primary.points.map(\.failoversOut) == [0, 10, 10])
    }

    @Test func snapshotIsBounded() throws {
        var window = FleetWindow(maxMinutes: 30, maxSeries: 12)
        for minute in 0..<100 {
            for route in 0..<50 {
                window.ingest(
                    .attempt(
                        TelemetryEvent.Attempt(
                            jobID: "j", workload: "w\(route % 3)", attempt: 1, routeIndex: 0, route: RouteKey(provider: "p\(route)", model: "m"),
                            outcome: .ok, latencyMs: 10, decision: .done, at: OutageScenario.start.addingTimeInterval(Double(minute) * 60))))
            }
        }
        let until = OutageScenario.start.addingTimeInterval(100 * 60)
        let snapshot = DashboardSnapshot(window: window, until: until, lookBackMinutes: 1_000)
        #expect(snapshot.minutes?.count == 30)
        #expect(snapshot.routes.count <= 12)
        #expect(snapshot.workloads.reduce(0) { $0 + $1.routes.count } <= 12)
        #expect(snapshot.routes.allSatisfy { $0.points.count == 30 })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(snapshot.json())) as? [String: Any])
        #expect((object["routes"] as? [Any])?.count == snapshot.routes.count)
        let empty = DashboardSnapshot(window: FleetWindow(), until: until, lookBackMinutes: 60)
        #expect(empty.routes.isEmpty)
        #expect((try? JSONSerialization.jsonObject(with: Data(empty.json()))) != nil)
    }

    @Test func pageIsSelfContained() throws {
        let html = DashboardPage.html
        let external = try Regex(#"(?i)(src|href|action)\s*=\s*["']?\s*(https?:)?//"#)
        #expect(html.firstMatch(of: external) == nil)
        #expect(!html.lowercased().contains("@import"))
        #expect(!html.lowercased().contains("url("))
        #expect(!html.contains("innerHTML"))
        #expect(!html.contains("outerHTML"))
        #expect(!html.contains("insertAdjacentHTML"))
        #expect(!html.contains("document.write"))
        #expect(html.contains("new EventSource(\"/events\")"))
        #expect(html.contains("addEventListener(\"snapshot\""))
        #expect(html.contains("document.body.dataset.events"))
        for hook in ["data-chart", "data-series", "data-breaker", "data-state"] { #expect(html.contains(hook)) }
        for chart in ["\"jobs\"", "\"success_share\"", "\"failovers\"", "\"latency\"", "\"cost\""] { #expect(html.contains("name: \(chart)")) }
        #expect(html.hasPrefix("<!DOCTYPE html>"))
    }
}
