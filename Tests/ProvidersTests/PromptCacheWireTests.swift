import Completions
import Foundation
import Testing

@testable import Providers

/// Prompt caching on the wire: the mark Anthropic takes, and the cache counts each provider
/// reports in its usage, read into the one ``CompletionResponse/Usage``.
@Suite struct PromptCacheWireTests {
    let anthropic = AnthropicCodec(baseURL: "https://api.anthropic.com")

    @Test("a marked system prompt goes out as one text block with cache_control; unmarked, as the plain string it always was")
    func anthropicMarksTheSystemBlock() throws {
        var request = Fixtures.request
        request.cacheSystemPrompt = true
        let body = try jsonValue(anthropic.encode(request, model: "m").body)
        #expect(
            body["system"]
                == .array([.object(["type": "text", "text": "You summarize support tickets.", "cache_control": .object(["type": "ephemeral"])])]))

        request.cacheSystemPrompt = false
        #expect(try jsonValue(anthropic.encode(request, model: "m").body)["system"] == "You summarize support tickets.")

        // Nothing to mark: no system prompt, no block.
        request.cacheSystemPrompt = true
        request.system = nil
        #expect(try jsonValue(anthropic.encode(request, model: "m").body)["system"] == nil)
    }

    @Test("with a schema in the prompt, the instruction is a second block after the cached one, so it does not break the prefix")
    func schemaInstructionStaysOutOfTheCachedPrefix() throws {
        var request = Fixtures.request
        request.cacheSystemPrompt = true
        request.responseFormat = .jsonSchema(Fixtures.schema)
        let body = try jsonValue(anthropic.encode(request, model: "m").body)
        let blocks = try #require(body["system"]?.arrayValue)
        try #require(blocks.count == 2)
        #expect(blocks[0]["text"] == "You summarize support tickets.")
        #expect(blocks[0]["cache_control"] == .object(["type": "ephemeral"]))
        #expect(blocks[1]["cache_control"] == nil)
        #expect(StructuredOutput.schema(inSystemPrompt: blocks[1]["text"]?.stringValue) == Fixtures.schema)
    }

    @Test("Anthropic's usage counts cache writes and reads apart from input_tokens: the input is their sum")
    func anthropicUsage() throws {
        let body =
            #"{"id":"m","type":"message","role":"assistant","model":"x","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn","usage":{"input_tokens":50,"output_tokens":7,"cache_creation_input_tokens":2000,"cache_read_input_tokens":300}}"#
        let usage = try anthropic.decode(response(200, body), now: Fixtures.now).usage
        #expect(usage == .init(inputTokens: 2_350, outputTokens: 7, cacheReadTokens: 300, cacheWriteTokens: 2_000))
        #expect(usage.uncachedInputTokens == 50)
    }

    @Test("OpenAI's cached_tokens is a part of prompt_tokens")
    func openAIUsage() throws {
        let codec = OpenAICodec(endpoint: .openAI(baseURL: "https://api.openai.com"))
        let body =
            #"{"id":"c","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,"prompt_tokens_details":{"cached_tokens":1920}}}"#
        let usage = try codec.decode(response(200, body), now: Fixtures.now).usage
        #expect(usage == .init(inputTokens: 2_006, outputTokens: 300, cacheReadTokens: 1_920))
        #expect(usage.uncachedInputTokens == 86)
    }

    @Test("Bedrock's cache counts are apart from inputTokens, Gemini's cached count is a part of the prompt's")
    func bedrockAndGeminiUsage() throws {
        let bedrock = BedrockCodec(baseURL: BedrockCodec.defaultBaseURL(region: "us-east-1"))
        let converse =
            #"{"output":{"message":{"role":"assistant","content":[{"text":"ok"}]}},"stopReason":"end_turn","usage":{"inputTokens":10,"outputTokens":5,"totalTokens":1515,"cacheReadInputTokens":1500,"cacheWriteInputTokens":0}}"#
        #expect(
            try bedrock.decode(response(200, converse), now: Fixtures.now).usage == .init(inputTokens: 1_510, outputTokens: 5, cacheReadTokens: 1_500)
        )

        let gemini =
            #"{"candidates":[{"content":{"role":"model","parts":[{"text":"ok"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":4000,"candidatesTokenCount":20,"totalTokenCount":4020,"cachedContentTokenCount":3000}}"#
        #expect(
            try GeminiCodec().decode(response(200, gemini), now: Fixtures.now).usage
                == .init(inputTokens: 4_000, outputTokens: 20, cacheReadTokens: 3_000))
    }

    @Test("absurd cache counts cannot exceed the input or trap")
    func absurdCountsAreBounded() {
        let usage = CompletionResponse.Usage(inputTokens: 10, outputTokens: 1, cacheReadTokens: 1_000, cacheWriteTokens: -5)
        #expect(usage.cacheReadTokens == 10 && usage.cacheWriteTokens == 0 && usage.uncachedInputTokens == 0)
        let parts = CompletionResponse.Usage(plainInputTokens: .max, cacheReadTokens: .max, cacheWriteTokens: .max, outputTokens: 1)
        #expect(parts.inputTokens == .max && parts.cacheReadTokens == .max && parts.cacheWriteTokens == 0 && parts.uncachedInputTokens == 0)
        var total = parts
        total.add(parts)
        #expect(total.inputTokens == .max && total.cacheReadTokens == .max && total.uncachedInputTokens == 0)
    }
}
