import Completions
import Foundation
import NIOHTTP1
import Testing

@testable import Providers

@Suite struct AnthropicCodecTests {
    let codec = AnthropicCodec(baseURL: "https://api.anthropic.com")

    @Test func requestMatchesTheMessagesAPIFixture() throws {
        let wire = try codec.encode(Fixtures.request, model: "claude-sonnet-4-5")
        #expect(wire.method == .POST)
        #expect(wire.url == "https://api.anthropic.com/v1/messages")
        #expect(wire.headers.first(name: "anthropic-version") == "2023-06-01")
        #expect(wire.headers.first(name: "content-type") == "application/json")
        #expect(wire.headers.first(name: "x-api-key") == nil, "keys are added by the authorizer, not the encoder")
        let body = try jsonValue(wire.body)
        let fixture = try Fixtures.json("anthropic-request.json")
        for key in ["model", "max_tokens", "system", "messages", "temperature", "stop_sequences"] {
            #expect(body[key] == fixture[key], "field \(key)")
        }
        #expect(body == fixture)
    }

    @Test func foundryPathKeepsTheAnthropicShape() throws {
        let foundry = AnthropicCodec(baseURL: "https://myres.services.ai.azure.com/anthropic/", isFoundry: true)
        let wire = try foundry.encode(Fixtures.request, model: "my-claude-deployment")
        #expect(wire.url == "https://myres.services.ai.azure.com/anthropic/v1/messages")
        #expect(try jsonValue(wire.body)["model"] == "my-claude-deployment")
        #expect(AnthropicCodec.isFoundryURL("https://myres.services.ai.azure.com/anthropic"))
        #expect(!AnthropicCodec.isFoundryURL("https://api.anthropic.com"))
    }

    @Test func jsonSchemaGoesIntoTheSystemPromptByDefault() throws {
        var request = Fixtures.request
        request.responseFormat = .jsonSchema(Fixtures.schema)
        let body = try jsonValue(codec.encode(request, model: "m").body)
        let system = try #require(body["system"]?.stringValue)
        #expect(system.hasPrefix("You summarize support tickets."))
        #expect(system.contains(StructuredOutput.marker))
        #expect(StructuredOutput.schema(inSystemPrompt: system) == Fixtures.schema)
        #expect(body["output_config"] == nil)
    }

    @Test func nativeStructuredOutputIsOptInAndNeverOnFoundry() throws {
        var request = Fixtures.request
        request.responseFormat = .jsonSchema(Fixtures.schema)
        let native = AnthropicCodec(baseURL: "https://api.anthropic.com", nativeStructuredOutput: true)
        let body = try jsonValue(native.encode(request, model: "m").body)
        #expect(body["output_config"] == .object(["format": .object(["type": "json_schema", "schema": Fixtures.schema])]))
        #expect(body["system"] == "You summarize support tickets.")

        let foundry = AnthropicCodec(baseURL: "https://r.services.ai.azure.com/anthropic", nativeStructuredOutput: true, isFoundry: true)
        let foundryBody = try jsonValue(foundry.encode(request, model: "m").body)
        #expect(foundryBody["output_config"] == nil)
        #expect(foundryBody["system"]?.stringValue?.contains(StructuredOutput.marker) == true)
    }

    @Test func decodesTheResponseFixture() throws {
        let answer = try codec.decode(
            ProviderHTTPResponse(
                status: 200, headers: ["request-id": "req_011CSHoEeqs5C35K2UUqR7Fy"], body: Fixtures.data("anthropic-response.json")),
            now: Fixtures.now
        )
        #expect(answer.text == "The CSV export of the main project times out.")
        #expect(answer.finishReason == .stop)
        #expect(answer.usage == .init(inputTokens: 2095, outputTokens: 503))
        #expect(answer.providerRequestID == "req_011CSHoEeqs5C35K2UUqR7Fy")
    }

    @Test(arguments: [
        ("end_turn", CompletionResponse.FinishReason.stop), ("stop_sequence", .stop), ("max_tokens", .length),
        ("model_context_window_exceeded", .length), ("refusal", .contentFilter), ("tool_use", .other), ("pause_turn", .other),
    ])
    func stopReasons(_ reason: String, _ expected: CompletionResponse.FinishReason) {
        #expect(AnthropicCodec.finishReason(reason) == expected)
    }

    @Test func fencedJSONIsUnwrappedInSchemaInPromptMode() throws {
        let body =
            #"{"id":"m","type":"message","role":"assistant","model":"x","content":[{"type":"text","text":"```json\n{\"a\":1}\n```"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}"#
        #expect(try codec.decode(response(200, body), now: Fixtures.now).text == #"{"a":1}"#)
    }

    static let documentedErrors: [(Int, String, Outcome)] = [
        (400, "invalid_request_error", .clientError),
        (401, "authentication_error", .authError),
        (402, "billing_error", .authError),
        (403, "permission_error", .authError),
        (404, "not_found_error", .clientError),
        (409, "conflict_error", .clientError),
        (413, "request_too_large", .clientError),
        (429, "rate_limit_error", .rateLimited),
        (500, "api_error", .serverError),
        (504, "timeout_error", .timeout),
        (529, "overloaded_error", .overloaded),
    ]

    @Test(arguments: documentedErrors)
    func documentedErrorsMapToTheirOutcome(_ status: Int, _ type: String, _ outcome: Outcome) throws {
        let body = #"{"type":"error","error":{"type":"\#(type)","message":"something happened"},"request_id":"req_1"}"#
        let failure = try #require(decodeFailure { () throws(ProviderFailure) in try codec.decode(response(status, body), now: Fixtures.now) })
        #expect(failure.outcome == outcome)
        #expect(failure.httpStatus == status)
        #expect(failure.providerErrorType == type)
        #expect(failure.message == "something happened")
        #expect(failure.isRouteSpecific == (status == 404 || status == 413))
    }

    @Test(arguments: [
        "You have reached your specified workspace API usage limits. You will regain access on 2025-07-01 at 00:00 UTC.",
        "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.",
    ])
    func spendLimitIsAnAuthError(_ message: String) throws {
        let body = #"{"type":"error","error":{"type":"invalid_request_error","message":"\#(message)"}}"#
        let failure = try #require(decodeFailure { () throws(ProviderFailure) in try codec.decode(response(400, body), now: Fixtures.now) })
        #expect(failure.outcome == .authError)
    }

    @Test func unparseableAndWrongShapeBodiesAreInvalidOutput() throws {
        for body in [#"{"id":"msg","content":[{"type":"text","text":"cut"#, #"{"status":"ok"}"#, "<html>oops</html>"] {
            let failure = try #require(decodeFailure { () throws(ProviderFailure) in try codec.decode(response(200, body), now: Fixtures.now) })
            #expect(failure.outcome == .invalidOutput)
        }
    }

    @Test func errorWithoutJSONBodyStillMapsByStatus() throws {
        let failure = try #require(
            decodeFailure { () throws(ProviderFailure) in try codec.decode(response(502, "<html>Bad gateway</html>"), now: Fixtures.now) })
        #expect(failure.outcome == .serverError)
        #expect(failure.message.contains("502"))
    }

    @Test func retryAfterSecondsAndHTTPDate() throws {
        let body = #"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#
        let seconds = decodeFailure { () throws(ProviderFailure) in
            try codec.decode(response(429, body, headers: [("retry-after", "17")]), now: Fixtures.now)
        }
        #expect(seconds?.retryAfter == .seconds(17))
        let date = Date(timeIntervalSince1970: 1_750_000_030)
        let httpDate = "Sun, 15 Jun 2025 15:07:10 GMT"
        #expect(RetryAfter.parseHTTPDate(httpDate) == date)
        let dated = decodeFailure { () throws(ProviderFailure) in
            try codec.decode(response(429, body, headers: [("retry-after", httpDate)]), now: Fixtures.now)
        }
        #expect(dated?.retryAfter == .seconds(30))
    }

    @Test func rateLimitResetHeadersAreRFC3339() throws {
        let body = #"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#
        let headers = [
            ("anthropic-ratelimit-requests-remaining", "0"),
            ("anthropic-ratelimit-requests-reset", "2025-06-15T15:06:50Z"),
            ("anthropic-ratelimit-tokens-remaining", "12000"),
            ("anthropic-ratelimit-tokens-reset", "2025-06-15T15:06:41.5Z"),
        ]
        let failure = decodeFailure { () throws(ProviderFailure) in try codec.decode(response(429, body, headers: headers), now: Fixtures.now) }
        #expect(failure?.retryAfter == .seconds(10), "the exhausted limit's reset wins")

        let foundry = AnthropicCodec(baseURL: "https://r.services.ai.azure.com/anthropic", isFoundry: true)
        let onFoundry = decodeFailure(of: foundry, response(429, body, headers: headers))
        #expect(onFoundry?.retryAfter == nil, "Foundry sends no anthropic-ratelimit headers: never depend on them")
    }
}

/// `codec.decode` as a failure, for codecs passed as values.
func decodeFailure(of codec: some WireCodec, _ response: ProviderHTTPResponse) -> ProviderFailure? {
    decodeFailure { () throws(ProviderFailure) in try codec.decode(response, now: Fixtures.now) }
}
