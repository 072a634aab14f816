import Completions
import Failover
import Foundation
import Testing

@testable import Jobs

/// `workloads.NAME.batch`, `topics.batches` and the pricing table's batch share.
@Suite("batch config: routes with a batch API, bounded settings, the batch price")
struct BatchConfigTests {
    private static let base = """
        kafka:
          bootstrap_servers: localhost:9092
          topics: {jobs: j, results: r, telemetry: t, dead_letter: d}
        providers:
          claude: {type: anthropic, base_url: "http://127.0.0.1:1", api_key_env: K}
          gpt: {type: openai, base_url: "http://127.0.0.1:1", api_key_env: K}
          local: {type: extractive}
        workloads:
          w:
            routes: [{provider: claude, model: m}, {provider: local, model: x}]
        """

    private func parse(_ batch: String) throws -> UnderstudyConfig {
        try UnderstudyConfig.parse(yaml: Self.base + "\n    batch: \(batch)", environment: ["K": "secret-key-value"])
    }

    private func refusal(_ batch: String) -> String {
        do {
            _ = try parse(batch)
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    @Test("defaults are the issue's: 2 h minimum deadline, 10,000 jobs or 60 s per flush, 15 min margin, 30 s polls")
    func defaults() throws {
        let config = try parse("{routes: [{provider: claude, model: m}]}")
        let batch = try #require(config.workloads["w"]?.batch)
        #expect(batch == BatchConfig(routes: [RouteKey(provider: "claude", model: "m")]))
        #expect(batch.enabled && batch.minDeadlineMs == 7_200_000 && batch.flushAfterJobs == 10_000 && batch.flushAfterMs == 60_000)
        #expect(batch.realtimeMarginMs == 900_000 && batch.pollIntervalMs == 30_000)
        #expect(config.hasBatches)
        #expect(config.kafka.batchesTopic == "\(config.kafka.groupID).batches")
        #expect(batch.admits(deadlineMs: 7_200_001) && !batch.admits(deadlineMs: 7_200_000))
    }

    @Test("every key is read; disabled, the workload does not batch")
    func everyKey() throws {
        let config = try parse(
            "{enabled: false, routes: [{provider: gpt, model: g}, {provider: claude, model: m}], min_deadline_ms: 600000, "
                + "flush_after_jobs: 50, flush_after_ms: 200, realtime_margin_ms: 1000, poll_interval_ms: 100}")
        let batch = try #require(config.workloads["w"]?.batch)
        #expect(batch.routes.map(\.provider) == ["gpt", "claude"])
        #expect(!batch.enabled && batch.minDeadlineMs == 600_000 && batch.flushAfterJobs == 50 && batch.flushAfterMs == 200)
        #expect(batch.realtimeMarginMs == 1_000 && batch.pollIntervalMs == 100)
        #expect(!config.hasBatches && !batch.admits(deadlineMs: 86_400_000))
    }

    @Test("a bad batch section names its key path and what was expected")
    func refused() {
        let cases: [(String, String)] = [
            ("{routes: [{provider: local, model: x}]}", "workloads.w.batch.routes[0].provider"),
            ("{routes: [{provider: nobody, model: x}]}", "workloads.w.batch.routes[0].provider"),
            ("{routes: [{provider: claude, model: m}, {provider: claude, model: m}]}", "workloads.w.batch.routes[1]"),
            ("{routes: []}", "workloads.w.batch.routes"),
            ("{routes: [{provider: claude, model: m}], flush_after_jobs: 100001}", "workloads.w.batch.flush_after_jobs"),
            ("{routes: [{provider: claude, model: m}], flush_after_jobs: 0}", "workloads.w.batch.flush_after_jobs"),
            ("{routes: [{provider: claude, model: m}], poll_interval_ms: 1}", "workloads.w.batch.poll_interval_ms"),
            ("{routes: [{provider: claude, model: m}], min_deadline_ms: 90000000}", "workloads.w.batch.min_deadline_ms"),
            ("{routes: [{provider: claude, model: m}], min_deadline_ms: 1000, realtime_margin_ms: 1000}", "workloads.w.batch.realtime_margin_ms"),
            ("{routes: [{provider: claude, model: m}], flush_every: 3}", "workloads.w.batch"),
            ("{}", "workloads.w.batch.routes"),
        ]
        for (batch, path) in cases {
            let message = refusal(batch)
            #expect(message.contains(path), "\(batch): \(message)")
            #expect(!message.contains("secret-key-value"))
        }
        #expect(refusal("{routes: [{provider: local, model: x}]}").contains("anthropic, openai, azure-openai"))
    }

    @Test("a batch answer costs the model's batch share of the realtime price: half unless pricing says otherwise")
    func batchPrice() throws {
        let usage = CompletionResponse.Usage(inputTokens: 1_000_000, outputTokens: 100_000)
        let prices = PriceTable.defaults
        #expect(abs(prices.batchCost(of: usage, model: "claude-sonnet-4-5") - prices.cost(of: usage, model: "claude-sonnet-4-5") / 2) < 1e-12)
        // Cache multipliers stay under the discount: a batched cache read is 0.05 times the input price.
        let cached = CompletionResponse.Usage(plainInputTokens: 0, cacheReadTokens: 1_000_000, cacheWriteTokens: 0, outputTokens: 0)
        #expect(abs(prices.batchCost(of: cached, model: "claude-sonnet-4-5") - 3 * 0.05) < 1e-12)
        let yaml = Self.base + "\npricing:\n  m: {input_per_mtok: 2, output_per_mtok: 8, batch_share: 0.6}"
        let table = try UnderstudyConfig.parse(yaml: yaml, environment: ["K": "k"]).priceTable
        #expect(table.price(for: "m")?.batchShare == 0.6)
        #expect(abs(table.batchCost(of: usage, model: "m") - table.cost(of: usage, model: "m") * 0.6) < 1e-12)
        #expect(table.batchCost(of: usage, model: "unpriced") == 0)
        do {
            _ = try UnderstudyConfig.parse(
                yaml: Self.base + "\npricing:\n  m: {input_per_mtok: 2, output_per_mtok: 8, batch_share: 2}", environment: ["K": "k"])
            Issue.record("batch_share 2 accepted")
        } catch {
            #expect("\(error)".contains("pricing.m.batch_share"), "\(error)")
        }
    }

    @Test("topics.batches names the batch-state topic")
    func topic() throws {
        let yaml = Self.base.replacingOccurrences(of: "dead_letter: d}", with: "dead_letter: d, batches: open-batches}")
        #expect(try UnderstudyConfig.parse(yaml: yaml, environment: ["K": "k"]).kafka.batchesTopic == "open-batches")
    }
}
