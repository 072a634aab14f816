import Completions
import Foundation
import NIOHTTP1
import Testing

@testable import Providers

@Suite struct OpenAICodecTests {
    let codec = OpenAICodec(endpoint: .openAI(baseURL: "https://api.openai.com"))

    @Test func requestMatchesTheChatCompletionsFixture() throws {
        let wire = try codec.encode(Fixtures.request, model: "gpt-4o-mini")
        #expect(wire.url == "https://api.openai.com/v1/chat/completions")
        #expect(wire.headers.first(name: "content-type") == "application/json")
        #expect(wire.headers.first(name: "authorization") == nil)
        let body = try jsonValue(wire.body)
        let fixture = try Fixtures.json("openai-request.json")
        for key in ["model", "messages", "max_completion_tokens", "temperature", "stop"] {
            #expect(body[key] == fixture[key], "field \(key)")
        }
        #expect(body == fixture)
    }

    @Test func compatibleServersGetMaxTokens() throws {
        let local = OpenAICodec(endpoint: .openAI(baseURL: "http://127.0.0.1:11434/"))
        let body = try jsonValue(local.encode(Fixtures.request, model: "llama3").body)
        #expect(body["max_tokens"] == .number(256))
        #expect(body["max_completion_tokens"] == nil)
        #expect(try local.encode(Fixtures.request, model: "llama3").url == "http://127.0.0.1:11434/v1/chat/completions")
    }

    @Test func jsonSchemaMapsToResponseFormat() throws {
        var request = Fixtures.request
        request.responseFormat = .jsonSchema(Fixtures.schema)
        let body = try jsonValue(codec.encode(request, model: "gpt-4o").body)
        #expect(
            body["response_format"]
                == .object([
                    "type": "json_schema",
                    "json_schema": .object(["name": "response", "schema": Fixtures.schema, "strict": .bool(true)]),
                ])
        )
    }

    @Test func azureDeploymentsAndV1Paths() throws {
        let deployments = OpenAICodec(endpoint: .azureDeployments(baseURL: "https://res.openai.azure.com", apiVersion: "2024-10-21"))
        let wire = try deployments.encode(Fixtures.request, model: "gpt4o-prod")
        #expect(wire.url == "https://res.openai.azure.com/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21")
        let body = try jsonValue(wire.body)
        #expect(body["model"] == nil, "the deployment is in the path")
        #expect(body["max_completion_tokens"] == .number(256))

        let v1 = OpenAICodec(endpoint: .azureV1(baseURL: "https://res.openai.azure.com"))
        let v1Wire = try v1.encode(Fixtures.request, model: "gpt4o-prod")
        #expect(v1Wire.url == "https://res.openai.azure.com/openai/v1/chat/completions")
        #expect(try jsonValue(v1Wire.body)["model"] == "gpt4o-prod")
    }

    @Test func decodesTheResponseFixture() throws {
        let answer = try codec.decode(
            ProviderHTTPResponse(status: 200, headers: ["x-request-id": "req_abc"], body: Fixtures.data("openai-response.json")),
            now: Fixtures.now
        )
        #expect(answer.text == "The CSV export of the main project times out.")
        #expect(answer.finishReason == .stop)
        #expect(answer.usage == .init(inputTokens: 19, outputTokens: 10))
        #expect(answer.providerRequestID == "req_abc")
    }

    @Test func azureFilteredCompletionIsContentFilter() throws {
        let azure = OpenAICodec(endpoint: .azureV1(baseURL: "https://res.openai.azure.com"))
        let answer = try azure.decode(
            ProviderHTTPResponse(status: 200, body: Fixtures.data("azure-openai-response-filtered.json")), now: Fixtures.now)
        #expect(answer.finishReason == .contentFilter)
        #expect(answer.text.isEmpty)
    }

    @Test func azureFilteredPromptIsARouteSpecificClientError() throws {
        let azure = OpenAICodec(endpoint: .azureV1(baseURL: "https://res.openai.azure.com"))
        let failure = try #require(
            decodeFailure(of: azure, ProviderHTTPResponse(status: 400, body: Fixtures.data("azure-openai-error-content-filter.json"))))
        #expect(failure.outcome == .clientError)
        #expect(failure.isRouteSpecific)
        #expect(failure.providerErrorType == "content_filter")
    }

    @Test(arguments: [
        ("stop", CompletionResponse.FinishReason.stop), ("length", .length), ("content_filter", .contentFilter), ("tool_calls", .other),
    ])
    func finishReasons(_ reason: String, _ expected: CompletionResponse.FinishReason) {
        #expect(OpenAICodec.finishReason(reason) == expected)
    }

    static let documentedErrors: [(Int, String, String?, Outcome)] = [
        (400, "invalid_request_error", nil, .clientError),
        (400, "invalid_request_error", "context_length_exceeded", .clientError),
        (401, "invalid_request_error", "invalid_api_key", .authError),
        (403, "invalid_request_error", "unsupported_country_region_territory", .authError),
        (404, "invalid_request_error", "model_not_found", .clientError),
        (429, "requests", "rate_limit_exceeded", .rateLimited),
        (429, "insufficient_quota", "insufficient_quota", .authError),
        (500, "server_error", nil, .serverError),
        (503, "server_error", nil, .overloaded),
    ]

    @Test(arguments: documentedErrors)
    func documentedErrorsMapToTheirOutcome(_ status: Int, _ type: String, _ code: String?, _ outcome: Outcome) throws {
        let codeJSON = code.map { "\"\($0)\"" } ?? "null"
        let body = #"{"error":{"message":"boom","type":"\#(type)","param":null,"code":\#(codeJSON)}}"#
        let failure = try #require(decodeFailure(of: codec, response(status, body)))
        #expect(failure.outcome == outcome)
        #expect(failure.message == "boom")
        #expect(failure.providerErrorType == (code ?? type))
    }

    @Test func rateLimitResetDurations() throws {
        let body = #"{"error":{"message":"Rate limit reached","type":"tokens","param":null,"code":"rate_limit_exceeded"}}"#
        let tokens = decodeFailure(
            of: codec,
            response(
                429, body,
                headers: [
                    ("x-ratelimit-remaining-requests", "12"), ("x-ratelimit-reset-requests", "12ms"),
                    ("x-ratelimit-remaining-tokens", "0"), ("x-ratelimit-reset-tokens", "6m0s"),
                ]))
        #expect(tokens?.retryAfter == .seconds(360))
        let requests = decodeFailure(of: codec, response(429, body, headers: [("x-ratelimit-reset-requests", "1s")]))
        #expect(requests?.retryAfter == .seconds(1))
        let withHeader = decodeFailure(of: codec, response(429, body, headers: [("retry-after", "3"), ("x-ratelimit-reset-requests", "1s")]))
        #expect(withHeader?.retryAfter == .seconds(3), "retry-after wins when present")
    }

    @Test func azureRetryAfterMilliseconds() throws {
        let azure = OpenAICodec(endpoint: .azureDeployments(baseURL: "https://r.openai.azure.com", apiVersion: "2024-10-21"))
        let body = #"{"error":{"code":"429","message":"Requests ... Please retry after 1 second."}}"#
        let failure = try #require(decodeFailure(of: azure, response(429, body, headers: [("retry-after", "1"), ("retry-after-ms", "1250")])))
        #expect(failure.outcome == .rateLimited)
        #expect(failure.retryAfter == .milliseconds(1250))
        #expect(failure.providerErrorType == "429")
    }
}
