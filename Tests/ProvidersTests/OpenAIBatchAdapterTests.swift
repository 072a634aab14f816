import Completions
import Foundation
import Logging
import Synchronization
import Testing

@testable import Providers

/// The `openai` adapter's batch submission on a scripted transport: which failures leave no
/// batch behind (the upload and the file wait, before the create) and which leave one in doubt
/// (a create with no answer).
@Suite struct OpenAIBatchAdapterTests {
    static let key = "sk-openai-batch-DO-NOT-LEAK-77"

    private func provider(_ transport: FakeTransport) throws -> any BatchCompletionProvider {
        let made = try ProviderFactory.make(
            name: "gpt", settings: .init(type: "openai", apiKeyEnv: "KEY"), environment: ["KEY": Self.key], transport: transport,
            logger: Logger(label: "test"))
        return try #require(made as? any BatchCompletionProvider)
    }

    private let requests = [BatchRequest(customID: "j-0", request: Fixtures.request)]
    private static let file = ProviderHTTPResponse(status: 200, body: Data(#"{"id":"file-1","object":"file","status":"processed"}"#.utf8))

    @Test("an upload with no answer creates no batch: the failure says so, and no create is sent")
    func uploadWithoutAnswer() async throws {
        let transport = FakeTransport { _ in throw ProviderFailure(outcome: .timeout, message: "no answer within 5 s") }
        do {
            _ = try await provider(transport).submitBatch(requests, model: "gpt-4o", timeout: .seconds(5))
            Issue.record("a batch was submitted")
        } catch let notCreated as BatchNotCreated {
            #expect(notCreated.failure.outcome == .timeout && notCreated.failure.httpStatus == nil)
        }
        #expect(transport.requests.withLock { $0.map(\.url) } == ["https://api.openai.com/v1/files"])
    }

    @Test("a create with no answer leaves the batch in doubt: a failure without a status, not BatchNotCreated")
    func createWithoutAnswer() async throws {
        let transport = FakeTransport { request in
            guard request.url.hasSuffix("/batches") else { return Self.file }
            throw ProviderFailure(outcome: .connection, message: "connection reset")
        }
        do {
            _ = try await provider(transport).submitBatch(requests, model: "gpt-4o", timeout: .seconds(5))
            Issue.record("a batch was submitted")
        } catch let failure as ProviderFailure {
            #expect(failure.outcome == .connection && failure.httpStatus == nil)
        }
        #expect(transport.requests.withLock { $0.count } == 2)
    }

    @Test("a create the provider answered with an error leaves no batch: the uploaded file is deleted and the failure keeps its status")
    func refusedCreateDeletesTheFile() async throws {
        let transport = FakeTransport { request in
            if "\(request.method)" == "DELETE" { return ProviderHTTPResponse(status: 200, body: Data(#"{"deleted":true}"#.utf8)) }
            guard request.url.hasSuffix("/batches") else { return Self.file }
            return ProviderHTTPResponse(status: 429, body: Data(#"{"error":{"message":"too many batches"}}"#.utf8))
        }
        do {
            _ = try await provider(transport).submitBatch(requests, model: "gpt-4o", timeout: .seconds(5))
            Issue.record("a batch was submitted")
        } catch let failure as ProviderFailure {
            #expect(failure.httpStatus == 429)
        }
        #expect(transport.requests.withLock { $0.last.map { "\($0.method) \($0.url)" } } == "DELETE https://api.openai.com/v1/files/file-1")

        // A success answer that cannot be read is a batch created: its file stays.
        let unreadable = FakeTransport { request in
            guard request.url.hasSuffix("/batches") else { return Self.file }
            return ProviderHTTPResponse(status: 200, body: Data("not json".utf8))
        }
        do {
            _ = try await provider(unreadable).submitBatch(requests, model: "gpt-4o", timeout: .seconds(5))
            Issue.record("an unreadable answer was a batch")
        } catch let failure as ProviderFailure {
            #expect(failure.httpStatus == 200)
        }
        #expect(unreadable.requests.withLock { $0.count { "\($0.method)" == "DELETE" } } == 0)
    }

    @Test("a batch still cancelling is not finished: nothing is deleted yet")
    func cancellingBatchKeepsItsFiles() async throws {
        let transport = FakeTransport { _ in
            ProviderHTTPResponse(
                status: 200,
                body: Data(
                    #"{"id":"batch_1","object":"batch","status":"cancelling","request_counts":{"total":2,"completed":0,"failed":0},"input_file_id":"file-in","output_file_id":null,"error_file_id":null}"#
                        .utf8))
        }
        #expect(try await provider(transport).discardFiles(of: "batch_1", timeout: .seconds(5)) == nil)
        #expect(transport.requests.withLock { $0.count { "\($0.method)" == "DELETE" } } == 0)
    }

    @Test("a discard deletes the input, output and error files the batch names; a batch the provider forgot has none")
    func discardFiles() async throws {
        let batch =
            #"{"id":"batch_1","object":"batch","status":"completed","request_counts":{"total":2,"completed":1,"failed":1},"input_file_id":"file-in","output_file_id":"file-out","error_file_id":"file-err"}"#
        let transport = FakeTransport { request in
            if "\(request.method)" == "DELETE" {
                return request.url.hasSuffix("file-err")
                    ? ProviderHTTPResponse(status: 404, body: Data(#"{"error":{"message":"No such File object"}}"#.utf8))
                    : ProviderHTTPResponse(status: 200, body: Data(#"{"deleted":true}"#.utf8))
            }
            return ProviderHTTPResponse(status: 200, body: Data(batch.utf8))
        }
        #expect(try await provider(transport).discardFiles(of: "batch_1", timeout: .seconds(5)) == 2, "the error file was already gone")
        let deletes = transport.requests.withLock { $0.filter { "\($0.method)" == "DELETE" }.map(\.url) }
        #expect(Set(deletes) == Set(["file-in", "file-out", "file-err"].map { "https://api.openai.com/v1/files/\($0)" }))

        let forgot = FakeTransport { _ in ProviderHTTPResponse(status: 404, body: Data(#"{"error":{"message":"No batch found"}}"#.utf8)) }
        #expect(try await provider(forgot).discardFiles(of: "batch_1", timeout: .seconds(5)) == 0)

        let failing = FakeTransport { request in
            "\(request.method)" == "DELETE"
                ? ProviderHTTPResponse(status: 500, body: Data(#"{"error":{"message":"busy"}}"#.utf8))
                : ProviderHTTPResponse(status: 200, body: Data(batch.utf8))
        }
        await #expect(throws: ProviderFailure.self) { _ = try await provider(failing).discardFiles(of: "batch_1", timeout: .seconds(5)) }
        #expect(failing.requests.withLock { $0.count { "\($0.method)" == "DELETE" } } == 3, "every file is tried")
    }
}
