import Completions
import Providers
import Synchronization

/// The providers' prompt caches, as the simulator plays them: the first request with a given
/// cacheable prefix writes it, later ones read it, and usage says so in each wire's own fields.
///
/// Guarantees: a prefix shorter than ``minimumTokens`` (Anthropic's smallest cacheable prompt,
/// OpenAI's threshold for automatic caching) is never cached; at most ``capacity`` prefixes are
/// remembered (the set is emptied when full, like an eviction of everything); the cache parts
/// never exceed the request's input tokens.
final class PromptCacheModel: Sendable {
    static let minimumTokens = 1_024
    static let capacity = 4_096

    /// Hashes of the prefixes seen (a collision only makes a miss look like a hit).
    private let seen = Mutex(Set<Int>())
    private let tokens = ExtractiveSummarizer()

    /// `usage` with the cache parts of a request whose cacheable prefix is `prefix` (`nil`: none).
    func usage(_ usage: CompletionResponse.Usage, prefix: String?) -> CompletionResponse.Usage {
        guard let prefix else { return usage }
        let prefixTokens = min(tokens.estimateTokens(prefix), usage.inputTokens)
        guard prefixTokens >= Self.minimumTokens else { return usage }
        let known = seen.withLock { seen in
            let key = prefix.hashValue
            if seen.contains(key) { return true }
            if seen.count >= Self.capacity { seen.removeAll(keepingCapacity: true) }
            seen.insert(key)
            return false
        }
        return CompletionResponse.Usage(
            inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, cacheReadTokens: known ? prefixTokens : 0,
            cacheWriteTokens: known ? 0 : prefixTokens)
    }
}
