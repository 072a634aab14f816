import Completions
import Foundation
import Kafka
import Providers
import Simulator
import Testing
import UnderstudyTesting

extension EndToEndTools {
    /// Prompt caching in the real worker, on Tansu, against the Anthropic simulator over HTTP.
    @Suite(.serialized, .timeLimit(.minutes(3)))
    struct PromptCacheTests {
        /// A workload's long shared system prompt (about 1,700 tokens).
        static let policy = String(repeating: "Summaries name the customer's problem, the cause if known, and the next step. ", count: 90)

        @Test(
            "jobs sharing a long system prompt: one writes the cache, the rest read it, and cost_usd and the saving are priced from the cache counts")
        func sharedSystemPromptIsCached() async throws {
            try await withStack { stack in
                // One at a time, so exactly the first job writes the cache.
                stack.config.maxInFlight = 1
                let worker = try await stack.startWorker()
                try await stack.produceJobs(30, system: Self.policy)
                let results = try await stack.results(distinct: 30).map { jsonObject($0.value) }
                let telemetry = try await stack.read(stack.config.topics.telemetry, idle: .seconds(2))
                #expect(await worker.process.stop() == 0)

                try #require(Set(results.compactMap { $0["job_id"] as? String }).count == 30)
                let prefix = ExtractiveSummarizer().estimateTokens(Self.policy)
                func usage(_ object: [String: Any]) -> [String: Int] { object["usage"] as? [String: Int] ?? [:] }
                let writers = results.filter { usage($0)["cache_write_tokens"] != nil }
                let readers = results.filter { usage($0)["cache_read_tokens"] != nil }
                #expect(writers.count == 1 && readers.count == 29, "\(writers.count) wrote, \(readers.count) read")
                #expect(writers.allSatisfy { usage($0)["cache_write_tokens"] == prefix && usage($0)["cache_read_tokens"] == nil })
                #expect(readers.allSatisfy { usage($0)["cache_read_tokens"] == prefix })

                // cost_usd is the table's price of the cache counts, not of plain input.
                let prices = PriceTable.defaults
                for result in results {
                    let counts = usage(result)
                    let tokens = CompletionResponse.Usage(
                        inputTokens: counts["input_tokens"] ?? 0, outputTokens: counts["output_tokens"] ?? 0,
                        cacheReadTokens: counts["cache_read_tokens"] ?? 0, cacheWriteTokens: counts["cache_write_tokens"] ?? 0)
                    let cost = result["cost_usd"] as? Double ?? -1
                    #expect(abs(cost - prices.cost(of: tokens, model: "claude-sonnet-4-5")) < 1e-9)
                    let plain = prices.cost(of: .init(inputTokens: tokens.inputTokens, outputTokens: tokens.outputTokens), model: "claude-sonnet-4-5")
                    #expect(tokens.cacheReadTokens == 0 || cost < plain / 2, "a cache read costs far less than plain input: \(cost) against \(plain)")
                }

                // The saving shows on each attempt event: negative for the write, positive for each read.
                let attempts = telemetry.map { jsonObject($0.value) }.filter { $0["event"] as? String == "attempt" }
                let savings = attempts.compactMap { $0["cache_savings_usd"] as? Double }
                #expect(savings.count == 30)
                #expect(savings.count { $0 < 0 } == 1 && savings.count { $0 > 0 } == 29)
                #expect(try SchemaCheck.failures(telemetry.map(\.value), schema: "telemetry") == [])
                let resultBytes = try results.map { Array(try JSONSerialization.data(withJSONObject: $0)) }
                #expect(try SchemaCheck.failures(resultBytes, schema: "result") == [])
                // One call per job: the counts above are the calls' own.
                #expect(stack.primary.requests == 30)
            }
        }
    }
}
