import Completions
import Foundation
import NIOHTTP1
import Testing

@testable import Providers

@Suite struct BedrockCodecTests {
    let codec = BedrockCodec(baseURL: BedrockCodec.defaultBaseURL(region: "us-east-1"))

    @Test func requestMatchesTheConverseFixture() throws {
        let wire = try codec.encode(Fixtures.request, model: "anthropic.claude-3-5-haiku-20241022-v1:0")
        #expect(wire.url == "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/converse")
        let body = try jsonValue(wire.body)
        let fixture = try Fixtures.json("bedrock-request.json")
        for key in ["messages", "system", "inferenceConfig"] {
            #expect(body[key] == fixture[key], "field \(key)")
        }
    }

    @Test func inferenceProfileARNIsPercentEncoded() {
        let url = codec.url(model: "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0")
        #expect(
            url.hasSuffix(
                "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-3-5-haiku-20241022-v1%3A0/converse"))
    }

    @Test func decodesTheResponseFixture() throws {
        let answer = try codec.decode(
            ProviderHTTPResponse(status: 200, headers: ["x-amzn-RequestId": "a1b2"], body: Fixtures.data("bedrock-response.json")),
            now: Fixtures.now
        )
        #expect(answer.text == "The CSV export of the main project times out.")
        #expect(answer.finishReason == .stop)
        #expect(answer.usage == .init(inputTokens: 30, outputTokens: 12))
        #expect(answer.providerRequestID == "a1b2")
    }

    @Test(arguments: [
        (429, "ThrottlingException", Outcome.rateLimited, false), (429, "ModelNotReadyException", .rateLimited, false),
        (503, "ServiceUnavailableException", .overloaded, false), (408, "ModelTimeoutException", .timeout, false),
        (500, "InternalServerException", .serverError, false), (424, "ModelErrorException", .serverError, false),
        (400, "ValidationException", .clientError, false), (403, "AccessDeniedException", .authError, false),
        (404, "ResourceNotFoundException", .clientError, true),
    ])
    func documentedErrors(_ status: Int, _ type: String, _ outcome: Outcome, _ routeSpecific: Bool) throws {
        let byHeader = decodeFailure(
            of: codec,
            response(status, #"{"message":"m"}"#, headers: [("x-amzn-ErrorType", "\(type):http://internal.amazon.com/coral/com.amazon.bedrock/")]))
        #expect(byHeader?.outcome == outcome)
        #expect(byHeader?.providerErrorType == type)
        #expect(byHeader?.isRouteSpecific == routeSpecific)
        let byBody = decodeFailure(of: codec, response(status, #"{"__type":"com.amazon.bedrock#\#(type)","message":"m"}"#))
        #expect(byBody?.outcome == outcome)
        #expect(byBody?.message == "m")
    }
}
