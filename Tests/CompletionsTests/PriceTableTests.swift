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

    @Test("the upper bound prices the cacheable prefix at the dearest of plain and cache-write, the rest at the input price")
    func upperBound() {
        #expect(abs(prices.upperBound(inputTokens: 1_000_000, outputTokens: 1_000_000, model: "claude-sonnet-4-5") - 18) < 1e-12)
        let marked = prices.upperBound(inputTokens: 1_000_000, cacheableTokens: 400_000, outputTokens: 1_000_000, model: "claude-sonnet-4-5")
        #expect(abs(marked - (0.6 * 3 + 0.4 * 3.75 + 15)) < 1e-12)
        #expect(prices.upperBound(inputTokens: 1_000_000, cacheableTokens: 1_000_000, outputTokens: 0, model: "gpt-4o") == 2.5)
        #expect(prices.upperBound(inputTokens: 5, outputTokens: 5, model: "unpriced") == 0)
    }

    @Test("a config price without cache prices keeps the shipped ratios; with them, its own")
    func overridesKeepCacheRatios() {
        let table = prices.merging([
            "claude-sonnet-4-5": .init(inputPerMillionTokens: 6, outputPerMillionTokens: 30),
            "gpt-4o": .init(inputPerMillionTokens: 2, outputPerMillionTokens: 8, cacheReadPerMillionTokens: 0.2),
            "new-model": .init(inputPerMillionTokens: 1, outputPerMillionTokens: 1),
        ])
        #expect(table.price(for: "claude-sonnet-4-5")?.cacheReadPerMillionTokens.map { abs($0 - 0.6) < 1e-12 } == true)
        #expect(table.price(for: "claude-sonnet-4-5")?.cacheWritePerMillionTokens.map { abs($0 - 7.5) < 1e-12 } == true)
        #expect(table.price(for: "gpt-4o")?.cacheReadPerMillionTokens == 0.2)
        #expect(table.price(for: "new-model")?.cacheReadPerMillionTokens == nil)
    }
}
