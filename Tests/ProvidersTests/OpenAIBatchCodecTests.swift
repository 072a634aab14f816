import Completions
import Foundation
import Testing

@testable import Providers

/// OpenAI's Batch API and Azure OpenAI's global batch on the wire: paths, the input file, and
/// how each status maps onto a ``ProviderBatch``.
@Suite struct OpenAIBatchCodecTests {
    @Test("paths: /v1 on OpenAI, /openai with api-version on Azure deployments, /openai/v1 on Azure v1; lines name the model")
    func paths() throws {
        let openAI = OpenAIBatchCodec(chat: OpenAICodec(endpoint: .openAI(baseURL: "https://api.openai.com")))
        #expect(openAI.upload(Data()).url == "https://api.openai.com/v1/files")
        #expect(try openAI.create(inputFileID: "file-abc").url == "https://api.openai.com/v1/batches")
        #expect(try openAI.download("file-out").url == "https://api.openai.com/v1/files/file-out/content")
        let azure = OpenAIBatchCodec(
            chat: OpenAICodec(endpoint: .azureDeployments(baseURL: "https://res.openai.azure.com", apiVersion: "2024-10-21")))
        #expect(try azure.retrieve("batch_1").url == "https://res.openai.azure.com/openai/batches/batch_1?api-version=2024-10-21")
        let v1 = OpenAIBatchCodec(chat: OpenAICodec(endpoint: .azureV1(baseURL: "https://res.openai.azure.com")))
        #expect(try v1.cancel("batch_1").url == "https://res.openai.azure.com/openai/v1/batches/batch_1/cancel")

        let file = try azure.inputFile([BatchRequest(customID: "j-1", request: Fixtures.request)], model: "gpt-4o-batch")
        let line = try JSONParser.parse(file.dropLast())
        #expect(line["custom_id"] == "j-1" && line["method"] == "POST" && line["url"] == "/chat/completions")
        #expect(line["body"]?["model"] == "gpt-4o-batch", "Azure names the global-batch deployment in the body")
        #expect(try JSONParser.parse(openAI.create(inputFileID: "file-abc").body)["endpoint"] == "/v1/chat/completions")
        #expect(throws: ProviderFailure.self) { _ = try openAI.retrieve("../files") }
    }

    @Test(
        "an uploaded file: pending or running waits, error is refused with its details, processed or no status is ready; a bad id is no file",
        arguments: [
            (#"{"id":"file-1","status":"pending"}"#, OpenAIBatchCodec.UploadedFile.State?.some(.pending)),
            (#"{"id":"file-1","status":"running"}"#, .pending),
            (#"{"id":"file-1","status":"error","status_details":"line 2 is not JSON"}"#, .failed("line 2 is not JSON")),
            (#"{"id":"file-1","status":"processed"}"#, .ready),
            (#"{"id":"file-1","status":"uploaded"}"#, .ready),
            (#"{"id":"file-1"}"#, .ready),
            (#"{"id":"../batches","status":"processed"}"#, nil),
        ])
    func uploadedFile(_ body: String, _ state: OpenAIBatchCodec.UploadedFile.State?) throws {
        let codec = OpenAIBatchCodec(
            chat: OpenAICodec(endpoint: .azureDeployments(baseURL: "https://res.openai.azure.com", apiVersion: "2024-10-21")))
        #expect(try codec.file("file-1").url == "https://res.openai.azure.com/openai/files/file-1?api-version=2024-10-21")
        let file = try? codec.decodeFile(ProviderHTTPResponse(status: 200, body: Data(body.utf8)), now: Date())
        #expect(file?.state == state)
        if state != nil { #expect(file?.id == "file-1") }
    }

    @Test("a file delete: DELETE on the file's path; 2xx deleted it, 404 means already gone, any other status is a classified failure")
    func deleteFile() throws {
        let codec = OpenAIBatchCodec(
            chat: OpenAICodec(endpoint: .azureDeployments(baseURL: "https://res.openai.azure.com", apiVersion: "2024-10-21")))
        let request = try codec.deleteFile("file-1")
        #expect("\(request.method)" == "DELETE" && request.url == "https://res.openai.azure.com/openai/files/file-1?api-version=2024-10-21")
        #expect(throws: ProviderFailure.self) { _ = try codec.deleteFile("../batches") }
        let deleted = Data(#"{"id":"file-1","object":"file","deleted":true}"#.utf8)
        #expect(try codec.decodeDeleted(ProviderHTTPResponse(status: 200, body: deleted), now: Date()))
        #expect(
            try !codec.decodeDeleted(ProviderHTTPResponse(status: 404, body: Data(#"{"error":{"message":"No such File object"}}"#.utf8)), now: Date())
        )
        do {
            _ = try codec.decodeDeleted(ProviderHTTPResponse(status: 500, body: Data(#"{"error":{"message":"busy"}}"#.utf8)), now: Date())
            Issue.record("a 500 deleted the file")
        } catch {
            #expect(error.outcome == .serverError)
        }
    }

    @Test(
        "statuses: running ones are in progress, completed, expired and cancelled have ended (the rest expired or cancelled), failed keeps its message",
        arguments: [
            ("validating", ProviderBatch.Phase.inProgress, ProviderBatch.Counts(processing: 4, succeeded: 5, errored: 1)),
            ("finalizing", .inProgress, .init(processing: 4, succeeded: 5, errored: 1)),
            ("cancelling", .canceling, .init(processing: 4, succeeded: 5, errored: 1)),
            ("completed", .ended, .init(processing: 4, succeeded: 5, errored: 1)),
            ("expired", .ended, .init(succeeded: 5, errored: 1, expired: 4)),
            ("cancelled", .ended, .init(succeeded: 5, errored: 1, canceled: 4)),
            ("failed", .failed, .init(processing: 4, succeeded: 5, errored: 1)),
        ])
    func statuses(_ status: String, _ phase: ProviderBatch.Phase, _ counts: ProviderBatch.Counts) throws {
        let json = try JSONParser.parse(
            Data(
                #"{"id":"batch_1","object":"batch","status":"\#(status)","request_counts":{"total":10,"completed":5,"failed":1},"input_file_id":"file-i","output_file_id":"file-o","error_file_id":null,"errors":{"data":[{"code":"invalid","message":"line 3 is bad"}]}}"#
                    .utf8))
        let batch = try #require(OpenAIBatchCodec.batch(json: json))
        #expect(batch.phase == phase && batch.counts == counts && batch.results == "file-o" && batch.errors == nil && batch.input == "file-i")
        #expect(batch.failureMessage == "line 3 is bad")
    }
}
