import Completions
import Foundation
import Logging
import NIOHTTP1
import Synchronization
import Testing

@testable import Providers

/// Anthropic's Message Batches API through the `anthropic` adapter, on a scripted transport:
/// the calls it makes, the batch object and results it reads, and the bounds on what it takes.
@Suite struct AnthropicBatchTests {
    static let key = "sk-batch-DO-NOT-LEAK-4e1d"

    static func batchBody(status: String, resultsURL: String? = nil, succeeded: Int = 0, processing: Int = 0) -> String {
        let url = resultsURL.map { "\"\($0)\"" } ?? "null"
        return
            #"{"id":"msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d","type":"message_batch","processing_status":"\#(status)","request_counts":{"processing":\#(processing),"succeeded":\#(succeeded),"errored":0,"canceled":0,"expired":0},"ended_at":null,"created_at":"2026-11-30T10:00:00Z","expires_at":"2026-12-01T10:00:00Z","cancel_initiated_at":null,"results_url":\#(url)}"#
    }

    private func provider(_ transport: FakeTransport) throws -> any BatchCompletionProvider {
        let made = try ProviderFactory.make(
            name: "claude", settings: .init(type: "anthropic", apiKeyEnv: "KEY"), environment: ["KEY": Self.key], transport: transport,
            logger: Logger(label: "test"))
        return try #require(made as? any BatchCompletionProvider)
    }

    @Test("submit posts every request under its custom_id with the realtime Messages body as params, and reads the batch back")
    func submit() async throws {
        let transport = FakeTransport { _ in ProviderHTTPResponse(status: 200, body: Data(Self.batchBody(status: "in_progress", processing: 2).utf8))
        }
        var cached = Fixtures.request
        cached.cacheSystemPrompt = true
        let batch = try await provider(transport).submitBatch(
            [BatchRequest(customID: "j-0", request: Fixtures.request), BatchRequest(customID: "j-1", request: cached)], model: "claude-sonnet-4-5",
            timeout: .seconds(5))
        #expect(batch.id == "msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d")
        #expect(batch.phase == .inProgress && batch.counts.processing == 2 && batch.results == nil)
        #expect(batch.expiresAt == Date(timeIntervalSince1970: 1_796_119_200))

        let sent = try #require(transport.last)
        #expect(sent.method == .POST && sent.url == "https://api.anthropic.com/v1/messages/batches")
        #expect(sent.headers.first(name: "x-api-key") == Self.key && sent.headers.first(name: "anthropic-version") == "2023-06-01")
        let body = try jsonValue(sent.body)
        let requests = try #require(body["requests"]?.arrayValue)
        #expect(requests.map { $0["custom_id"] } == ["j-0", "j-1"])
        let realtime = try jsonValue(AnthropicCodec(baseURL: "https://api.anthropic.com").encode(Fixtures.request, model: "claude-sonnet-4-5").body)
        #expect(requests[0]["params"] == realtime, "the same body as a realtime call")
        #expect(requests[1]["params"]?["system"]?.arrayValue?.first?["cache_control"] == .object(["type": "ephemeral"]))
    }

    @Test("retrieve, cancel and results use the documented paths; the results_url is read with the same key")
    func pollCancelAndResults() async throws {
        let lines = [
            #"{"custom_id":"j-0","result":{"type":"succeeded","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"Summary one."}],"stop_reason":"end_turn","usage":{"input_tokens":40,"output_tokens":9,"cache_read_input_tokens":1500}}}}"#,
            #"{"custom_id":"j-1","result":{"type":"errored","error":{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}}}"#,
            #"{"custom_id":"j-2","result":{"type":"errored","error":{"type":"invalid_request_error","message":"max_tokens: too large"}}}"#,
            #"{"custom_id":"j-3","result":{"type":"canceled"}}"#,
            #"{"custom_id":"j-4","result":{"type":"expired"}}"#,
            #"{"custom_id":"j-5","result":{"type":"mystery"}}"#,
            "not json",
        ]
        let results = "https://api.anthropic.com/v1/messages/batches/msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d/results"
        let transport = FakeTransport { request in
            if request.url == results { return ProviderHTTPResponse(status: 200, body: Data(lines.joined(separator: "\n").utf8)) }
            return ProviderHTTPResponse(status: 200, body: Data(Self.batchBody(status: "ended", resultsURL: results, succeeded: 1).utf8))
        }
        let provider = try provider(transport)
        let batch = try await provider.batch("msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d", timeout: .seconds(5))
        #expect(
            transport.last?.method == .GET && transport.last?.url == "https://api.anthropic.com/v1/messages/batches/msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d"
        )
        #expect(batch.phase == .ended && batch.results == results)
        _ = try await provider.cancelBatch(batch.id, timeout: .seconds(5))
        #expect(transport.last?.method == .POST && transport.last?.url.hasSuffix("/msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d/cancel") == true)

        let read = try await provider.batchResults(of: batch, timeout: .seconds(5))
        #expect(transport.last?.headers.first(name: "x-api-key") == Self.key)
        #expect(read.map(\.customID) == ["j-0", "j-1", "j-2", "j-3", "j-4"], "unknown result types and unreadable lines are skipped")
        guard case .succeeded(let answer) = read[0].outcome else {
            Issue.record("j-0 did not succeed")
            return
        }
        #expect(answer.text == "Summary one.")
        #expect(answer.usage == .init(inputTokens: 1_540, outputTokens: 9, cacheReadTokens: 1_500))
        guard case .errored(let overloaded) = read[1].outcome, case .errored(let invalid) = read[2].outcome else {
            Issue.record("j-1 and j-2 did not error")
            return
        }
        #expect(overloaded.outcome == .overloaded && overloaded.providerErrorType == "overloaded_error")
        #expect(invalid.outcome == .clientError, "the flat error shape is read too")
        #expect(read[3].outcome == .canceled && read[4].outcome == .expired)
    }

    @Test("a batch id or results URL of the wrong shape is refused before any request; custom ids and sizes are bounded")
    func bounds() async throws {
        let transport = FakeTransport { _ in ProviderHTTPResponse(status: 200, body: Data(Self.batchBody(status: "in_progress").utf8)) }
        let provider = try provider(transport)
        for id in ["../v1/files", "a b", "", String(repeating: "x", count: 300)] {
            await #expect(throws: ProviderFailure.self) { _ = try await provider.batch(id, timeout: .seconds(5)) }
        }
        // A results_url off the API's own origin would carry the key elsewhere: refused.
        for url in [
            "file:///etc/passwd", "https://attacker.example/v1/messages/batches/msgbatch_1/results",
            "http://api.anthropic.com/v1/messages/batches/msgbatch_1/results", "https://api.anthropic.com:8443/results",
        ] {
            await #expect(throws: ProviderFailure.self, "\(url)") {
                _ = try await provider.batchResults(of: ProviderBatch(id: "msgbatch_1", phase: .ended, results: url), timeout: .seconds(5))
            }
        }
        // Refused before anything is sent: no batch exists, so the jobs may be submitted again.
        await #expect(throws: BatchNotCreated.self) {
            _ = try await provider.submitBatch(
                [BatchRequest(customID: "job/with/slashes", request: Fixtures.request)], model: "m", timeout: .seconds(5))
        }
        await #expect(throws: BatchNotCreated.self) { _ = try await provider.submitBatch([], model: "m", timeout: .seconds(5)) }
        #expect(transport.requests.withLock { $0.isEmpty }, "nothing was sent")
        #expect(BatchLimits.isValidCustomID("job-12_a") && !BatchLimits.isValidCustomID(String(repeating: "a", count: 65)))

        // A request that failed inside the batch keeps no key in what is returned either.
        let echoing = try self.provider(
            FakeTransport { _ in
                ProviderHTTPResponse(
                    status: 200,
                    body: Data(
                        #"{"custom_id":"j-0","result":{"type":"errored","error":{"type":"error","error":{"type":"authentication_error","message":"bad key \#(Self.key)"}}}}"#
                            .utf8))
            })
        let returned = try await echoing.batchResults(
            of: ProviderBatch(id: "msgbatch_1", phase: .ended, results: "https://api.anthropic.com/v1/messages/batches/msgbatch_1/results"),
            timeout: .seconds(5))
        guard case .errored(let echoed) = returned.first?.outcome else {
            Issue.record("not read as errored: \(returned)")
            return
        }
        #expect(echoed.outcome == .authError && !echoed.message.contains(Self.key), "\(echoed.message)")

        // A provider error on a batch call is classified like a realtime one, and keeps no key.
        let failing = try self.provider(
            FakeTransport { _ in
                ProviderHTTPResponse(
                    status: 429, body: Data(#"{"type":"error","error":{"type":"rate_limit_error","message":"slow down \#(Self.key)"}}"#.utf8))
            })
        do {
            _ = try await failing.batch("msgbatch_1", timeout: .seconds(5))
            Issue.record("a 429 was accepted")
        } catch let failure as ProviderFailure {
            #expect(failure.outcome == .rateLimited)
            #expect(!failure.message.contains(Self.key))
        }
    }
}
