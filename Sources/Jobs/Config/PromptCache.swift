/// `workloads.NAME.prompt_cache`: whether a job's system prompt is marked for the provider's
/// prompt cache (Anthropic's `cache_control`; OpenAI and Gemini cache long prefixes without a
/// mark, and their cached tokens are counted and priced either way).
///
/// A batch workload's jobs usually share one long system prompt: read from the cache, it costs a
/// tenth of the input price on Claude; written, a quarter more than plain input. `auto` (the
/// default) marks a system prompt of at least ``autoMinimumBytes`` (about the 1,024 tokens below
/// which Anthropic caches nothing), so short prompts are never written at the higher price.
package enum PromptCache: String, Sendable, Hashable, CaseIterable {
    case auto
    case always
    case never

    /// The shortest system prompt, in UTF-8 bytes, that `auto` marks.
    package static let autoMinimumBytes = 4_096

    /// Whether a job with this `system` prompt has it marked.
    package func marks(_ system: String?) -> Bool {
        guard let system, !system.isEmpty else { return false }
        switch self {
        case .always: return true
        case .never: return false
        case .auto: return system.utf8.count >= Self.autoMinimumBytes
        }
    }
}
