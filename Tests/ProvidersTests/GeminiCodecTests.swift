import Completions
import Foundation
import NIOHTTP1
import Testing

@testable import Providers

@Suite struct GeminiCodecTests {
    let codec = GeminiCodec()

    @Test func requestMatchesTheGenerateContentFixture() throws {
        let wire = try codec.encode(Fixtures.request, model: "gemini-2.5-flash")
        #expect(wire.url == "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent")
        #expect(wire.headers.first(name: "x-goog-api-key") == nil)
        let body = try jsonValue(wire.body)
        let fixture = try Fixtures.json("gemini-request.json")
        for key in ["contents", "systemInstruction", "generationConfig"] {
            #expect(body[key] == fixture[key], "field \(key)")
        }
    }

    @Test func jsonSchemaMapsToResponseJsonSchema() throws {
        var request = Fixtures.request
        request.responseFormat = .jsonSchema(Fixtures.schema)
        let config = try jsonValue(codec.encode(request, model: "models/gemini-2.5-pro").body)["generationConfig"]
        #expect(config?["responseMimeType"] == "application/json")
        #expect(config?["responseJsonSchema"] == Fixtures.schema)
        #expect(try codec.encode(request, model: "models/gemini-2.5-pro").url.hasSuffix("/v1beta/models/gemini-2.5-pro:generateContent"))
    }

    @Test func decodesTheResponseFixture() throws {
        let answer = try codec.decode(ProviderHTTPResponse(status: 200, body: Fixtures.data("gemini-response.json")), now: Fixtures.now)
        #expect(answer.text == "The CSV export of the main project times out.")
        #expect(answer.finishReason == .stop)
        #expect(answer.usage == .init(inputTokens: 21, outputTokens: 11))
        #expect(answer.providerRequestID == "mGpZaOyLBJa1qtsP6JTQ8QQ")
    }

    @Test(arguments: [
        ("STOP", CompletionResponse.FinishReason.stop), ("MAX_TOKENS", .length), ("SAFETY", .contentFilter), ("BLOCKLIST", .contentFilter),
        ("PROHIBITED_CONTENT", .contentFilter), ("SPII", .contentFilter), ("RECITATION", .contentFilter), ("OTHER", .other),
        ("MALFORMED_FUNCTION_CALL", .other),
    ])
    func finishReasons(_ reason: String, _ expected: CompletionResponse.FinishReason) {
        #expect(GeminiCodec.finishReason(reason) == expected)
    }

    @Test func resourceExhaustedReadsRetryInfo() throws {
        let failure = try #require(decodeFailure(of: codec, ProviderHTTPResponse(status: 429, body: Fixtures.data("gemini-error-429.json"))))
        #expect(failure.outcome == .rateLimited)
        #expect(failure.providerErrorType == "RESOURCE_EXHAUSTED")
        #expect(failure.retryAfter == .seconds(22))
        let noDetails = decodeFailure(of: codec, response(429, #"{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED"}}"#))
        #expect(noDetails?.retryAfter == nil)
    }

    @Test(arguments: [
        (400, "INVALID_ARGUMENT", Outcome.clientError), (403, "PERMISSION_DENIED", .authError), (404, "NOT_FOUND", .clientError),
        (429, "RESOURCE_EXHAUSTED", .rateLimited), (500, "INTERNAL", .serverError), (503, "UNAVAILABLE", .overloaded),
        (504, "DEADLINE_EXCEEDED", .timeout),
    ])
    func documentedErrors(_ status: Int, _ rpcStatus: String, _ outcome: Outcome) throws {
        let body = #"{"error":{"code":\#(status),"message":"m","status":"\#(rpcStatus)"}}"#
        #expect(decodeFailure(of: codec, response(status, body))?.outcome == outcome)
    }

    @Test func invalidKeyIsAnAuthErrorDespite400() throws {
        let body =
            #"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}"#
        #expect(decodeFailure(of: codec, response(400, body))?.outcome == .authError)
    }
}
