import Completions
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Providers

/// OpenAI's Files and Batch APIs (and Azure OpenAI's global batch paths): a multipart upload,
/// batches over uploaded JSONL files, their status, cancel, and output and error files. Batches
/// run as ``SimulatedBatches`` says; a refused create comes back as a batch with status `failed`.
extension ProviderSimulator {
    func registerOpenAIBatchRoutes(on router: Router<SimulatorRequestContext>) {
        for root in ["/v1", "/openai", "/openai/v1"] {
            router.post("\(root)/files") { [self] request, context in
                if batches.dropsUpload() {
                    context.channel.close(promise: nil)
                    throw UploadDropped()
                }
                return try await upload(request)
            }
            router.post("\(root)/batches") { [self] request, _ in try await createOpenAIBatch(request, root: root) }
            router.get("\(root)/batches") { [self] request, _ in listOpenAIBatches(request.uri.queryParameters) }
            router.get("\(root)/batches/:id") { [self] _, context in
                openAIBatchResponse(batches.snapshot(context.parameters.get("id") ?? "", now: Date()), failed: nil)
            }
            router.post("\(root)/batches/:id/cancel") { [self] _, context in
                openAIBatchResponse(batches.cancel(context.parameters.get("id") ?? "", now: Date()), failed: nil)
            }
            router.get("\(root)/files/:id/content") { [self] _, context in fileContent(context.parameters.get("id") ?? "") }
            router.get("\(root)/files/:id") { [self] _, context in fileObject(context.parameters.get("id") ?? "") }
            router.delete("\(root)/files/:id") { [self] _, context in deleteFile(context.parameters.get("id") ?? "") }
        }
    }

    private func upload(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: Self.maxBatchBytes)
        let contentType = request.headers[.contentType] ?? ""
        guard let file = Self.multipartFile(Data(body.readableBytesView), contentType: contentType) else {
            return Self.response(SimulatorWire.openai.badRequest("file: expected a multipart upload with a file part", serial: 0))
        }
        let id = batches.store(file: file, now: Date())
        return fileObject(id)
    }

    /// `GET .../files/{id}`: the file object, with its status (`pending` until processed).
    private func fileObject(_ id: String) -> Response {
        guard let file = batches.file(id), let status = batches.fileStatus(id, now: Date()) else {
            return Self.response(SimulatorWire.openai.error(status: 404, retryAfterSeconds: nil, message: "No such File object", serial: 0))
        }
        return Self.json(
            JSONValue.object([
                "id": .string(id), "object": .string("file"), "bytes": .number(Double(file.count)), "purpose": .string("batch"),
                "filename": .string("batch.jsonl"), "created_at": .number(Date().timeIntervalSince1970.rounded(.down)),
                "status": .string(status.status), "status_details": status.details.map(JSONValue.string) ?? .null,
            ]))
    }

    /// `DELETE .../files/{id}`: the deletion object, or 404 for no such file.
    private func deleteFile(_ id: String) -> Response {
        guard batches.deleteFile(id) else {
            return Self.response(SimulatorWire.openai.error(status: 404, retryAfterSeconds: nil, message: "No such File object", serial: 0))
        }
        return Self.json(JSONValue.object(["id": .string(id), "object": .string("file"), "deleted": .bool(true)]))
    }

    private func createOpenAIBatch(_ request: Request, root: String) async throws -> Response {
        let body = try await request.body.collect(upTo: 1 << 20)
        guard let json = try? JSONParser.parse(Data(body.readableBytesView)), let fileID = json["input_file_id"]?.stringValue,
            let file = batches.file(fileID), json["completion_window"]?.stringValue == "24h"
        else {
            return Self.response(SimulatorWire.openai.badRequest("input_file_id: no such file, or completion_window is not 24h", serial: 0))
        }
        guard batches.fileStatus(fileID, now: Date())?.status == "processed" else {
            return Self.response(
                SimulatorWire.openai.badRequest("input_file_id: the file is not processed; only processed files can be batched", serial: 0))
        }
        var items: [SimulatedBatches.Item] = []
        var seen = Set<String>()
        for line in file.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            guard let entry = try? JSONParser.parse(Data(line)), let customID = entry["custom_id"]?.stringValue,
                BatchLimits.isValidCustomID(customID), seen.insert(customID).inserted, let lineBody = entry["body"],
                let bytes = try? lineBody.jsonDocument(), let parsed = try? SimulatorWire.openai.parse(Data(bytes), pathModel: nil)
            else {
                return openAIBatchResponse(nil, failed: "line \(items.count + 1) of the input file is not a valid request")
            }
            items.append(SimulatedBatches.Item(customID: customID, model: parsed.model, request: parsed.request, cachePrefix: parsed.cachePrefix))
        }
        guard (1...100_000).contains(items.count) else { return openAIBatchResponse(nil, failed: "the input file holds no request") }
        let (snapshot, refused) = batches.create(items, now: Date(), idPrefix: "batch_sim_", inputFile: fileID)
        if let refused { return openAIBatchResponse(nil, failed: "the batch was refused (HTTP \(refused) scripted)") }
        return openAIBatchResponse(snapshot, failed: nil)
    }

    /// `GET /v1/batches?limit=&after=`: newest first, as a list object with `has_more`.
    private func listOpenAIBatches(_ query: Hummingbird.Parameters) -> Response {
        let limit = query.get("limit", as: Int.self) ?? 20
        guard (1...100).contains(limit) else {
            return Self.response(SimulatorWire.openai.badRequest("limit: an integer from 1 to 100", serial: 0))
        }
        let (page, hasMore) = batches.list(limit: limit, after: query.get("after"), before: nil, now: Date())
        return Self.listPage(page.map(openAIBatchObject), ids: page.map(\.id), hasMore: hasMore, object: "list")
    }

    private func openAIBatchResponse(_ snapshot: SimulatedBatches.Snapshot?, failed: String?) -> Response {
        if let failed {
            return Self.json(
                JSONValue.object([
                    "id": .string("batch_sim_failed"), "object": .string("batch"), "status": .string("failed"),
                    "errors": .object([
                        "object": .string("list"), "data": .array([.object(["code": .string("invalid_request"), "message": .string(failed)])]),
                    ]),
                    "request_counts": .object(["total": .number(0), "completed": .number(0), "failed": .number(0)]),
                    "output_file_id": .null, "error_file_id": .null,
                ]))
        }
        guard let snapshot else {
            return Self.response(SimulatorWire.openai.error(status: 404, retryAfterSeconds: nil, message: "No batch found", serial: 0))
        }
        return Self.json(openAIBatchObject(snapshot))
    }

    /// The batch object of `snapshot`.
    private func openAIBatchObject(_ snapshot: SimulatedBatches.Snapshot) -> JSONValue {
        let counts = snapshot.counts
        let total = counts.processing + counts.succeeded + counts.errored + counts.canceled + counts.expired
        let status =
            snapshot.canceling
            ? "cancelling"
            : !snapshot.ended
                ? "in_progress"
                : snapshot.failed ? "failed" : counts.canceled > 0 ? "cancelled" : counts.expired > 0 ? "expired" : "completed"
        // A batch that failed as a whole has no files to read.
        let ended = snapshot.ended && !snapshot.canceling && !snapshot.failed
        var object: [String: JSONValue] = [
            "id": .string(snapshot.id), "object": .string("batch"), "endpoint": .string("/v1/chat/completions"),
            "completion_window": .string("24h"), "status": .string(status),
            "request_counts": .object([
                "total": .number(Double(total)), "completed": .number(Double(counts.succeeded)), "failed": .number(Double(counts.errored)),
            ]),
            "input_file_id": snapshot.inputFile.map(JSONValue.string) ?? .null,
            "output_file_id": ended && counts.succeeded > 0 ? .string("\(snapshot.id)-output") : .null,
            "error_file_id": ended && counts.succeeded < total ? .string("\(snapshot.id)-errors") : .null,
            "created_at": .number(snapshot.createdAt.timeIntervalSince1970.rounded(.down)),
            "expires_at": .number(snapshot.createdAt.timeIntervalSince1970.rounded(.down) + 86_400),
        ]
        if snapshot.failed {
            object["errors"] = .object([
                "object": .string("list"),
                "data": .array([.object(["code": .string("server_error"), "message": .string("The batch failed (scripted).")])]),
            ])
        }
        return JSONValue.object(object)
    }

    /// An uploaded file as stored, or a batch's output (`…-output`) or error (`…-errors`) file.
    private func fileContent(_ id: String) -> Response {
        if let file = batches.file(id) { return Self.jsonl(file) }
        for (suffix, wantsSuccess) in [("-output", true), ("-errors", false)] where id.hasSuffix(suffix) {
            let batchID = String(id.dropLast(suffix.count))
            guard !batches.hasDeleted(id, of: batchID), let outcomes = batches.outcomes(batchID, now: Date()) else { break }
            var lines: [Data] = []
            for (index, (item, outcome)) in outcomes.enumerated() where (outcome == "succeeded") == wantsSuccess {
                var line: [String: JSONValue] = ["id": .string("batch_req_sim_\(index)"), "custom_id": .string(item.customID)]
                switch outcome {
                case "succeeded":
                    var answer = summaries.answer(for: item.request)
                    answer.usage = promptCache.usage(answer.usage, prefix: item.cachePrefix)
                    let parsed = SimulatorWire.Parsed(model: item.model, request: item.request, cachePrefix: item.cachePrefix)
                    let reply = SimulatorWire.openai.success(parsed, answer: answer, serial: index)
                    line["response"] = .object([
                        "status_code": .number(200), "request_id": .string("req_sim_\(index)"),
                        "body": (try? JSONParser.parse(Data(reply.body.readableBytesView))) ?? .null,
                    ])
                    line["error"] = .null
                case "errored":
                    let reply = SimulatorWire.openai.error(status: 500, retryAfterSeconds: nil, serial: index)
                    line["response"] = .object([
                        "status_code": .number(500), "request_id": .string("req_sim_\(index)"),
                        "body": (try? JSONParser.parse(Data(reply.body.readableBytesView))) ?? .null,
                    ])
                    line["error"] = .null
                default:
                    line["response"] = .null
                    line["error"] = .object([
                        "code": .string(outcome == "expired" ? "batch_expired" : "batch_cancelled"),
                        "message": .string("This request could not be executed before the batch ended."),
                    ])
                }
                if let bytes = try? JSONValue.object(line).jsonDocument() { lines.append(Data(bytes)) }
            }
            return Self.jsonl(lines, cutAfter: batches.resultsCut(file: id, of: batchID, lines: lines.count))
        }
        return Self.response(SimulatorWire.openai.error(status: 404, retryAfterSeconds: nil, message: "No such File object", serial: 0))
    }

    static func jsonl(_ data: Data) -> Response {
        Response(status: .ok, headers: [.contentType: "application/x-jsonl"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A results file of `lines`, written a few lines at a time as a provider streams a large
    /// file; with `cutAfter`, the body stops after that many lines and the connection is reset.
    static func jsonl(_ lines: [Data], cutAfter: Int?) -> Response {
        let body = ResponseBody { writer in
            var sent = 0
            for start in stride(from: 0, to: lines.count, by: 16) {
                var buffer = ByteBuffer()
                for line in lines[start..<min(start + 16, lines.count)] {
                    if let cutAfter, sent >= cutAfter {
                        try await writer.write(buffer)
                        // The channel's writes are asynchronous: give them time to leave before
                        // the reset, or the close could drop them unsent (100 ms was too little
                        // on a loaded two-core machine).
                        try await Task.sleep(for: .seconds(1))
                        throw ResultsCut()
                    }
                    buffer.writeBytes(line)
                    buffer.writeInteger(UInt8(ascii: "\n"))
                    sent += 1
                }
                try await writer.write(buffer)
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/x-jsonl"], body: body)
    }

    /// The error that ends an upload with no answer (``BatchScript/dropUploads``).
    private struct UploadDropped: Error {}

    /// The error that resets a results read part-way (``BatchScript/cutResultsAfterLines``).
    private struct ResultsCut: Error {}

    /// The `file` part of a multipart/form-data body, or `nil`.
    static func multipartFile(_ body: Data, contentType: String) -> Data? {
        guard let range = contentType.range(of: "boundary=") else { return nil }
        var boundary = String(contentType[range.upperBound...])
        if boundary.hasPrefix("\""), let end = boundary.dropFirst().firstIndex(of: "\"") {
            boundary = String(boundary[boundary.index(after: boundary.startIndex)..<end])
        }
        let delimiter = Data("--\(boundary)".utf8)
        var parts: [Data] = []
        var cursor = body.startIndex
        while let found = body.range(of: delimiter, in: cursor..<body.endIndex) {
            if cursor != body.startIndex { parts.append(body[cursor..<found.lowerBound]) }
            cursor = found.upperBound
        }
        for part in parts {
            guard let headerEnd = part.range(of: Data("\r\n\r\n".utf8)) else { continue }
            let headers = String(decoding: part[part.startIndex..<headerEnd.lowerBound], as: UTF8.self)
            guard headers.contains("name=\"file\"") else { continue }
            var content = part[headerEnd.upperBound..<part.endIndex]
            if content.suffix(2) == Data("\r\n".utf8) { content = content.dropLast(2) }
            return Data(content)
        }
        return nil
    }
}
