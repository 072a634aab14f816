import Completions
import Failover
import Foundation
import Testing

@testable import Jobs

/// `workloads.NAME.prompt_cache`, the pricing table's cache prices, and the cache counts in
/// results and telemetry.
@Suite("prompt caching: the workload's mark, cache prices, and cache counts on the wire")
struct PromptCacheConfigTests {
    private func decoder(promptCache: String?) throws -> JobDecoder {
        let yaml =
            Fixtures.minimalYAML.replacingOccurrences(of: "workloads:\n  w:", with: "workloads:\n  support-summaries:")
            + (promptCache.map { "\n    prompt_cache: \($0)" } ?? "")
        return JobDecoder(config: try UnderstudyConfig.parse(yaml: yaml, environment: [:]))
    }

    private func job(system: String) -> JSONValue {
        Fixtures.job {
            $0["input"] = .object(["system": .string(system), "messages": .array([.object(["role": .string("user"), "content": .string("hi")])])])
        }
    }

    @Test("auto (the default) marks a system prompt of 4,096 bytes or more; always and never do what they say")
    func marks() throws {
        let long = String(repeating: "Policy line. ", count: 400)
        let short = "Summarize the ticket."
        let auto = try decoder(promptCache: nil)
        #expect(try auto.decode(job(system: long)).request.cacheSystemPrompt)
        #expect(try !auto.decode(job(system: short)).request.cacheSystemPrompt)
        #expect(try decoder(promptCache: "always").decode(job(system: short)).request.cacheSystemPrompt)
        #expect(try !decoder(promptCache: "never").decode(job(system: long)).request.cacheSystemPrompt)
        #expect(try !decoder(promptCache: "always").decode(Fixtures.job()).request.cacheSystemPrompt, "no system prompt, nothing to mark")
    }

    @Test("a bad prompt_cache names its key path and the choices")
    func refused() throws {
        for value in ["yes", "true", "1"] {
            do {
                _ = try decoder(promptCache: value)
                Issue.record("prompt_cache: \(value) accepted")
            } catch {
                #expect("\(error)".contains("workloads.support-summaries.prompt_cache"), "\(error)")
                #expect("\(error)".contains("always"), "\(error)")
            }
        }
    }

    @Test("pricing takes cache prices per model; absent, cached input costs the plain input price")
    func pricing() throws {
        let yaml =
            Fixtures.minimalYAML
            + "\npricing:\n  m: {input_per_mtok: 2, output_per_mtok: 8, cache_read_per_mtok: 0.2, cache_write_per_mtok: 2.5}\n  n: {input_per_mtok: 1, output_per_mtok: 1}"
        let prices = try UnderstudyConfig.parse(yaml: yaml, environment: [:]).priceTable
        #expect(prices.price(for: "m")?.cacheReadPerMillionTokens == 0.2)
        #expect(prices.price(for: "m")?.cacheWritePerMillionTokens == 2.5)
        #expect(prices.price(for: "n")?.cacheReadPerMillionTokens == nil)
        do {
            _ = try UnderstudyConfig.parse(
                yaml: Fixtures.minimalYAML + "\npricing:\n  m: {input_per_mtok: 2, output_per_mtok: 8, cache_read_per_mtok: -1}", environment: [:])
            Issue.record("a negative cache price accepted")
        } catch {
            #expect("\(error)".contains("pricing.m.cache_read_per_mtok"), "\(error)")
        }
    }

    @Test("an attempt event carries the cache counts and the saving, and reads back the same")
    func telemetryRoundTrip() throws {
        let usage = CompletionResponse.Usage(inputTokens: 5_000, outputTokens: 100, cacheReadTokens: 4_000)
        let event = TelemetryEvent.attempt(
            .init(
                jobID: "j", workload: "w", attempt: 1, routeIndex: 0, route: RouteKey(provider: "p", model: "claude-sonnet-4-5"),
                outcome: .ok, httpStatus: 200, latencyMs: 12, decision: .done, at: Fixtures.completedAt, costUSD: 0.0045,
                usage: usage, cacheSavingsUSD: 0.0108))
        let bytes = try WireJSON.encodeBytes(event)
        let json = try JSONParser.parse(bytes)
        #expect(json["usage"]?["cache_read_tokens"] == .number(4_000))
        #expect(json["usage"]?["cache_write_tokens"] == nil, "a zero count is left out")
        #expect(json["cache_savings_usd"] == .number(0.0108))
        guard case .attempt(let read) = try #require(TelemetryEvent.read(bytes)) else {
            Issue.record("not read back as an attempt")
            return
        }
        #expect(read.usage == usage)
        #expect(read.cacheSavingsUSD == 0.0108)

        // Negative cache counts refuse the event rather than read as something else.
        var object = try #require(json.objectValue)
        object["usage"] = .object(["input_tokens": .number(10), "output_tokens": .number(1), "cache_read_tokens": .number(-3)])
        #expect(TelemetryEvent.read(try WireJSON.encodeBytes(JSONValue.object(object))) == nil)
    }
}
