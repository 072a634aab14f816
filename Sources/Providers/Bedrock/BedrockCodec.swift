import Completions
import Foundation
import NIOHTTP1

/// The Amazon Bedrock Converse wire format:
/// `POST https://bedrock-runtime.{region}.amazonaws.com/model/{modelId}/converse`, the model id
/// percent-encoded in the path. A `json_schema` response format goes into the system prompt.
/// Errors map by exception name (`x-amzn-ErrorType` or `__type`), then by status.
package struct BedrockCodec: WireCodec {
    package var baseURL: String

    package init(baseURL: String) {
        self.baseURL = baseURL
    }

    /// The regional runtime endpoint.
    package static func defaultBaseURL(region: String) -> String {
        "https://bedrock-runtime.\(region).amazonaws.com"
    }

    package func url(model: String) -> String {
        WireJSON.join(baseURL, "/model/\(SigV4Signer.uriEncode(model, keepSlash: false))/converse")
    }

    package func encode(_ request: CompletionRequest, model: String) throws(ProviderFailure) -> ProviderHTTPRequest {
        var system = request.system
        if case .jsonSchema(let schema) = request.responseFormat {
            system = StructuredOutput.systemPrompt(system, schema: schema)
        }
        let body = BedrockWire.Request(
            messages: request.messages.map { BedrockWire.Message(role: $0.role.rawValue, content: [.init(text: $0.content)]) },
            system: system.flatMap { $0.isEmpty ? nil : [BedrockWire.ContentBlock(text: $0)] },
            inferenceConfig: BedrockWire.InferenceConfig(
                maxTokens: request.maxTokens,
                temperature: request.temperature,
                stopSequences: request.stopSequences.isEmpty ? nil : request.stopSequences
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
        let answer = try WireJSON.decodeAnswer(BedrockWire.Response.self, from: response.body, status: response.status, provider: "bedrock")
        let finish = Self.finishReason(answer.stopReason)
        var text = (answer.output.message?.content ?? []).compactMap(\.text).joined()
        if text.isEmpty, finish != .contentFilter {
            throw ProviderFailure(outcome: .invalidOutput, httpStatus: response.status, message: "bedrock answer has no text")
        }
        if text.hasPrefix("```") { text = StructuredOutput.jsonText(from: text) }
        return CompletionResponse(
            text: text,
            finishReason: finish,
            usage: .init(
                plainInputTokens: answer.usage?.inputTokens ?? 0, cacheReadTokens: answer.usage?.cacheReadInputTokens ?? 0,
                cacheWriteTokens: answer.usage?.cacheWriteInputTokens ?? 0, outputTokens: answer.usage?.outputTokens ?? 0),
            providerRequestID: response.headers.first(name: "x-amzn-requestid")
        )
    }

    /// `stopReason` in the normalized vocabulary.
    package static func finishReason(_ reason: String?) -> CompletionResponse.FinishReason {
        switch reason {
        case "end_turn", "stop_sequence": .stop
        case "max_tokens", "model_context_window_exceeded": .length
        case "guardrail_intervened", "content_filtered": .contentFilter
        default: .other
        }
    }

    func failure(for response: ProviderHTTPResponse, now: Date) -> ProviderFailure {
        let body = WireJSON.decodeError(BedrockWire.ErrorBody.self, from: response.body)
        let rawType = response.headers.first(name: "x-amzn-errortype") ?? body?.type
        let errorType = rawType.map(Self.exceptionName)
        let message = body?.message ?? body?.capitalMessage ?? "HTTP \(response.status): \(WireJSON.excerpt(response.body))"
        let (outcome, routeSpecific) = Self.classify(status: response.status, errorType: errorType)
        return ProviderFailure(
            outcome: outcome,
            httpStatus: response.status,
            providerErrorType: errorType,
            message: message,
            retryAfter: RetryAfter.fromStandardHeaders(response.headers, now: now),
            isRouteSpecific: routeSpecific
        )
    }

    /// `ThrottlingException:http://internal...` or `com.amazon.bedrock#ThrottlingException` to `ThrottlingException`.
    static func exceptionName(_ raw: String) -> String {
        var name = Substring(raw)
        if let colon = name.firstIndex(of: ":") { name = name[..<colon] }
        if let hash = name.lastIndex(of: "#") { name = name[name.index(after: hash)...] }
        return String(name)
    }

    /// Exception name and status to outcome class, as the issue lists them.
    package static func classify(status: Int, errorType: String?) -> (Outcome, routeSpecific: Bool) {
        switch errorType {
        case "ThrottlingException", "ModelNotReadyException", "TooManyRequestsException": return (.rateLimited, false)
        case "ServiceUnavailableException": return (.overloaded, false)
        case "ModelTimeoutException": return (.timeout, false)
        case "InternalServerException", "ModelErrorException", "ModelStreamErrorException": return (.serverError, false)
        case "ValidationException": return (.clientError, false)
        case "AccessDeniedException", "UnrecognizedClientException", "ExpiredTokenException": return (.authError, false)
        case "ResourceNotFoundException": return (.clientError, true)
        case "ServiceQuotaExceededException": return (.rateLimited, false)
        default: break
        }
        switch status {
        case 401, 403: return (.authError, false)
        case 404, 413: return (.clientError, true)
        case 408, 504: return (.timeout, false)
        case 429: return (.rateLimited, false)
        case 503: return (.overloaded, false)
        case 500...599, 424: return (.serverError, false)
        default: return (.clientError, false)
        }
    }
}
