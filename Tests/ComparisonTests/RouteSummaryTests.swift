import Completions
import Testing

@testable import Comparison

@Suite struct RouteSummaryTests {
    private func sample(
        _ outcome: Outcome, latency: Double, cost: Double? = nil, schemaValid: Bool? = nil, provider: String = "openai",
        model: String = "gpt-4o"
    ) -> RouteSample {
        RouteSample(
            jobId: "job", provider: provider, model: model, outcome: outcome, latencyMs: latency, costUSD: cost,
            output: outcome == .ok ? "answer" : nil, schemaValid: schemaValid)
    }

    @Test func aggregatesOneRoute() {
        let samples = [
            sample(.ok, latency: 400, cost: 0.01),
            sample(.ok, latency: 100, cost: 0.01),
            sample(.ok, latency: 300, cost: 0.01),
            sample(.ok, latency: 200, cost: 0.01),
            sample(.timeout, latency: 30_000),
            sample(.ok, latency: 1, cost: 5, provider: "anthropic"),
        ]
        let summary = RouteSummary(provider: "openai", model: "gpt-4o", samples: samples)
        #expect(summary.route == "openai/gpt-4o")
        #expect(summary.count == 5)
        #expect(summary.okCount == 4)
        #expect(summary.failureCount == 1)
        #expect(summary.failures == [.timeout: 1])
        #expect(summary.errorRate == 0.2)
        // The timeout's 30 s is not a latency of the route's answers.
        #expect(summary.latencyP50 == 200)
        #expect(summary.latencyP95 == 400)
        #expect(summary.latencyP99 == 400)
        #expect(abs(summary.totalCostUSD - 0.04) < 1e-12)
        #expect(summary.costedCount == 4)
        #expect(abs((summary.meanCostUSD ?? 0) - 0.01) < 1e-12)
        #expect(summary.schemaValidShare == nil)
    }

    @Test func failuresByOutcome() {
        let outcomes: [Outcome] = [.ok, .rateLimited, .rateLimited, .serverError, .cancelled]
        let summary = RouteSummary(provider: "openai", model: "gpt-4o", samples: outcomes.map { sample($0, latency: 10) })
        #expect(summary.failures == [.rateLimited: 2, .serverError: 1, .cancelled: 1])
        #expect(summary.errorRate == 0.8)
    }

    @Test func schemaValidShareOverJSONJobsOnly() {
        let samples = [
            sample(.ok, latency: 10, schemaValid: true),
            sample(.ok, latency: 10, schemaValid: true),
            sample(.invalidOutput, latency: 10, schemaValid: false),
            sample(.ok, latency: 10),
        ]
        let summary = RouteSummary(provider: "openai", model: "gpt-4o", samples: samples)
        #expect(summary.schemaCheckedCount == 3)
        #expect(summary.schemaValidCount == 2)
        #expect(summary.schemaValidShare == 2.0 / 3.0)
    }

    @Test func undefinedMeasuresAreNil() {
        let empty = RouteSummary(provider: "openai", model: "gpt-4o", samples: [RouteSample]())
        #expect(empty.count == 0)
        #expect(empty.errorRate == nil)
        #expect(empty.latencyP95 == nil)
        #expect(empty.meanCostUSD == nil)
        #expect(empty.totalCostUSD == 0)
        #expect(empty.schemaValidShare == nil)
        let allFailed = RouteSummary(provider: "openai", model: "gpt-4o", samples: [sample(.timeout, latency: 5)])
        #expect(allFailed.errorRate == 1)
        #expect(allFailed.latencyP50 == nil)
    }

    @Test func nonFiniteCostsAndLatenciesAreNotMeasurements() {
        let samples = [
            sample(.ok, latency: .nan, cost: .nan),
            sample(.ok, latency: 50, cost: .infinity),
            sample(.ok, latency: 70, cost: 0.5),
        ]
        let summary = RouteSummary(provider: "openai", model: "gpt-4o", samples: samples)
        #expect(summary.latency.count == 2)
        #expect(summary.latencyP50 == 50)
        #expect(summary.costedCount == 1)
        #expect(summary.totalCostUSD == 0.5)
    }

    @Test func byRouteKeepsRoutesWithSlashesApart() {
        let samples = [
            sample(.ok, latency: 1, provider: "a/b", model: "c"),
            sample(.ok, latency: 2, provider: "a", model: "b/c"),
            sample(.timeout, latency: 3, provider: "a", model: "b/c"),
            sample(.ok, latency: 4, provider: "0", model: "z"),
        ]
        let summaries = RouteSummary.byRoute(samples)
        #expect(summaries.map(\.provider) == ["0", "a", "a/b"])
        #expect(summaries.map(\.count) == [1, 2, 1])
        #expect(summaries[1].errorRate == 0.5)
    }
}
