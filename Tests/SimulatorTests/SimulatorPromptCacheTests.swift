import Completions
import Foundation
import Providers
import Simulator
import Testing

/// The simulator's prompt caches, through the real adapters over HTTP: a marked (Anthropic) or
/// long (OpenAI) system prompt is written once, then read, and usage says so.
@Suite struct SimulatorPromptCacheTests {
    static let longSystem = String(repeating: "Follow the support summary policy to the letter. ", count: 120)

    private func request(_ id: Int, system: String, marked: Bool) -> CompletionRequest {
        CompletionRequest(
            system: system, messages: [.init(role: .user, content: "Ticket \(id): the export times out on the main project.")],
            maxTokens: 100, cacheSystemPrompt: marked)
    }

    @Test("Anthropic: the first marked request writes the cache, the next ones read it; the input is billed the same in total")
    func anthropicWritesThenReads() async throws {
        try await withSimulator { _, baseURL, client in
            let provider = try Target.anthropic.provider(baseURL: baseURL, client: client)
            let first = try await provider.complete(request(1, system: Self.longSystem, marked: true), model: "m", timeout: .seconds(5))
            let second = try await provider.complete(request(2, system: Self.longSystem, marked: true), model: "m", timeout: .seconds(5))
            let prefix = ExtractiveSummarizer().estimateTokens(Self.longSystem)
            #expect(prefix >= 1_024)
            #expect(first.usage.cacheWriteTokens == prefix && first.usage.cacheReadTokens == 0)
            #expect(second.usage.cacheReadTokens == prefix && second.usage.cacheWriteTokens == 0)
            #expect(second.usage.inputTokens > prefix, "the input counts the cached part and the rest")

            // Unmarked, or too short to cache: no cache counts at all.
            let unmarked = try await provider.complete(request(3, system: Self.longSystem, marked: false), model: "m", timeout: .seconds(5))
            #expect(unmarked.usage.cacheReadTokens == 0 && unmarked.usage.cacheWriteTokens == 0)
            let short = try await provider.complete(request(4, system: "Be brief.", marked: true), model: "m", timeout: .seconds(5))
            #expect(short.usage.cacheReadTokens == 0 && short.usage.cacheWriteTokens == 0)
        }
    }

    @Test("OpenAI: a long system prompt is cached without a mark; the second request reads it")
    func openAICachesLongPrefixes() async throws {
        try await withSimulator { _, baseURL, client in
            let provider = try Target.openai.provider(baseURL: baseURL, client: client)
            let first = try await provider.complete(request(1, system: Self.longSystem, marked: false), model: "m", timeout: .seconds(5))
            let second = try await provider.complete(request(2, system: Self.longSystem, marked: false), model: "m", timeout: .seconds(5))
            #expect(first.usage.cacheReadTokens == 0 && first.usage.cacheWriteTokens == 0, "OpenAI bills no write")
            #expect(second.usage.cacheReadTokens == ExtractiveSummarizer().estimateTokens(Self.longSystem))
        }
    }
}
