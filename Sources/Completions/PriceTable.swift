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
        /// Input read from the prompt cache; `nil`: the plain input price (no discount assumed).
        package var cacheReadPerMillionTokens: Double?
        /// Input written to the prompt cache; `nil`: the plain input price.
        package var cacheWritePerMillionTokens: Double?
        /// The share of the realtime price a provider batch charges; `nil`: ``PriceTable/defaultBatchShare``.
        package var batchShare: Double?

        package init(
            inputPerMillionTokens: Double, outputPerMillionTokens: Double, cacheReadPerMillionTokens: Double? = nil,
            cacheWritePerMillionTokens: Double? = nil, batchShare: Double? = nil
        ) {
            self.inputPerMillionTokens = inputPerMillionTokens
            self.outputPerMillionTokens = outputPerMillionTokens
            self.cacheReadPerMillionTokens = cacheReadPerMillionTokens
            self.cacheWritePerMillionTokens = cacheWritePerMillionTokens
            self.batchShare = batchShare
        }

        /// Anthropic's prompt-cache prices: reads at a tenth of the input price, writes (five-minute
        /// cache) at 1.25 times it.
        static func claude(input: Double, output: Double) -> Price {
            Price(
                inputPerMillionTokens: input, outputPerMillionTokens: output, cacheReadPerMillionTokens: input / 10,
                cacheWritePerMillionTokens: input * 1.25)
        }

        /// Automatic prefix caching (OpenAI, Gemini): cached input at `cachedShare` of the input
        /// price, nothing extra to write.
        static func prefixCached(input: Double, output: Double, cachedShare: Double) -> Price {
            Price(inputPerMillionTokens: input, outputPerMillionTokens: output, cacheReadPerMillionTokens: input * cachedShare)
        }
    }

    package var prices: [String: Price]

    package init(_ prices: [String: Price] = [:]) {
        self.prices = prices
    }

    /// List prices of well-known models as published by their vendors (late 2025); a config's
    /// `pricing` section overrides or extends them.
    package static let defaults = PriceTable([
        "claude-opus-4-1": .claude(input: 15, output: 75),
        "claude-opus-4-5": .claude(input: 5, output: 25),
        "claude-sonnet-4-5": .claude(input: 3, output: 15),
        "claude-sonnet-4": .claude(input: 3, output: 15),
        "claude-haiku-4-5": .claude(input: 1, output: 5),
        "claude-3-5-haiku": .claude(input: 0.8, output: 4),
        "gpt-4o": .prefixCached(input: 2.5, output: 10, cachedShare: 0.5),
        "gpt-4o-mini": .prefixCached(input: 0.15, output: 0.6, cachedShare: 0.5),
        "gpt-4.1": .prefixCached(input: 2, output: 8, cachedShare: 0.25),
        "gpt-4.1-mini": .prefixCached(input: 0.4, output: 1.6, cachedShare: 0.25),
        "gpt-5": .prefixCached(input: 1.25, output: 10, cachedShare: 0.1),
        "gpt-5-mini": .prefixCached(input: 0.25, output: 2, cachedShare: 0.1),
        "gemini-2.5-pro": .prefixCached(input: 1.25, output: 10, cachedShare: 0.1),
        "gemini-2.5-flash": .prefixCached(input: 0.3, output: 2.5, cachedShare: 0.1),
    ])

    /// This table with `overrides` laid over it. An override that sets no cache price keeps the
    /// shipped one's ratio to the input price (a new input price for a Claude model still reads
    /// its cache at a tenth of it).
    package func merging(_ overrides: [String: Price]) -> PriceTable {
        PriceTable(
            prices.merging(overrides) { old, new in
                var price = new
                guard old.inputPerMillionTokens > 0 else { return price }
                let scale = new.inputPerMillionTokens / old.inputPerMillionTokens
                if price.cacheReadPerMillionTokens == nil { price.cacheReadPerMillionTokens = old.cacheReadPerMillionTokens.map { $0 * scale } }
                if price.cacheWritePerMillionTokens == nil { price.cacheWritePerMillionTokens = old.cacheWritePerMillionTokens.map { $0 * scale } }
                return price
            })
    }

    /// The price of `model`, or `nil` when the table has none.
    package func price(for model: String) -> Price? {
        prices[model]
    }

    /// The cost of `usage` on `model` in US dollars (0 for an unpriced model): plain input,
    /// cache reads and cache writes each at their own price.
    package func cost(of usage: CompletionResponse.Usage, model: String) -> Double {
        guard let price = prices[model] else { return 0 }
        return
            (Double(usage.uncachedInputTokens) * price.inputPerMillionTokens
            + Double(min(usage.cacheReadTokens, usage.inputTokens)) * (price.cacheReadPerMillionTokens ?? price.inputPerMillionTokens)
            + Double(min(usage.cacheWriteTokens, usage.inputTokens)) * (price.cacheWritePerMillionTokens ?? price.inputPerMillionTokens)
            + Double(usage.outputTokens) * price.outputPerMillionTokens) / 1_000_000
    }

    /// The share of the realtime price Anthropic's and OpenAI's batch APIs charge.
    package static let defaultBatchShare = 0.5

    /// The cost of `usage` on `model` answered inside a provider batch: ``cost(of:model:)`` at
    /// the model's batch share (half, unless the pricing table says otherwise). Cache reads and
    /// writes keep their own multipliers under it, as the providers' batch discounts stack.
    package func batchCost(of usage: CompletionResponse.Usage, model: String) -> Double {
        guard let price = prices[model] else { return 0 }
        return cost(of: usage, model: model) * (price.batchShare ?? Self.defaultBatchShare)
    }

    /// What the prompt cache saved on `usage`, in US dollars: its cost with every input token at
    /// the plain input price, minus ``cost(of:model:)``. Negative when writing the cache cost more
    /// than reading it saved (a prefix written and never read again).
    package func cacheSavings(of usage: CompletionResponse.Usage, model: String) -> Double {
        guard usage.cacheReadTokens > 0 || usage.cacheWriteTokens > 0 else { return 0 }
        let plain = CompletionResponse.Usage(inputTokens: usage.inputTokens, outputTokens: usage.outputTokens)
        return cost(of: plain, model: model) - cost(of: usage, model: model)
    }

    /// The most a call can cost on `model`: `cacheableTokens` (a prefix marked for the cache) at
    /// the dearest of the plain and cache prices (a cache write costs more than plain input), the
    /// rest of `inputTokens` at the input price, and `outputTokens`.
    package func upperBound(inputTokens: Int, cacheableTokens: Int = 0, outputTokens: Int, model: String) -> Double {
        guard let price = prices[model] else { return 0 }
        let input = max(0, inputTokens)
        let cacheable = min(max(0, cacheableTokens), input)
        let dearest = max(price.inputPerMillionTokens, price.cacheReadPerMillionTokens ?? 0, price.cacheWritePerMillionTokens ?? 0)
        return
            (Double(input - cacheable) * price.inputPerMillionTokens + Double(cacheable) * dearest
            + Double(max(0, outputTokens)) * price.outputPerMillionTokens) / 1_000_000
    }
}
