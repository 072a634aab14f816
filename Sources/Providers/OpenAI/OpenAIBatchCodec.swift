import Completions
import Foundation
import NIOHTTP1

/// OpenAI's Batch API on the wire, and Azure OpenAI's global batch: a JSONL input file uploaded
/// through the Files API (`purpose=batch`), a batch over it (`completion_window: 24h`), its
/// status, its cancel, and its output and error files.
///
/// Each line's `body` is exactly the Chat Completions body the realtime adapter sends, with the
/// model (on Azure, the global-batch deployment) always named in it. Guarantees: ids from the
/// provider are used in a URL only when they have the documented shape (`A-Z a-z 0-9 _ -`); a
/// line that cannot be read is skipped and counted, never trapped on.
package struct OpenAIBatchCodec: Sendable {
    package var chat: OpenAICodec
    /// The multipart boundary of uploads (fixed, and never in a JSONL line: it holds a space).
    static let boundary = "understudy batch upload boundary 7d41"

    package init(chat: OpenAICodec) {
        self.chat = chat
    }

    /// The API root, the query (Azure's `api-version`), and the `url` a line names.
    private var layout: (root: String, query: String, lineURL: String) {
        switch chat.endpoint {
        case .openAI(let baseURL): (WireJSON.join(baseURL, "/v1"), "", "/v1/chat/completions")
        case .azureDeployments(let baseURL, let apiVersion):
            (
                WireJSON.join(baseURL, "/openai"),
                "?api-version=" + (apiVersion.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? apiVersion),
                "/chat/completions"
            )
        case .azureV1(let baseURL): (WireJSON.join(baseURL, "/openai/v1"), "", "/chat/completions")
        }
    }

    private var jsonHeaders: HTTPHeaders { ["content-type": "application/json", "accept": "application/json"] }

    /// The input file: one `{"custom_id", "method", "url", "body"}` line per request.
    package func inputFile(_ requests: [BatchRequest], model: String) throws(ProviderFailure) -> Data {
        var file = Data()
        for item in requests {
            guard BatchLimits.isValidCustomID(item.customID) else {
                throw ProviderFailure(outcome: .clientError, message: "batch custom_id must be 1 to 64 of A-Z a-z 0-9 _ -", isRouteSpecific: true)
            }
            var body = chat.body(for: item.request, model: model)
            body.model = model
            var writer = JSONWriter(capacity: 1_024)
            writer.beginObject()
            writer.member("custom_id", item.customID)
            writer.member("method", "POST")
            writer.member("url", layout.lineURL)
            writer.key("body")
            writer.value(body)
            writer.endObject()
            guard !writer.wroteNonFiniteNumber else {
                throw ProviderFailure(outcome: .clientError, message: "batch could not be encoded: \(NonFiniteNumberError())", isRouteSpecific: true)
            }
            file.append(contentsOf: writer.bytes)
            file.append(UInt8(ascii: "\n"))
        }
        return file
    }

    /// `POST .../files` (multipart: `purpose=batch` and the file).
    package func upload(_ file: Data) -> ProviderHTTPRequest {
        var body = Data()
        func text(_ string: String) { body.append(contentsOf: Array(string.utf8)) }
        text("--\(Self.boundary)\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n")
        text("--\(Self.boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"batch.jsonl\"\r\n")
        text("Content-Type: application/jsonl\r\n\r\n")
        body.append(file)
        text("\r\n--\(Self.boundary)--\r\n")
        return ProviderHTTPRequest(
            method: .POST, url: layout.root + "/files" + layout.query,
            headers: ["content-type": "multipart/form-data; boundary=\"\(Self.boundary)\"", "accept": "application/json"], body: body)
    }

    /// An uploaded file, as an upload or a `GET .../files/{id}` answers.
    package struct UploadedFile: Sendable, Equatable {
        /// Whether a batch can be created over it.
        package enum State: Sendable, Equatable {
            /// `processed`, or a provider that does not say (OpenAI takes a batch at once).
            case ready
            /// `pending` or `running`: Azure OpenAI refuses a batch over it until it is processed.
            case pending
            /// `error`: the provider refused the file (its words, if any).
            case failed(String?)
        }

        package var id: String
        package var state: State
    }

    /// `GET .../files/{id}`: the file object, with its status.
    package func file(_ id: String) throws(ProviderFailure) -> ProviderHTTPRequest {
        ProviderHTTPRequest(
            method: .GET, url: layout.root + "/files/" + (try BatchID.checked(id, provider: chat.providerLabel)) + layout.query,
            headers: jsonHeaders)
    }

    /// The uploaded file of an upload's or a file lookup's answer: its id and whether a batch
    /// can be created over it yet.
    package func decodeFile(_ response: ProviderHTTPResponse, now: Date) throws(ProviderFailure) -> UploadedFile {
        guard (200..<300).contains(response.status) else { throw chat.failure(for: response, now: now) }
        return try WireJSON.readAnswer(from: response.body, status: response.status, provider: "\(chat.providerLabel) file") { json in
            guard let id = json["id"]?.stringValue, BatchLimits.isValidProviderID(id) else { return nil }
            switch json["status"]?.stringValue {
            case "pending", "running": return UploadedFile(id: id, state: .pending)
            case "error": return UploadedFile(id: id, state: .failed(json["status_details"]?.stringValue))
            default: return UploadedFile(id: id, state: .ready)
            }
        }
    }

    /// `POST .../batches` over an uploaded input file.
    package func create(inputFileID: String) throws(ProviderFailure) -> ProviderHTTPRequest {
        var writer = JSONWriter()
        writer.beginObject()
        writer.member("input_file_id", try BatchID.checked(inputFileID, provider: chat.providerLabel))
        writer.member("endpoint", layout.lineURL)
        writer.member("completion_window", "24h")
        writer.endObject()
        return ProviderHTTPRequest(method: .POST, url: layout.root + "/batches" + layout.query, headers: jsonHeaders, body: Data(writer.bytes))
    }

    /// `GET .../batches/{id}`.
    package func retrieve(_ id: String) throws(ProviderFailure) -> ProviderHTTPRequest {
        ProviderHTTPRequest(
            method: .GET, url: layout.root + "/batches/" + (try BatchID.checked(id, provider: chat.providerLabel)) + layout.query,
            headers: jsonHeaders)
    }

    /// `POST .../batches/{id}/cancel`.
    package func cancel(_ id: String) throws(ProviderFailure) -> ProviderHTTPRequest {
        ProviderHTTPRequest(
            method: .POST, url: layout.root + "/batches/" + (try BatchID.checked(id, provider: chat.providerLabel)) + "/cancel" + layout.query,
            headers: jsonHeaders)
    }

    /// `GET .../files/{id}/content`: an output or error file.
    package func download(_ fileID: String) throws(ProviderFailure) -> ProviderHTTPRequest {
        ProviderHTTPRequest(
            method: .GET, url: layout.root + "/files/" + (try BatchID.checked(fileID, provider: chat.providerLabel)) + "/content" + layout.query,
            headers: [:])
    }

    /// `DELETE .../files/{id}`: an uploaded, output or error file.
    package func deleteFile(_ id: String) throws(ProviderFailure) -> ProviderHTTPRequest {
        ProviderHTTPRequest(
            method: .DELETE, url: layout.root + "/files/" + (try BatchID.checked(id, provider: chat.providerLabel)) + layout.query,
            headers: [:])
    }

    /// Whether a delete's answer says the file is gone: `true` when it was deleted now, `false`
    /// when the provider no longer knew it (404).
    package func decodeDeleted(_ response: ProviderHTTPResponse, now: Date) throws(ProviderFailure) -> Bool {
        if response.status == 404 { return false }
        guard (200..<300).contains(response.status) else { throw chat.failure(for: response, now: now) }
        return true
    }

    /// The batch object of a create, retrieve or cancel answer.
    package func decodeBatch(_ response: ProviderHTTPResponse, now: Date) throws(ProviderFailure) -> ProviderBatch {
        guard (200..<300).contains(response.status) else { throw chat.failure(for: response, now: now) }
        return try WireJSON.readAnswer(from: response.body, status: response.status, provider: "\(chat.providerLabel) batch", Self.batch(json:))
    }

    /// One line: `{"custom_id", "response": {"status_code", "body"}, "error": {"code", "message"}}`.
    func result(json: JSONValue, now: Date) -> BatchItemResult? {
        guard let customID = json["custom_id"]?.stringValue else { return nil }
        if let error = json["error"], error != .null {
            let code = error["code"]?.stringValue
            switch code {
            case "batch_expired": return BatchItemResult(customID: customID, outcome: .expired)
            case "batch_cancelled": return BatchItemResult(customID: customID, outcome: .canceled)
            default:
                let message = error["message"]?.stringValue ?? "the request failed inside the batch"
                let outcome: Outcome = code == "request_timeout" ? .timeout : .serverError
                return BatchItemResult(
                    customID: customID,
                    outcome: .errored(ProviderFailure(outcome: outcome, providerErrorType: code, message: message, isRouteSpecific: false)))
            }
        }
        guard let response = json["response"], let status = response["status_code"]?.intValue, (100...599).contains(status),
            let body = response["body"], let bytes = try? body.jsonDocument()
        else { return nil }
        do {
            let answer = try chat.decode(ProviderHTTPResponse(status: status, body: Data(bytes)), now: now)
            return BatchItemResult(customID: customID, outcome: .succeeded(answer))
        } catch {
            return BatchItemResult(customID: customID, outcome: .errored(error))
        }
    }

    /// A batch object, or `nil` when the body does not have its shape.
    static func batch(json: JSONValue) -> ProviderBatch? {
        guard let id = json["id"]?.stringValue, BatchLimits.isValidProviderID(id), let status = json["status"]?.stringValue?.lowercased() else {
            return nil
        }
        let counts = json["request_counts"]
        let total = max(0, counts?["total"]?.intValue ?? 0)
        let completed = max(0, counts?["completed"]?.intValue ?? 0)
        let failed = max(0, counts?["failed"]?.intValue ?? 0)
        let rest = max(0, total - completed - failed)
        let phase: ProviderBatch.Phase
        var tally = ProviderBatch.Counts(processing: rest, succeeded: completed, errored: failed)
        switch status {
        case "validating", "in_progress", "finalizing": phase = .inProgress
        case "cancelling": phase = .canceling
        case "completed": phase = .ended
        case "expired":
            phase = .ended
            tally = .init(succeeded: completed, errored: failed, expired: rest)
        case "cancelled":
            phase = .ended
            tally = .init(succeeded: completed, errored: failed, canceled: rest)
        case "failed": phase = .failed
        default: return nil
        }
        let message = json["errors"]?["data"]?.arrayValue?.first?["message"]?.stringValue
        return ProviderBatch(
            id: id, phase: phase, counts: tally, results: json["output_file_id"]?.stringValue, errors: json["error_file_id"]?.stringValue,
            input: json["input_file_id"]?.stringValue, expiresAt: json["expires_at"]?.intValue.map { Date(timeIntervalSince1970: Double($0)) },
            failureMessage: message.map { ProviderFailure.bounded($0) })
    }
}
