import Completions
import Foundation
import NIOHTTP1
import Testing

@testable import Providers

/// Issue 9 on the provider side: provider text is kept to a bound and never holds a secret,
/// provider numbers never trap, and a job schema's numbers never trap the extractive route.
@Suite struct ProviderBoundsTests {
    static let page = String(repeating: "<p>Service Unavailable: please retry later</p>\n", count: 7000)

    static let codecs: [(name: String, codec: any WireCodec)] = [
        ("anthropic", AnthropicCodec(baseURL: "https://api.anthropic.com")),
        ("openai", OpenAICodec(endpoint: .openAI(baseURL: "https://api.openai.com"))),
        ("azure-openai", OpenAICodec(endpoint: .azureDeployments(baseURL: "https://r.openai.azure.com", apiVersion: "2024-10-21"))),
        ("gemini", GeminiCodec()),
        ("bedrock", BedrockCodec(baseURL: "https://bedrock-runtime.us-east-1.amazonaws.com")),
    ]

    /// Each provider's error body with `message` in its message field.
    static func errorBody(_ provider: String, message: String) -> String {
        let quoted = WireJSON.compactString(.string(message))
        switch provider {
        case "anthropic": return #"{"type":"error","error":{"type":"overloaded_error","message":\#(quoted)}}"#
        case "openai", "azure-openai": return #"{"error":{"message":\#(quoted),"type":"server_error","param":null,"code":null}}"#
        case "gemini": return #"{"error":{"code":503,"message":\#(quoted),"status":"UNAVAILABLE"}}"#
        default: return #"{"message":\#(quoted)}"#
        }
    }

    @Test(arguments: ["anthropic", "openai", "azure-openai", "gemini", "bedrock"])
    func aThreeHundredKilobyteErrorBecomesAtMostTwoKibibytesMarkedCut(provider: String) throws {
        let codec = try #require(Self.codecs.first { $0.name == provider }).codec
        #expect(Self.page.utf8.count > 300_000)
        for body in [Self.errorBody(provider, message: Self.page), Self.page] {
            let failure = try #require(decodeFailure { () throws(ProviderFailure) in try codec.decode(response(503, body), now: Fixtures.now) })
            #expect(failure.message.utf8.count <= ProviderFailure.maxMessageBytes)
            #expect(ProviderFailure.splitCut(failure.message) != nil, "marked as cut")
            #expect(failure.httpStatus == 503)
        }
    }

    @Test func openAIErrorCodesThatAreNumbersAtTheEdges() throws {
        let codec = OpenAICodec(endpoint: .openAI(baseURL: "https://api.openai.com"))
        let cases: [(String, String?)] = [
            ("1e300", "1e+300"), ("-1e300", "-1e+300"), ("429", "429"), ("-0", "0"), ("12345678901234567890", "1.2345678901234567e+19"),
            ("0.5", "0.5"),
        ]
        for (literal, expected) in cases {
            let body = #"{"error":{"message":"m","type":null,"param":null,"code":\#(literal)}}"#
            let failure = try #require(decodeFailure { () throws(ProviderFailure) in try codec.decode(response(400, body), now: Fixtures.now) })
            #expect(failure.providerErrorType == expected, "code \(literal)")
            #expect(failure.outcome == .clientError)
        }
        // Foundation's decoder refuses an underflowing number: the body is then kept as an excerpt.
        let body = #"{"error":{"message":"m","type":null,"param":null,"code":1e-400}}"#
        let failure = try #require(decodeFailure { () throws(ProviderFailure) in try codec.decode(response(400, body), now: Fixtures.now) })
        #expect([nil, "0"].contains(failure.providerErrorType))
        #expect(failure.outcome == .clientError)
    }

    @Test func hugeErrorTypesAreCut() throws {
        let codec = AnthropicCodec(baseURL: "https://api.anthropic.com")
        let type = String(repeating: "t", count: 100_000)
        let body = #"{"type":"error","error":{"type":"\#(type)","message":"m"}}"#
        let failure = try #require(decodeFailure { () throws(ProviderFailure) in try codec.decode(response(500, body), now: Fixtures.now) })
        #expect((failure.providerErrorType?.utf8.count ?? 0) <= ProviderFailure.maxErrorTypeBytes)
        #expect(failure.outcome == .serverError)
    }

    @Test func aSecretEchoedInAnErrorIsRedactedEvenWhereTheCutSplitsIt() async throws {
        let key = "sk-test-" + String(repeating: "Z", count: 60)
        for offset in [0, 10, 1900, ProviderFailure.maxMessageBytes - 40, ProviderFailure.maxMessageBytes - 20] {
            let message = String(repeating: "a", count: offset) + "key " + key + " was rejected " + String(repeating: "b", count: 5000)
            let transport = FakeTransport { _ in response(401, Self.errorBody("openai", message: message)) }
            let call = HTTPCall(
                providerName: "openai", transport: transport,
                authorizer: .bearer(SecretSource(value: key, variable: "OPENAI_API_KEY")))
            let provider = OpenAIProvider(codec: OpenAICodec(endpoint: .openAI(baseURL: "https://api.openai.com")), call: call)
            do {
                _ = try await provider.complete(Fixtures.request, model: "gpt-4o", timeout: .seconds(5))
                Issue.record("a 401 must fail")
            } catch let failure as ProviderFailure {
                #expect(failure.message.utf8.count <= ProviderFailure.maxMessageBytes)
                #expect(!failure.message.contains("sk-test-ZZZZ"), "offset \(offset): \(failure.message.suffix(80))")
                #expect(failure.outcome == .authError)
            }
        }
    }

    @Test func redactionOfACutText() {
        let authorizer = RequestAuthorizer.bearer(SecretSource(value: "secret-value-123456", variable: "K"))
        #expect(authorizer.redact("x secret-value-123456 y") == "x [redacted] y")
        #expect(authorizer.redact("ends with secret-va… [cut: 9000 bytes]") == "ends with [redacted]… [cut: 9000 bytes]")
        #expect(authorizer.redact("ends with sec… [cut: 9000 bytes]") == "ends with sec… [cut: 9000 bytes]")
        #expect(authorizer.redact("no cut secret-va") == "no cut secret-va")
    }

    @Test func retryAfterDatesWithAbsurdYearsAreIgnored() {
        #expect(RetryAfter.parseRetryAfter("Sun, 06 Nov 99999999999999999 08:49:37 GMT", now: Fixtures.now) == nil)
        #expect(RetryAfter.parseRetryAfter("Sun Nov  6 08:49:37 9223372036854775807", now: Fixtures.now) == nil)
        #expect(RetryAfter.parseRetryAfter("Sunday, 06-Nov-9223372036854775807 08:49:37 GMT", now: Fixtures.now) == nil)
        #expect(RetryAfter.parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now: Fixtures.now) == .zero)
    }
}

@Suite struct ExtractiveSchemaNumberTests {
    let provider = ExtractiveProvider()
    let text = "The export times out after thirty seconds. Support restarted the worker. The customer is waiting."

    @Test(arguments: [-1, -1e300, 0, 0.5, 3, 1e300, 1e19, 9.2e18])
    func maxLengthAtTheEdges(maxLength: Double) throws {
        let schema = JSONValue.object(["type": .string("string"), "maxLength": .number(maxLength)])
        let request = CompletionRequest(messages: [.init(role: .user, content: text)], responseFormat: .jsonSchema(schema))
        let answer = provider.answer(request)
        let value = try JSONParser.parse(Array(answer.text.utf8))
        let string = try #require(value.stringValue)
        #expect(Double(string.count) <= max(0, maxLength))
    }

    @Test func hugeTokenBudgetsDoNotOverflow() {
        let summary = ExtractiveSummarizer().summarize(text, maxTokens: Int.max)
        #expect(!summary.text.isEmpty)
        #expect(!ExtractiveSummarizer().summarize(text, maxTokens: Int.min).text.isEmpty)
    }
}
