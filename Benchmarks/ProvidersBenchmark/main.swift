// The adapter layer alone: encode + decode cost per call, in µs, for each wire format (no I/O),
// plus the extractive summarizer. Reproduce with:
//   swift run -c release ProvidersBenchmark [iterations]
import Completions
import Foundation
import NIOHTTP1
import Providers

let iterations = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 20_000
let sample = SampleTexts.all[2]
let request = CompletionRequest(
    system: "Summarize the support ticket in two sentences.",
    messages: [.init(role: .user, content: sample.text)],
    maxTokens: 256,
    temperature: 0.2
)
let answerText =
    "The CSV export of the main project times out after about sixty seconds. The customer needs a background export or a paginated API before Monday."
let escaped = answerText.replacingOccurrences(of: "\"", with: "\\\"")

struct Case {
    var name: String
    var codec: any WireCodec
    var model: String
    var response: ProviderHTTPResponse
}

func ok(_ body: String, _ headers: HTTPHeaders = [:]) -> ProviderHTTPResponse {
    ProviderHTTPResponse(status: 200, headers: headers, body: Data(body.utf8))
}

let cases = [
    Case(
        name: "anthropic",
        codec: AnthropicCodec(baseURL: "https://api.anthropic.com"),
        model: "claude-haiku-4-5",
        response: ok(
            #"{"id":"msg_01","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[{"type":"text","text":"\#(escaped)"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":220,"output_tokens":36}}"#,
            ["request-id": "req_01"]
        )
    ),
    Case(
        name: "openai",
        codec: OpenAICodec(endpoint: .openAI(baseURL: "https://api.openai.com")),
        model: "gpt-4o-mini",
        response: ok(
            #"{"id":"chatcmpl-1","object":"chat.completion","created":1741569952,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"\#(escaped)","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":220,"completion_tokens":36,"total_tokens":256}}"#,
            ["x-request-id": "req_01"]
        )
    ),
    Case(
        name: "azure-openai",
        codec: OpenAICodec(endpoint: .azureDeployments(baseURL: "https://r.openai.azure.com", apiVersion: "2024-10-21")),
        model: "gpt4o-prod",
        response: ok(
            #"{"id":"chatcmpl-1","object":"chat.completion","created":1741569952,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"\#(escaped)"},"finish_reason":"stop","content_filter_results":{}}],"usage":{"prompt_tokens":220,"completion_tokens":36,"total_tokens":256}}"#
        )
    ),
    Case(
        name: "gemini",
        codec: GeminiCodec(),
        model: "gemini-2.5-flash",
        response: ok(
            #"{"candidates":[{"content":{"parts":[{"text":"\#(escaped)"}],"role":"model"},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":220,"candidatesTokenCount":36,"totalTokenCount":256},"modelVersion":"gemini-2.5-flash","responseId":"r1"}"#
        )
    ),
    Case(
        name: "bedrock",
        codec: BedrockCodec(baseURL: BedrockCodec.defaultBaseURL(region: "us-east-1")),
        model: "anthropic.claude-3-5-haiku-20241022-v1:0",
        response: ok(
            #"{"output":{"message":{"role":"assistant","content":[{"text":"\#(escaped)"}]}},"stopReason":"end_turn","usage":{"inputTokens":220,"outputTokens":36,"totalTokens":256},"metrics":{"latencyMs":800}}"#
        )
    ),
]

func measure(_ iterations: Int, _ body: () throws -> Void) rethrows -> Double {
    for _ in 0..<min(1000, iterations) { try body() }  // warm-up
    let clock = ContinuousClock()
    let start = clock.now
    for _ in 0..<iterations { try body() }
    let elapsed = clock.now - start
    let (seconds, attoseconds) = elapsed.components
    return (Double(seconds) + Double(attoseconds) / 1e18) * 1e6 / Double(iterations)
}

let now = Date()
print("ProvidersBenchmark: \(iterations) iterations per case, request of \(request.messages[0].content.utf8.count) bytes")
print("wire           encode µs  decode µs  total µs")
for item in cases {
    let encode = try measure(iterations) { _ = try item.codec.encode(request, model: item.model) }
    let decode = try measure(iterations) { _ = try item.codec.decode(item.response, now: now) }
    print(
        item.name.padding(toLength: 14, withPad: " ", startingAt: 0),
        String(format: "%9.2f  %9.2f  %8.2f", encode, decode, encode + decode)
    )
}
let errorBody = ok(#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#)
let anthropic = AnthropicCodec(baseURL: "https://api.anthropic.com")
let errorCost = measure(iterations) {
    _ = try? anthropic.decode(ProviderHTTPResponse(status: 529, headers: ["retry-after": "3"], body: errorBody.body), now: now)
}
print(String(format: "anthropic 529 error decode: %.2f µs", errorCost))
let signer = SigV4Signer(service: "bedrock", region: "us-east-1")
let signCost = try measure(iterations) {
    var wire = try cases[4].codec.encode(request, model: cases[4].model)
    signer.sign(&wire, credentials: .init(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "secret"), date: now)
}
print(String(format: "bedrock encode + SigV4 sign: %.2f µs", signCost))
let extractive = ExtractiveProvider()
let summaryCost =
    measure(max(1, iterations / 10)) {
        for text in SampleTexts.all {
            _ = extractive.answer(CompletionRequest(messages: [.init(role: .user, content: text.text)], maxTokens: 120))
        }
    } / Double(SampleTexts.all.count)
print(String(format: "extractive summary (mean over the 10 samples): %.2f µs", summaryCost))
print("reproduce: swift run -c release ProvidersBenchmark \(iterations)")
