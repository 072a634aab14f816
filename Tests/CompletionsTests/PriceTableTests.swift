import Testing

@testable import Completions

/// Prices with the prompt cache: reads and writes each at their own price.
@Suite struct PriceTableTests {
    let prices = PriceTable.defaults

    @Test("Claude: a cache read costs a tenth of the input price, a write 1.25 times it")
    func claudeCachePrices() {
        // claude-sonnet-4-5: $3 in, $15 out per million.
        let plain = CompletionResponse.Usage(inputTokens: 1_000_000, outputTokens: 0)
        #expect(prices.cost(of: plain, model: "claude-sonnet-4-5") == 3)
        let read = CompletionResponse.Usage(inputTokens: 1_000_000, outputTokens: 0, cacheReadTokens: 1_000_000)
        #expect(abs(prices.cost(of: read, model: "claude-sonnet-4-5") - 0.3) < 1e-12)
        let written = CompletionResponse.Usage(inputTokens: 1_000_000, outputTokens: 0, cacheWriteTokens: 1_000_000)
        #expect(abs(prices.cost(of: written, model: "claude-sonnet-4-5") - 3.75) < 1e-12)
        #expect(abs(prices.cacheSavings(of: read, model: "claude-sonnet-4-5") - 2.7) < 1e-12)
        #expect(abs(prices.cacheSavings(of: written, model: "claude-sonnet-4-5") + 0.75) < 1e-12, "a write that is never read costs more")
        #expect(prices.cacheSavings(of: plain, model: "claude-sonnet-4-5") == 0)
    }

    @Test("OpenAI: cached input at the model's share, with no write premium")
    func openAICachePrices() {
        let usage = CompletionResponse.Usage(inputTokens: 2_000_000, outputTokens: 0, cacheReadTokens: 1_000_000)
        // gpt-4o: $2.50 in, cached at half; gpt-5: cached at a tenth.
        #expect(abs(prices.cost(of: usage, model: "gpt-4o") - 3.75) < 1e-12)
        #expect(abs(prices.cost(of: usage, model: "gpt-5") - 1.375) < 1e-12)
    }

    @Test("a price without cache prices bills cached input at the plain input price")
    func noCachePricesMeansNoDiscount() {
        let table = PriceTable(["m": .init(inputPerMillionTokens: 2, outputPerMillionTokens: 4)])
        let usage = CompletionResponse.Usage(inputTokens: 1_000_000, outputTokens: 1_000_000, cacheReadTokens: 500_000, cacheWriteTokens: 500_000)
        #expect(table.cost(of: usage, model: "m") == 6)
        #expect(table.cacheSavings(of: usage, model: "m") == 0)
    }

    @Test("the upper bound prices every input token at the dearest of plain and cache-write")
    func upperBound() {
        #expect(abs(prices.upperBound(inputTokens: 1_000_000, outputTokens: 1_000_000, model: "claude-sonnet-4-5") - 18.75) < 1e-12)
        #expect(prices.upperBound(inputTokens: 1_000_000, outputTokens: 0, model: "gpt-4o") == 2.5)
        #expect(prices.upperBound(inputTokens: 5, outputTokens: 5, model: "unpriced") == 0)
    }
}
