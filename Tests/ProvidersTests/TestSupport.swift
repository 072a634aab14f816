import Completions
import Foundation
import Logging
import NIOHTTP1
import Synchronization
import Testing

@testable import Providers

/// Shared fixtures and fakes for the adapter tests.
enum Fixtures {
    static func data(_ name: String) throws -> Data {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"))
        return try Data(contentsOf: url)
    }

    static func json(_ name: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: data(name))
    }

    static var sigV4Directory: URL {
        get throws {
            try #require(Bundle.module.url(forResource: "sigv4", withExtension: nil, subdirectory: "Fixtures"))
        }
    }

    /// The request every codec fixture encodes.
    static let request = CompletionRequest(
        system: "You summarize support tickets.",
        messages: [
            .init(role: .user, content: "Summarize: the export times out."),
            .init(role: .assistant, content: "Which project?"),
            .init(role: .user, content: "The main one."),
        ],
        maxTokens: 256,
        temperature: 0.2,
        stopSequences: ["END"]
    )

    static let schema: JSONValue = .object([
        "type": "object",
        "properties": .object(["summary": .object(["type": "string"]), "urgent": .object(["type": "boolean"])]),
        "required": .array(["summary", "urgent"]),
        "additionalProperties": .bool(false),
    ])

    static let now = Date(timeIntervalSince1970: 1_750_000_000)
}

func jsonValue(_ data: Data) throws -> JSONValue {
    try JSONDecoder().decode(JSONValue.self, from: data)
}

func response(_ status: Int, _ body: String, headers: [(String, String)] = []) -> ProviderHTTPResponse {
    ProviderHTTPResponse(status: status, headers: HTTPHeaders(headers), body: Data(body.utf8))
}

/// Captures a thrown ProviderFailure.
func decodeFailure(_ body: () throws(ProviderFailure) -> CompletionResponse) -> ProviderFailure? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

extension JSONValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}

/// A transport that records requests and answers from a script.
final class FakeTransport: HTTPTransport {
    let requests = Mutex<[ProviderHTTPRequest]>([])
    let answer: @Sendable (ProviderHTTPRequest) throws -> ProviderHTTPResponse

    init(answer: @escaping @Sendable (ProviderHTTPRequest) throws -> ProviderHTTPResponse) {
        self.answer = answer
    }

    func send(_ request: ProviderHTTPRequest, timeout: Duration, maxResponseBytes: Int, bodyTimeout: Duration) async throws -> ProviderHTTPResponse {
        requests.withLock { $0.append(request) }
        return try answer(request)
    }

    var last: ProviderHTTPRequest? { requests.withLock { $0.last } }
}

/// A log handler that keeps every line (message and metadata) for leak checks.
struct RecordingLogHandler: LogHandler {
    let sink: LogSink
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { _, new in new }
        sink.append("\(event.level) \(event.message) \(all)")
    }
}

final class LogSink: Sendable {
    private let storage = Mutex<[String]>([])
    func append(_ line: String) { storage.withLock { $0.append(line) } }
    var text: String { storage.withLock { $0.joined(separator: "\n") } }
    var count: Int { storage.withLock { $0.count } }
}
