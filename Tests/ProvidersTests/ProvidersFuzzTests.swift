import Completions
import Foundation
import FuzzTesting
import NIOHTTP1
import Testing

@testable import Providers

/// Every provider codec's answer and error decoder, and every Retry-After parser, fed hostile
/// input (seeded; see `Fuzz`): never a crash, always a classified result. A decoder either
/// returns an answer or throws a ``ProviderFailure`` whose class a failure can have, with its
/// text within the bound; a wait is `nil` or between zero and a day.
@Suite struct ProvidersFuzzTests {
    struct Subject: Sendable, CustomTestStringConvertible {
        var name: String
        var codec: any WireCodec
        /// Real answers and errors of this provider, to mutate.
        var seeds: [JSONValue]
        var testDescription: String { name }
    }

    static func seeds(_ provider: String, fixtures: [String]) -> [JSONValue] {
        var values = fixtures.compactMap { try? Fixtures.json($0) }
        values.append(try! JSONParser.parse(Array(ProviderBoundsTests.errorBody(provider, message: "overloaded, try later").utf8)))
        return values
    }

    static let subjects: [Subject] = [
        Subject(
            name: "anthropic", codec: AnthropicCodec(baseURL: "https://api.anthropic.com"),
            seeds: seeds("anthropic", fixtures: ["anthropic-response.json"])),
        Subject(
            name: "openai", codec: OpenAICodec(endpoint: .openAI(baseURL: "https://api.openai.com")),
            seeds: seeds("openai", fixtures: ["openai-response.json"])),
        Subject(
            name: "azure-openai", codec: OpenAICodec(endpoint: .azureDeployments(baseURL: "https://r.openai.azure.com", apiVersion: "2024-10-21")),
            seeds: seeds("azure-openai", fixtures: ["azure-openai-response-filtered.json", "azure-openai-error-content-filter.json"])),
        Subject(name: "gemini", codec: GeminiCodec(), seeds: seeds("gemini", fixtures: ["gemini-response.json", "gemini-error-429.json"])),
        Subject(
            name: "bedrock", codec: BedrockCodec(baseURL: "https://bedrock-runtime.us-east-1.amazonaws.com"),
            seeds: seeds("bedrock", fixtures: ["bedrock-response.json"])),
    ]

    static let failureClasses: Set<Outcome> = [
        .timeout, .connection, .rateLimited, .overloaded, .serverError, .clientError, .authError, .invalidOutput,
    ]

    @Test(arguments: subjects)
    func answerAndErrorDecoders(subject: Subject) {
        var outcomes: [Outcome: Int] = [:]
        let iterations = Fuzz.run("\(subject.name) decoders") { random, seed in
            let status = random.chance(0.5) ? 200 : random.pick([201, 299, 400, 401, 403, 404, 408, 413, 422, 429, 500, 503, 504, 529, 0, 999, -1])
            var body = FuzzJSON.document(&random, like: subject.seeds)
            if random.chance(0.2) {
                // Plainly written, only lightly mutated: enough of the shape to reach the answer path.
                var writer = JSONWriter()
                writer.value(FuzzJSON.mutate(random.pick(subject.seeds), &random))
                body = writer.bytes
            }
            let headers = HTTPHeaders(Self.headers(&random))
            let response = ProviderHTTPResponse(status: status, headers: headers, body: Data(body))
            do throws(ProviderFailure) {
                let answer = try subject.codec.decode(response, now: Self.now(&random))
                #expect((200..<300).contains(status), "\(seed): an answer from HTTP \(status)")
                #expect(!answer.text.isEmpty || answer.finishReason == .contentFilter, "\(seed)")
                #expect(answer.usage.inputTokens >= 0 && answer.usage.outputTokens >= 0, "\(seed)")
                outcomes[.ok, default: 0] += 1
            } catch {
                #expect(Self.failureClasses.contains(error.outcome), "\(seed): \(error.outcome)")
                #expect(error.message.utf8.count <= ProviderFailure.maxMessageBytes, "\(seed)")
                #expect((error.providerErrorType?.utf8.count ?? 0) <= ProviderFailure.maxErrorTypeBytes, "\(seed)")
                if let wait = error.retryAfter { #expect(wait >= .zero && wait <= RetryAfter.maximum, "\(seed)") }
                outcomes[error.outcome, default: 0] += 1
            }
        }
        // The mutations keep enough of the shape to reach the answer path, not only the parser.
        #expect(iterations < 200 || outcomes[.ok, default: 0] > 0, "\(outcomes)")
    }

    @Test func retryAfterParsers() {
        Fuzz.run("Retry-After") { random, seed in
            let value = Self.waitText(&random)
            let now = Self.now(&random)
            let results: [Duration?] = [
                RetryAfter.parseRetryAfter(value, now: now), RetryAfter.parseMilliseconds(value), RetryAfter.parseRFC3339(value, now: now),
                RetryAfter.parseGoDuration(value),
                RetryAfter.fromStandardHeaders(HTTPHeaders([("retry-after", value), ("retry-after-ms", value)]), now: now),
            ]
            for case let wait? in results {
                #expect(wait >= .zero && wait <= RetryAfter.maximum, "\(seed): \(value.prefix(80)) -> \(wait)")
            }
        }
    }

    // MARK: Inputs

    static func now(_ random: inout FuzzRandom) -> Date {
        random.chance(0.8) ? Fixtures.now : Date(timeIntervalSince1970: random.pick([0, -1e12, 1e12, 253_402_300_799, -62_135_596_800]))
    }

    static func headers(_ random: inout FuzzRandom) -> [(String, String)] {
        let names = [
            "retry-after", "retry-after-ms", "x-ratelimit-reset-requests", "x-ratelimit-remaining-requests", "x-ratelimit-reset-tokens",
            "x-ratelimit-remaining-tokens", "anthropic-ratelimit-requests-reset", "anthropic-ratelimit-requests-remaining",
            "anthropic-ratelimit-tokens-reset", "x-amzn-errortype", "request-id", "x-request-id",
        ]
        return (0..<Int.random(in: 0...4, using: &random)).map { _ in
            let name = random.pick(names)
            let value: String
            switch name {
            case "x-amzn-errortype":
                value = random.pick([
                    "ThrottlingException:http://internal", "com.amazon#ValidationException", "", ":", "#", "💥", String(repeating: "E", count: 5000),
                ])
            case _ where name.hasSuffix("remaining"): value = random.pick(["0", "1", "-1", "x", ""])
            default: value = waitText(&random)
            }
            return (name, value)
        }
    }

    /// Text for a wait header: numbers, dates, durations at the edges, and junk.
    static func waitText(_ random: inout FuzzRandom) -> String {
        let year = random.pick(["1994", "2025", "0", "-1", "9999", "10000", "99999999999999999", "9223372036854775807", "-9223372036854775808"])
        let day = random.pick(["06", "31", "00", "32", "-5", "99999999999999999999"])
        let time = random.pick(["08:49:37", "23:59:60", "24:00:00", "-1:00:00", "9223372036854775807:00:00", "1:2", "::"])
        switch Int.random(in: 0..<9, using: &random) {
        case 0: return random.pick(FuzzJSON.edgeNumbers + ["nan", "-nan", "inf", "-inf", "0x1p3", "1_000", " 30 ", "+5", ".5", "5."])
        case 1: return "Sun, \(day) Nov \(year) \(time) GMT"
        case 2: return "Sunday, \(day)-Nov-\(year.suffix(2)) \(time) GMT"
        case 3: return "Sun Nov  \(day) \(time) \(year)"
        case 4:
            let units = ["h", "m", "s", "ms", "us", "µs", "ns", "", "x", "."]
            return (0..<Int.random(in: 1...4, using: &random)).map { _ in
                random.pick(FuzzJSON.edgeNumbers + ["1", "0.5", "6", "..", ""]) + random.pick(units)
            }.joined()
        case 5: return "\(year)-\(random.pick(["01", "13", "00"]))-\(day)T\(time)\(random.pick(["Z", "+02:00", "-99:99", ".123456789Z", "", "z"]))"
        case 6: return String(decoding: FuzzJSON.damage(Array("2025-06-01T12:00:30Z".utf8), &random), as: UTF8.self)
        case 7: return String(repeating: "9", count: Int.random(in: 1...400, using: &random))
        default: return FuzzJSON.string(&random)
        }
    }
}
