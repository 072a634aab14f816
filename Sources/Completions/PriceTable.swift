/// Per-model prices, in US dollars per million tokens, used to put a `cost_usd` on every attempt
/// and every result. Config entries override the shipped defaults model by model.
///
/// Guarantees: a model with no price costs 0 (and ``price(for:)`` says so by returning `nil`), so a
/// missing price never fails a job.
package struct PriceTable: Sendable, Hashable {
    /// The price of one model.
    package struct Price: Sendable, Hashable {
        package var inputPerMillionTokens: Double
        package var outputPerMillionTokens: Double

        package init(inputPerMillionTokens: Double, outputPerMillionTokens: Double) {
            self.inputPerMillionTokens = inputPerMillionTokens
            self.outputPerMillionTokens = outputPerMillionTokens
        }
    }

    package var prices: [String: Price]

    package init(_ prices: [String: Price] = [:]) {
        self.prices = prices
    }

    /// List prices of well-known models as published by their vendors (late 2025); a config's
    /// `pricing` section overrides or extends them.
    package static let defaults = PriceTable([
        "claude-opus-4-1": Price(inputPerMillionTokens: 15, outputPerMillionTokens: 75),
        "claude-opus-4-5": Price(inputPerMillionTokens: 5, outputPerMillionTokens: 25),
        "claude-sonnet-4-5": Price(inputPerMillionTokens: 3, outputPerMillionTokens: 15),
        "claude-sonnet-4": Price(inputPerMillionTokens: 3, outputPerMillionTokens: 15),
        "claude-haiku-4-5": Price(inputPerMillionTokens: 1, outputPerMillionTokens: 5),
        "claude-3-5-haiku": Price(inputPerMillionTokens: 0.8, outputPerMillionTokens: 4),
        "gpt-4o": Price(inputPerMillionTokens: 2.5, outputPerMillionTokens: 10),
        "gpt-4o-mini": Price(inputPerMillionTokens: 0.15, outputPerMillionTokens: 0.6),
        "gpt-4.1": Price(inputPerMillionTokens: 2, outputPerMillionTokens: 8),
        "gpt-4.1-mini": Price(inputPerMillionTokens: 0.4, outputPerMillionTokens: 1.6),
        "gpt-5": Price(inputPerMillionTokens: 1.25, outputPerMillionTokens: 10),
        "gpt-5-mini": Price(inputPerMillionTokens: 0.25, outputPerMillionTokens: 2),
        "gemini-2.5-pro": Price(inputPerMillionTokens: 1.25, outputPerMillionTokens: 10),
        "gemini-2.5-flash": Price(inputPerMillionTokens: 0.3, outputPerMillionTokens: 2.5),
    ])

    /// This table with `overrides` laid over it.
    package func merging(_ overrides: [String: Price]) -> PriceTable {
        PriceTable(prices.merging(overrides) { _, new in new })
    }

    /// The price of `model`, or `nil` when the table has none.
    package func price(for model: String) -> Price? {
        prices[model]
    }

    /// The cost of `usage` on `model` in US dollars (0 for an unpriced model).
    package func cost(of usage: CompletionResponse.Usage, model: String) -> Double {
        guard let price = prices[model] else { return 0 }
        return
            (Double(usage.inputTokens) * price.inputPerMillionTokens
            + Double(usage.outputTokens) * price.outputPerMillionTokens) / 1_000_000
    }
}
