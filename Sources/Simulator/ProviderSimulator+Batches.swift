import Completions
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Providers

/// The Message Batches endpoints: request parsing, the `message_batch` object, the results JSONL.
extension ProviderSimulator {
    /// The most one create body may be: Anthropic's 256 MB.
    static let maxBatchBytes = 256 << 20

    private struct CreateBody: Decodable {
        struct Entry: Decodable {
            var customID: String
            var params: AnthropicWire.Request

            enum CodingKeys: String, CodingKey {
                case customID = "custom_id"
                case params
            }
        }

        var requests: [Entry]
    }

    func registerBatchRoutes(on router: Router<SimulatorRequestContext>) {
        for prefix in ["", "/anthropic"] {
            router.post("\(prefix)/v1/messages/batches") { [self] request, _ in try await createBatch(request) }
            router.get("\(prefix)/v1/messages/batches") { [self] request, _ in listBatches(request.uri.queryParameters) }
            router.get("\(prefix)/v1/messages/batches/:id") { [self] _, context in
                batchResponse(batches.snapshot(context.parameters.get("id") ?? "", now: Date()))
            }
            router.post("\(prefix)/v1/messages/batches/:id/cancel") { [self] _, context in
                batchResponse(batches.cancel(context.parameters.get("id") ?? "", now: Date()))
            }
            router.get("\(prefix)/v1/messages/batches/:id/results") { [self] _, context in
                batchResults(context.parameters.get("id") ?? "")
            }
        }
        registerOpenAIBatchRoutes(on: router)
        router.put("/_sim/batches") { [self] request, _ in
            let body = try await request.body.collect(upTo: 1 << 20)
            do {
                let script = try JSONDecoder().decode(BatchScript.self, from: Data(body.readableBytesView))
                batches.script = script
                return Self.json(script)
            } catch {
                return Self.controlError("not a batch script: \(error)")
            }
        }
    }

    /// What its batch APIs took so far (both providers' shapes).
    package var batchTally: BatchTally { batches.tally }

    /// Sets how the next batches behave (the same as `PUT /_sim/batches`).
    package func setBatchScript(_ script: BatchScript) {
        batches.script = script
    }

    private func createBatch(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: Self.maxBatchBytes)
        guard let create = try? JSONDecoder().decode(CreateBody.self, from: Data(body.readableBytesView)) else {
            return Self.response(SimulatorWire.anthropic.badRequest("requests: not a list of {custom_id, params}", serial: 0))
        }
        guard (1...100_000).contains(create.requests.count) else {
            return Self.response(SimulatorWire.anthropic.badRequest("requests: 1 to 100000 items", serial: 0))
        }
        var seen = Set<String>()
        for entry in create.requests where !BatchLimits.isValidCustomID(entry.customID) || !seen.insert(entry.customID).inserted {
            return Self.response(SimulatorWire.anthropic.badRequest("custom_id \(entry.customID.prefix(80)) is malformed or repeated", serial: 0))
        }
        let items = create.requests.map { entry in
            let parsed = SimulatorWire.parsed(anthropic: entry.params)
            return SimulatedBatches.Item(customID: entry.customID, model: parsed.model, request: parsed.request, cachePrefix: parsed.cachePrefix)
        }
        let (snapshot, refused) = batches.create(items, now: Date())
        if let refused {
            return Self.response(SimulatorWire.anthropic.error(status: refused, retryAfterSeconds: nil, serial: 0))
        }
        return batchResponse(snapshot)
    }

    /// `GET /v1/messages/batches?limit=&after_id=&before_id=`: newest first, with `has_more`,
    /// `first_id` and `last_id`.
    private func listBatches(_ query: Hummingbird.Parameters) -> Response {
        let limit = query.get("limit", as: Int.self) ?? 20
        guard (1...1_000).contains(limit) else {
            return Self.response(SimulatorWire.anthropic.badRequest("limit: an integer from 1 to 1000", serial: 0))
        }
        let (page, hasMore) = batches.list(limit: limit, after: query.get("after_id"), before: query.get("before_id"), now: Date())
        return Self.listPage(page.map(batchObject), ids: page.map(\.id), hasMore: hasMore)
    }

    /// A page of a list endpoint: `data`, `has_more`, `first_id` and `last_id` (and, for
    /// OpenAI's, `object: "list"`).
    static func listPage(_ objects: [JSONValue], ids: [String], hasMore: Bool, object: String? = nil) -> Response {
        var page: [String: JSONValue] = ["data": .array(objects), "has_more": .bool(hasMore)]
        page["first_id"] = ids.first.map(JSONValue.string) ?? .null
        page["last_id"] = ids.last.map(JSONValue.string) ?? .null
        if let object { page["object"] = .string(object) }
        return json(JSONValue.object(page))
    }

    private func batchResponse(_ snapshot: SimulatedBatches.Snapshot?) -> Response {
        guard let snapshot else {
            return Self.response(SimulatorWire.anthropic.error(status: 404, retryAfterSeconds: nil, message: "batch not found", serial: 0))
        }
        return Self.json(batchObject(snapshot))
    }

    /// The `message_batch` object of `snapshot`.
    private func batchObject(_ snapshot: SimulatedBatches.Snapshot) -> JSONValue {
        var object: [String: JSONValue] = [
            "id": .string(snapshot.id), "type": .string("message_batch"),
            "processing_status": .string(snapshot.canceling ? "canceling" : snapshot.ended ? "ended" : "in_progress"),
            "request_counts": .object([
                "processing": .number(Double(snapshot.counts.processing)), "succeeded": .number(Double(snapshot.counts.succeeded)),
                "errored": .number(Double(snapshot.counts.errored)), "canceled": .number(Double(snapshot.counts.canceled)),
                "expired": .number(Double(snapshot.counts.expired)),
            ]),
            "created_at": .string(Self.rfc3339(snapshot.createdAt)),
            "expires_at": .string(Self.rfc3339(snapshot.createdAt.addingTimeInterval(86_400))),
            "results_url": .null,
        ]
        if snapshot.ended, !snapshot.canceling, let port = boundPort {
            object["results_url"] = .string("http://\(configuration.host):\(port)/v1/messages/batches/\(snapshot.id)/results")
        }
        return JSONValue.object(object)
    }

    private func batchResults(_ id: String) -> Response {
        guard let outcomes = batches.outcomes(id, now: Date()) else {
            return Self.response(SimulatorWire.anthropic.error(status: 404, retryAfterSeconds: nil, message: "no results for this batch", serial: 0))
        }
        var lines: [Data] = []
        lines.reserveCapacity(outcomes.count)
        for (index, (item, outcome)) in outcomes.enumerated() {
            var result: [String: JSONValue] = ["type": .string(outcome)]
            if outcome == "errored" {
                result["error"] = .object([
                    "type": .string("error"), "error": .object(["type": .string("overloaded_error"), "message": .string("Overloaded")]),
                ])
            } else if outcome == "succeeded" {
                var answer = summaries.answer(for: item.request)
                answer.usage = promptCache.usage(answer.usage, prefix: item.cachePrefix)
                let parsed = SimulatorWire.Parsed(model: item.model, request: item.request, cachePrefix: item.cachePrefix)
                let reply = SimulatorWire.anthropic.success(parsed, answer: answer, serial: index)
                result["message"] = (try? JSONParser.parse(Data(reply.body.readableBytesView))) ?? .null
            }
            let line: JSONValue = .object(["custom_id": .string(item.customID), "result": .object(result)])
            if let bytes = try? line.jsonDocument() { lines.append(Data(bytes)) }
        }
        return Self.jsonl(lines, cutAfter: batches.resultsCut(file: id, of: id, lines: lines.count))
    }

    private static func rfc3339(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
