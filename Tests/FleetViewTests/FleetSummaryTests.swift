import Comparison
import Failover
import FleetView
import Foundation
import Testing

@Suite struct FleetSummaryTests {
    private let summary = FleetSummary(window: OutageScenario.window(), since: OutageScenario.start, until: OutageScenario.end)

    @Test func outageRoutes() throws {
        #expect(summary.minutes?.count == 10)
        #expect(summary.routes.map(\.name) == [OutageScenario.backup.description, OutageScenario.primary.description])
        let primary = try #require(summary.routes.first { $0.route == OutageScenario.primary })
        #expect(primary.kind == .route)
        #expect(primary.counts.attempts == 66)
        #expect(primary.counts.okAttempts == 60)
        #expect(primary.counts.failedAttempts == 6)
        #expect(primary.counts.skippedAttempts == 34)
        #expect(primary.counts.successShare == 60.0 / 66.0)
        #expect(primary.counts.failoversOut == 40)
        #expect(primary.counts.failoversIn == 0)
        #expect(primary.counts.jobs == 60)
        #expect(primary.breakerTrips == 2)
        #expect(primary.breakerState == .closed)
        #expect(abs(primary.counts.costUSD - 0.12) < 1e-9)
        let backup = try #require(summary.routes.first { $0.route == OutageScenario.backup })
        #expect(backup.counts.attempts == 40)
        #expect(backup.counts.successShare == 1)
        #expect(backup.counts.failoversIn == 40)
        #expect(backup.counts.failoversOut == 0)
        #expect(backup.counts.jobs == 40)
        #expect(backup.breakerTrips == nil)
        #expect(abs(backup.counts.costUSD - 0.12) < 1e-9)
    }

    @Test func outageWorkload() throws {
        let workload = try #require(summary.workloads.first)
        #expect(summary.workloads.count == 1)
        #expect(workload.name == OutageScenario.workload)
        #expect(workload.counts.jobs == 100)
        #expect(workload.counts.jobSuccessShare == 1)
        #expect(workload.counts.attempts == 106)
        #expect(workload.counts.successShare == 100.0 / 106.0)
        #expect(workload.counts.failoversOut == 40)
        #expect(workload.counts.failoversIn == 40)
        #expect(abs(workload.counts.costUSD - 0.24) < 1e-9)
        #expect(summary.deadLetters == [.init(errorClass: "invalid_json", count: 3), .init(errorClass: "schema_violation", count: 1)])
    }

    @Test func percentilesAreWithinTheBound() throws {
        let bound = LatencyHistogram.relativeErrorBound
        let primary = try #require(summary.routes.first { $0.route == OutageScenario.primary })
        let exactCalls = Percentiles(OutageScenario.primaryCallLatencies)
        try expectWithin(primary.attemptP50Ms, exactCalls.p50, bound)
        try expectWithin(primary.attemptP95Ms, exactCalls.p95, bound)
        #expect(exactCalls.p50 == 850)
        #expect(exactCalls.p95 == 30_000)
        let workload = try #require(summary.workloads.first)
        let exactJobs = Percentiles(OutageScenario.jobLatencies)
        try expectWithin(workload.jobP50Ms, exactJobs.p50, bound)
        try expectWithin(workload.jobP95Ms, exactJobs.p95, bound)
    }

    @Test func aPartOfTheRange() throws {
        // Minutes 3 to 6 only: the outage.
        let outage = FleetSummary(
            window: OutageScenario.window(), since: OutageScenario.at(minute: 3, second: 0), until: OutageScenario.at(minute: 7, second: 0))
        let primary = try #require(outage.routes.first { $0.route == OutageScenario.primary })
        #expect(outage.minutes?.count == 4)
        #expect(primary.counts.attempts == 6)
        #expect(primary.counts.successShare == 0)
        #expect(primary.breakerTrips == 2)
        #expect(primary.breakerState == .halfOpen)
        #expect(outage.deadLetters == [.init(errorClass: "invalid_json", count: 3)])
        // After the outage: no trips, the breaker closed.
        let after = FleetSummary(
            window: OutageScenario.window(), since: OutageScenario.at(minute: 7, second: 30), until: OutageScenario.end)
        let calm = try #require(after.routes.first { $0.route == OutageScenario.primary })
        #expect(calm.breakerTrips == 0)
        #expect(calm.counts.successShare == 1)
    }

    @Test func jsonParsesWithDocumentedFieldsInOrder() throws {
        let bytes = summary.json()
        #expect(bytes == summary.json())
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(object["minutes"] as? Int == 10)
        #expect(object["since"] as? String == "2026-11-24T22:00:00.000Z")
        let routes = try #require(object["routes"] as? [[String: Any]])
        let primary = try #require(routes.first { $0["name"] as? String == OutageScenario.primary.description })
        #expect(primary["kind"] as? String == "route")
        #expect(primary["provider"] as? String == OutageScenario.primary.provider)
        #expect(primary["attempts"] as? Int == 66)
        #expect(primary["failovers_out"] as? Int == 40)
        #expect(primary["breaker_trips"] as? Int == 2)
        #expect(primary["breaker_state"] as? String == "closed")
        #expect(primary["success_share"] as? Double == 0.9091)
        #expect((primary["outcomes"] as? [String: Int])?["timeout"] == 6)
        #expect((primary["outcomes"] as? [String: Int])?["circuit_open"] == 34)
        let letters = try #require(object["dead_letters"] as? [String: Any])
        #expect(letters["total"] as? Int == 4)
        let text = String(decoding: bytes, as: UTF8.self)
        let order = [
            "\"since\"", "\"until\"", "\"minutes\"", "\"latency_error_bound\"", "\"fleet\"", "\"workloads\"", "\"routes\"", "\"dead_letters\"",
            "\"dropped\"",
        ]
        let positions = order.compactMap { text.range(of: $0)?.lowerBound }
        #expect(positions.count == order.count)
        #expect(positions == positions.sorted())
        #expect(!text.contains("\n"))
    }

    @Test func textIsAnAlignedTable() throws {
        let text = summary.text()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let header = try #require(lines.firstIndex { $0.hasPrefix("ROUTE") })
        let table = lines[header...].prefix { !$0.isEmpty }
        #expect(table.count == 3)
        #expect(Set(table.map(\.count)).count == 1)
        let primaryLine = try #require(table.first { $0.hasPrefix(OutageScenario.primary.description) })
        #expect(primaryLine.contains("90.9%"))
        #expect(primaryLine.hasSuffix("closed"))
        #expect(text.contains("Dead letters: 4 (invalid_json 3, schema_violation 1)."))
        #expect(text.contains("within 6.25%"))
        let workloadHeader = try #require(lines.firstIndex { $0.hasPrefix("WORKLOAD") })
        #expect(lines[workloadHeader + 1].hasPrefix(OutageScenario.workload))
        #expect(lines[workloadHeader].count == lines[workloadHeader + 1].count)
    }

    @Test func anEmptyWindow() {
        let empty = FleetSummary(window: FleetWindow(), since: OutageScenario.start, until: OutageScenario.end)
        #expect(empty.routes.isEmpty)
        #expect(empty.text().contains("No jobs or attempts"))
        #expect((try? JSONSerialization.jsonObject(with: Data(empty.json()))) != nil)
    }

    private func expectWithin(_ estimate: Double?, _ exact: Double?, _ bound: Double, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let estimate = try #require(estimate, sourceLocation: sourceLocation)
        let exact = try #require(exact, sourceLocation: sourceLocation)
        #expect(abs(estimate - exact) <= bound * exact, "estimate \(estimate), exact \(exact)", sourceLocation: sourceLocation)
    }
}
