import Completions
import Foundation
import NIOHTTP1

/// The Gemini API wire format: `POST {base}/v1beta/models/{model}:generateContent`.
///
/// A `json_schema` response format maps to `responseMimeType: application/json` with
/// `responseJsonSchema`. Errors map by status (`RESOURCE_EXHAUSTED`, `UNAVAILABLE`, ...); the wait
/// comes from the body's `google.rpc.RetryInfo.retryDelay` when it is there (there is no header).
package struct GeminiCodec: WireCodec {
    package var baseURL: String

    package init(baseURL: String = "https://generativelanguage.googleapis.com") {
        self.baseURL = baseURL
    }

    package func url(model: String) -> String {
        let name = model.hasPrefix("models/") ? String(model.dropFirst("models/".count)) : model
        let encoded = name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/", ":"])) ?? name
        return WireJSON.join(baseURL, "/v1beta/models/\(encoded):generateContent")
    }

    package func encode(_ request: CompletionRequest, model: String) throws(ProviderFailure) -> ProviderHTTPRequest {
        var mimeType: String?
        var schema: JSONValue?
        if case .jsonSchema(let value) = request.responseFormat {
            mimeType = "application/json"
            schema = value
        }
        let body = GeminiWire.Request(
            contents: request.messages.map {
                GeminiWire.Content(role: $0.role == .assistant ? "model" : "user", parts: [.init(text: $0.content)])
            },
            systemInstruction: request.system.flatMap { $0.isEmpty ? nil : GeminiWire.Content(role: nil, parts: [.init(text: $0)]) },
            generationConfig: GeminiWire.GenerationConfig(
                maxOutputTokens: request.maxTokens,
                temperature: request.temperature,
                stopSequences: request.stopSequences.isEmpty ? nil : request.stopSequences,
                responseMimeType: mimeType,
                responseJsonSchema: schema
            )
        )
        return ProviderHTTPRequest(
            method: .POST,
            url: url(model: model),
            headers: ["content-type": "application/json", "accept": "application/json"],
            body: try WireJSON.encode(body)
        )
    }

    package func decode(_ response: ProviderHTTPResponse, now: Date) throws(ProviderFailure) -> CompletionResponse {
        guard (200..<300).contains(response.status) else {
            throw failure(for: response, now: now)
        }
        let answer = try WireJSON.decodeAnswer(GeminiWire.Response.self, from: response.body, status: response.status, provider: "gemini")
        let usage = CompletionResponse.Usage(
            inputTokens: answer.usageMetadata?.promptTokenCount ?? 0,
            outputTokens: answer.usageMetadata?.candidatesTokenCount ?? 0,
            cacheReadTokens: answer.usageMetadata?.cachedContentTokenCount ?? 0
        )
        guard let candidate = answer.candidates?.first else {
            if answer.promptFeedback?.blockReason != nil {
                return CompletionResponse(text: "", finishReason: .contentFilter, usage: usage, providerRequestID: answer.responseId)
            }
            throw ProviderFailure(outcome: .invalidOutput, httpStatus: response.status, message: "gemini answer has no candidates")
        }
        let finish = Self.finishReason(candidate.finishReason)
        let text = (candidate.content?.parts ?? []).compactMap(\.text).joined()
        if text.isEmpty, finish != .contentFilter {
            throw ProviderFailure(outcome: .invalidOutput, httpStatus: response.status, message: "gemini answer has no text")
        }
        return CompletionResponse(text: text, finishReason: finish, usage: usage, providerRequestID: answer.responseId)
    }

    /// `finishReason` in the normalized vocabulary.
    package static func finishReason(_ reason: String?) -> CompletionResponse.FinishReason {
        switch reason {
        case "STOP": .stop
        case "MAX_TOKENS": .length
        case "SAFETY", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "RECITATION", "IMAGE_SAFETY": .contentFilter
        default: .other
        }
    }

    func failure(for response: ProviderHTTPResponse, now: Date) -> ProviderFailure {
        let body = WireJSON.decodeError(GeminiWire.ErrorBody.self, from: response.body)?.error
        let status = body?.status
        let message = body?.message ?? "HTTP \(response.status): \(WireJSON.excerpt(response.body))"
        let details = body?.details ?? []
        let reasons = details.compactMap { $0["reason"]?.stringValue }
        let (outcome, routeSpecific) = Self.classify(httpStatus: response.status, status: status, reasons: reasons)
        var retryAfter = RetryAfter.fromStandardHeaders(response.headers, now: now)
        if retryAfter == nil {
            retryAfter = details.first { $0["@type"]?.stringValue?.hasSuffix("google.rpc.RetryInfo") == true }?["retryDelay"]?
                .stringValue.flatMap(RetryAfter.parseGoDuration)
        }
        return ProviderFailure(
            outcome: outcome,
            httpStatus: response.status,
            providerErrorType: status,
            message: message,
            retryAfter: retryAfter,
            isRouteSpecific: routeSpecific
        )
    }

    /// HTTP status, RPC status and `ErrorInfo` reasons to outcome class.
    package static func classify(httpStatus: Int, status: String?, reasons: [String]) -> (Outcome, routeSpecific: Bool) {
        if reasons.contains(where: { $0 == "API_KEY_INVALID" || $0 == "API_KEY_SERVICE_BLOCKED" }) {
            return (.authError, false)
        }
        switch status {
        case "RESOURCE_EXHAUSTED": return (.rateLimited, false)
        case "UNAVAILABLE": return (.overloaded, false)
        case "DEADLINE_EXCEEDED": return (.timeout, false)
        case "INTERNAL": return (.serverError, false)
        case "UNAUTHENTICATED", "PERMISSION_DENIED": return (.authError, false)
        case "FAILED_PRECONDITION": return (.authError, false)  // billing not enabled, region not served
        case "NOT_FOUND": return (.clientError, true)
        default: break
        }
        switch httpStatus {
        case 401, 403: return (.authError, false)
        case 404, 413: return (.clientError, true)
        case 408, 504: return (.timeout, false)
        case 429: return (.rateLimited, false)
        case 503: return (.overloaded, false)
        case 500...599: return (.serverError, false)
        default: return (.clientError, false)
        }
    }
}
