import Completions
import Foundation
import Testing

@testable import Comparison

@Suite("ComparisonReport")
struct ComparisonReportTests {
    static let routes = [(provider: "p", model: "m"), (provider: "twin", model: "m"), (provider: "slow", model: "m")]

    static func samples() -> [RouteSample] {
        (0..<10).flatMap { index -> [RouteSample] in
            let id = "j\(index)"
            let answer = "- the order shipped late\n- a refund was issued for job \(index)"
            return [
                RouteSample(jobId: id, provider: "p", model: "m", outcome: .ok, latencyMs: 100, costUSD: 0.01, output: answer),
                RouteSample(jobId: id, provider: "twin", model: "m", outcome: .ok, latencyMs: 110, costUSD: 0.01, output: answer),
                RouteSample(
                    jobId: id, provider: "slow", model: "m", outcome: index == 0 ? .timeout : .ok, latencyMs: 500, costUSD: 0.01,
                    output: index == 0 ? nil : "Thank you for your message. We will follow up."),
            ]
        }
    }

    @Test("the twin passes; the slow, reshaped, failing backup breaches latency, similarity and errors, in that order")
    func verdicts() {
        let report = ComparisonReport(
            workload: "w", thresholds: .defaults, routes: Self.routes, samples: Self.samples(), jsonJobs: [], jobs: 10)
        #expect(report.backups.count == 2)
        #expect(report.backups[0].verdict.passed)
        #expect(report.backups[0].similarities.count == 10)
        #expect(report.backups[0].sameStructure == 10)
        let slow = report.backups[1]
        #expect(!slow.verdict.passed)
        #expect(slow.similarities.count == 9, "the failed job has no similarity")
        #expect(slow.verdict.breaches.map(\.criterion) == [.maxLatencyP95Ratio, .minSimilarity, .maxErrorRate])
        #expect(!report.passed)
        #expect(report.lastLine.hasPrefix("slow/m breached max_latency_p95_ratio (5.00 > 2.00)"), "\(report.lastLine)")
    }

    @Test("json_schema jobs are judged by field agreement; an answer that is not JSON agrees on nothing")
    func jsonJobs() {
        let samples = [
            RouteSample(jobId: "a", provider: "p", model: "m", outcome: .ok, latencyMs: 1, output: #"{"summary": "x", "score": 3}"#),
            RouteSample(jobId: "a", provider: "twin", model: "m", outcome: .ok, latencyMs: 1, output: #"{"summary": "x", "score": 4}"#),
            RouteSample(jobId: "a", provider: "slow", model: "m", outcome: .ok, latencyMs: 1, output: "not json"),
        ]
        let report = ComparisonReport(workload: "w", thresholds: .defaults, routes: Self.routes, samples: samples, jsonJobs: ["a"], jobs: 1)
        #expect(report.backups[0].similarities["a"] == 0.5)
        #expect(report.backups[1].similarities["a"] == 0)
        #expect(report.backups[0].fieldAgreement.share(at: "score")?.agreed == 0)
    }

    @Test("a partial report never passes and says so; its JSON is one well-formed document")
    func partial() throws {
        let report = ComparisonReport(
            workload: "w", thresholds: .defaults, routes: Array(Self.routes.prefix(2)), samples: Self.samples(), jsonJobs: [], jobs: 10,
            partial: true)
        #expect(report.backups[0].verdict.passed)
        #expect(!report.passed)
        #expect(report.lastLine.hasPrefix("partial report: "))
        let json = try JSONParser.parse(report.json())
        #expect(json["partial"] == .bool(true))
        #expect(json["passed"] == .bool(false))
        #expect(report.markdown().contains("**Partial: the run was interrupted.**"))
    }
}

@Suite("ComparisonReport.html")
struct ComparisonReportHTMLTests {
    static func report() -> ComparisonReport {
        var samples = ComparisonReportTests.samples()
        samples.append(
            RouteSample(jobId: "<evil>", provider: "p", model: "m", outcome: .ok, latencyMs: 100, costUSD: 0.01, output: "<script>alert(1)</script>"))
        samples.append(RouteSample(jobId: "<evil>", provider: "twin", model: "m", outcome: .ok, latencyMs: 100, costUSD: 0.01, output: "\"&'"))
        samples.append(RouteSample(jobId: "<evil>", provider: "slow", model: "m", outcome: .ok, latencyMs: 100, costUSD: 0.01, output: "x"))
        return ComparisonReport(
            workload: "w<1>", thresholds: .defaults, routes: ComparisonReportTests.routes, samples: samples, jsonJobs: [], jobs: 11)
    }

    @Test("self-contained: no script, no external resource; provider and job text escaped")
    func selfContained() {
        let html = Self.report().html()
        #expect(!html.contains("<script"))
        #expect(!html.contains("src="))
        #expect(!html.contains("href="))
        #expect(!html.contains("@import"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("&lt;evil&gt;"))
        #expect(html.contains("understudy compare: w&lt;1&gt;"))
    }

    @Test("the verdict table comes first, and each chart has one series per route")
    func charts() {
        let html = Self.report().html()
        let verdicts = html.range(of: "id=\"verdicts\"")?.lowerBound
        let firstChart = html.range(of: "<svg")?.lowerBound
        #expect(verdicts.flatMap { table in firstChart.map { table < $0 } } == true)
        for id in ["latency", "cost"] {
            guard let start = html.range(of: "<svg class=\"chart\" id=\"\(id)\""), let end = html[start.upperBound...].range(of: "</svg>") else {
                Issue.record("no \(id) chart")
                continue
            }
            let chart = html[start.lowerBound..<end.upperBound]
            #expect(chart.components(separatedBy: "<g class=\"series\"").count - 1 == 3, "\(id): one series per route")
        }
        #expect(html.components(separatedBy: "id=\"similarity-").count - 1 == 2, "one histogram per backup")
    }
}
