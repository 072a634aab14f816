import Comparison
import Completions
import Failover
import Foundation
import Jobs
import Testing

@testable import Worker

/// ``ShadowEvidence``: which shadow events a `--from-telemetry` report counts, and that the report
/// reads their measures as `compare` reads answers.
@Suite("Shadow evidence")
struct ShadowEvidenceTests {
    static let primary = RouteKey(provider: "p", model: "m")
    static let twin = RouteKey(provider: "twin", model: "m")
    static let other = RouteKey(provider: "other", model: "m")
    static let now = Date(timeIntervalSince1970: 1_790_000_000)

    static func event(
        _ job: String, backup: RouteKey, similarity: Double?, served: RouteKey = primary, latency: Int = 100, at: Date = now,
        workload: String = "w"
    ) -> TelemetryEvent.Shadow {
        TelemetryEvent.Shadow(
            jobID: job, workload: workload,
            primary: .init(route: served, outcome: .ok, latencyMs: 100, costUSD: 0.001),
            backup: .init(route: backup, outcome: similarity == nil ? .serverError : .ok, latencyMs: latency, costUSD: 0.001),
            measure: similarity.map { PairMeasure(similarity: $0, shape: .text(lengthRatio: 1, sameStructure: true)) }, at: at)
    }

    @Test("events of other workloads, served by a backup, too old or of another route are left out; a repeat counts once")
    func filters() {
        var evidence = ShadowEvidence(workload: "w", primary: Self.primary, backups: [Self.twin], since: Self.now.addingTimeInterval(-60))
        evidence.add(Self.event("a", backup: Self.twin, similarity: 0.9))
        evidence.add(Self.event("a", backup: Self.twin, similarity: 0.8))
        evidence.add(Self.event("b", backup: Self.twin, similarity: 0.7, workload: "x"))
        evidence.add(Self.event("c", backup: Self.twin, similarity: 0.7, served: Self.other))
        evidence.add(Self.event("d", backup: Self.twin, similarity: 0.7, at: Self.now.addingTimeInterval(-120)))
        evidence.add(Self.event("e", backup: Self.other, similarity: 0.7))
        #expect(evidence.jobs == 1 && evidence.counted == 2 && evidence.leftOut == 3)
        let report = evidence.report(thresholds: .defaults)
        #expect(report.backups.first?.similarities == ["a": 0.8])
    }

    @Test("the report judges each backup from its events: similarity, latency and errors")
    func judges() {
        var evidence = ShadowEvidence(
            workload: "w", primary: Self.primary, backups: [Self.twin, Self.other], since: Self.now.addingTimeInterval(-60))
        for index in 0..<50 {
            evidence.add(Self.event("j\(index)", backup: Self.twin, similarity: 0.95))
            evidence.add(Self.event("j\(index)", backup: Self.other, similarity: index < 10 ? nil : 0.2, latency: 400))
        }
        let report = evidence.report(thresholds: .defaults)
        #expect(report.jobs == 50)
        #expect(report.primary.count == 50)
        let verdicts = report.backups.map(\.verdict)
        #expect(verdicts.first?.passed == true)
        #expect(verdicts.last?.passed == false)
        let breached = Set(verdicts.last?.checks.filter { $0.status == .breached }.map(\.criterion) ?? [])
        #expect(breached == [.maxLatencyP95Ratio, .minSimilarity, .maxErrorRate])
        #expect(report.backups.last?.worst.first?.primary == nil, "telemetry keeps no answers")
        #expect(report.html().contains("not kept in telemetry"))
    }
}
