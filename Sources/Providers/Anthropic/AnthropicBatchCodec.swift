import Completions
import Foundation
import NIOHTTP1

/// Anthropic's Message Batches API on the wire (`/v1/messages/batches`): the create, retrieve
/// and cancel calls, the `message_batch` object, and the results JSONL.
///
/// Each request's `params` is exactly the Messages body the realtime adapter sends (same
/// structured-output handling, same prompt-cache mark), so a job asks the same thing in either
/// mode. Guarantees: a batch id or results URL from the provider is used only when it has the
/// documented shape (an id of `A-Z a-z 0-9 _ -`, an http(s) URL), so an answer cannot steer a
/// request elsewhere; a results line that cannot be read is skipped and counted, never trapped on.
package struct AnthropicBatchCodec: Sendable {
    package var messages: AnthropicCodec

    package init(messages: AnthropicCodec) {
        self.messages = messages
    }

    private var batchesURL: String { WireJSON.join(messages.baseURL, "/v1/messages/batches") }

    /// `POST /v1/messages/batches` with `{"requests": [{"custom_id", "params"}]}`.
    package func create(_ requests: [BatchRequest], model: String) throws(ProviderFailure) -> ProviderHTTPRequest {
        var writer = JSONWriter(capacity: 1_024 * max(1, min(requests.count, 100_000)))
        writer.beginObject()
        writer.key("requests")
        writer.beginArray()
        for item in requests {
            guard BatchLimits.isValidCustomID(item.customID) else {
                throw ProviderFailure(outcome: .clientError, message: "batch custom_id must be 1 to 64 of A-Z a-z 0-9 _ -", isRouteSpecific: true)
            }
            writer.beginObject()
            writer.member("custom_id", item.customID)
            writer.key("params")
            writer.value(messages.body(for: item.request, model: model))
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        guard !writer.wroteNonFiniteNumber else {
            throw ProviderFailure(outcome: .clientError, message: "batch could not be encoded: \(NonFiniteNumberError())", isRouteSpecific: true)
        }
        return ProviderHTTPRequest(method: .POST, url: batchesURL, headers: messages.headers, body: Data(writer.bytes))
    }

    /// `GET /v1/messages/batches/{id}`.
    package func retrieve(_ id: String) throws(ProviderFailure) -> ProviderHTTPRequest {
        ProviderHTTPRequest(method: .GET, url: batchesURL + "/" + (try BatchID.checked(id, provider: "anthropic")), headers: messages.headers)
    }

    /// `POST /v1/messages/batches/{id}/cancel`.
    package func cancel(_ id: String) throws(ProviderFailure) -> ProviderHTTPRequest {
        ProviderHTTPRequest(
            method: .POST, url: batchesURL + "/" + (try BatchID.checked(id, provider: "anthropic")) + "/cancel", headers: messages.headers)
    }

    /// `GET` of the batch's `results_url`, which must be on the API's own origin (scheme, host
    /// and port of the base URL): the key goes with the request, so an answer naming another
    /// host is refused rather than followed.
    package func results(_ batch: ProviderBatch) throws(ProviderFailure) -> ProviderHTTPRequest {
        guard let url = batch.results, let target = URLComponents(string: url), let base = URLComponents(string: messages.baseURL),
            let scheme = target.scheme?.lowercased(), scheme == base.scheme?.lowercased(), scheme == "https" || scheme == "http",
            let host = target.host?.lowercased(), host == base.host?.lowercased(), target.port == base.port
        else {
            throw ProviderFailure(outcome: .invalidOutput, message: "anthropic batch \(batch.id) has no results_url on the API's own origin")
        }
        return ProviderHTTPRequest(method: .GET, url: url, headers: messages.headers)
    }

    /// The `message_batch` object of a create, retrieve or cancel answer.
    package func decodeBatch(_ response: ProviderHTTPResponse, now: Date) throws(ProviderFailure) -> ProviderBatch {
        guard (200..<300).contains(response.status) else { throw messages.failure(for: response, now: now) }
        return try WireJSON.readAnswer(from: response.body, status: response.status, provider: "anthropic batch", Self.batch(json:))
    }

    /// One results line: `{"custom_id", "result": {"type": succeeded|errored|canceled|expired, ...}}`.
    func result(json: JSONValue) -> BatchItemResult? {
        guard let customID = json["custom_id"]?.stringValue, let result = json["result"], let type = result["type"]?.stringValue else {
            return nil
        }
        switch type {
        case "succeeded":
            guard let message = result["message"], let answer = AnthropicWire.Response(json: message) else { return nil }
            do {
                return BatchItemResult(customID: customID, outcome: .succeeded(try messages.completion(from: answer, status: 200, requestID: nil)))
            } catch {
                return BatchItemResult(customID: customID, outcome: .errored(error))
            }
        case "errored":
            // The error comes wrapped (`{"type": "error", "error": {type, message}}`) or flat.
            let detail = result["error"]?["error"] ?? result["error"]
            let errorType = detail?["type"]?.stringValue
            let message = detail?["message"]?.stringValue ?? "the request failed inside the batch"
            let (outcome, routeSpecific) = AnthropicCodec.classify(status: 0, errorType: errorType, message: message)
            return BatchItemResult(
                customID: customID,
                outcome: .errored(ProviderFailure(outcome: outcome, providerErrorType: errorType, message: message, isRouteSpecific: routeSpecific)))
        case "canceled": return BatchItemResult(customID: customID, outcome: .canceled)
        case "expired": return BatchItemResult(customID: customID, outcome: .expired)
        default: return nil
        }
    }

    /// A `message_batch` object, or `nil` when the body does not have its shape.
    static func batch(json: JSONValue) -> ProviderBatch? {
        guard let id = json["id"]?.stringValue, (try? BatchID.checked(id, provider: "anthropic")) != nil,
            let status = json["processing_status"]?.stringValue
        else { return nil }
        let phase: ProviderBatch.Phase
        switch status {
        case "in_progress": phase = .inProgress
        case "canceling": phase = .canceling
        case "ended": phase = .ended
        default: return nil
        }
        let counts = json["request_counts"]
        func count(_ name: String) -> Int { counts?[name]?.intValue ?? 0 }
        return ProviderBatch(
            id: id, phase: phase,
            counts: .init(
                processing: count("processing"), succeeded: count("succeeded"), errored: count("errored"), canceled: count("canceled"),
                expired: count("expired")),
            results: json["results_url"]?.stringValue,
            expiresAt: json["expires_at"]?.stringValue.flatMap(RetryAfter.parseRFC3339Date)
        )
    }
}
