import Completions
import Foundation
import NIOHTTP1

/// The Chat Completions wire format, for OpenAI, OpenAI-compatible servers (vLLM, Ollama,
/// LM Studio, OpenRouter) and Azure OpenAI (deployments path with `api-version`, or the v1 path).
///
/// A `json_schema` response format maps to `response_format` (strict when the schema closes its
/// root object with `additionalProperties: false`, as strict mode requires). 429 carries
/// `retry-after-ms`, `retry-after` or `x-ratelimit-reset-*` durations, read in that order;
/// `insufficient_quota` is `auth_error` (the route cannot bill); a 400 with code `content_filter`
/// is a route-specific `client_error`.
package struct OpenAICodec: WireCodec {
    /// Where the chat completions endpoint is.
    package enum Endpoint: Sendable, Hashable {
        /// `{base}/v1/chat/completions` (base `https://api.openai.com` or a compatible server).
        case openAI(baseURL: String)
        /// `{base}/openai/deployments/{model}/chat/completions?api-version=...`.
        case azureDeployments(baseURL: String, apiVersion: String)
        /// `{base}/openai/v1/chat/completions`, `model` being the deployment name.
        case azureV1(baseURL: String)
    }

    /// Which body field carries the output token limit.
    package enum TokenLimitField: String, Sendable, Hashable {
        case maxTokens = "max_tokens"
        case maxCompletionTokens = "max_completion_tokens"
    }

    package var endpoint: Endpoint
    package var tokenLimitField: TokenLimitField

    package init(endpoint: Endpoint, tokenLimitField: TokenLimitField? = nil) {
        self.endpoint = endpoint
        self.tokenLimitField = tokenLimitField ?? Self.defaultTokenLimitField(endpoint)
    }

    /// `max_completion_tokens` for OpenAI's own API and Azure; `max_tokens` for compatible servers.
    static func defaultTokenLimitField(_ endpoint: Endpoint) -> TokenLimitField {
        switch endpoint {
        case .openAI(let baseURL):
            URLComponents(string: baseURL)?.host?.lowercased() == "api.openai.com" ? .maxCompletionTokens : .maxTokens
        case .azureDeployments, .azureV1:
            .maxCompletionTokens
        }
    }

    var providerLabel: String {
        if case .openAI = endpoint { return "openai" }
        return "azure-openai"
    }

    package func url(model: String) -> String {
        switch endpoint {
        case .openAI(let baseURL):
            return WireJSON.join(baseURL, "/v1/chat/completions")
        case .azureDeployments(let baseURL, let apiVersion):
            let deployment = model.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? model
            let version = apiVersion.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? apiVersion
            return WireJSON.join(baseURL, "/openai/deployments/\(deployment)/chat/completions?api-version=\(version)")
        case .azureV1(let baseURL):
            return WireJSON.join(baseURL, "/openai/v1/chat/completions")
        }
    }

    package func encode(_ request: CompletionRequest, model: String) throws(ProviderFailure) -> ProviderHTTPRequest {
        ProviderHTTPRequest(
            method: .POST,
            url: url(model: model),
            headers: ["content-type": "application/json", "accept": "application/json"],
            body: try WireJSON.encode(body(for: request, model: model))
        )
    }

    /// The Chat Completions body for `request` (also a batch line's `body`, with `model` set).
    package func body(for request: CompletionRequest, model: String) -> OpenAIWire.Request {
        var messages: [OpenAIWire.Message] = []
        if let system = request.system, !system.isEmpty {
            messages.append(OpenAIWire.Message(role: "system", content: system))
        }
        messages += request.messages.map { OpenAIWire.Message(role: $0.role.rawValue, content: $0.content) }
        var responseFormat: OpenAIWire.ResponseFormat?
        if case .jsonSchema(let schema) = request.responseFormat {
            let strict = schema["additionalProperties"] == .bool(false)
            responseFormat = OpenAIWire.ResponseFormat(
                type: "json_schema",
                jsonSchema: .init(name: "response", schema: schema, strict: strict)
            )
        }
        let isDeployments: Bool
        if case .azureDeployments = endpoint { isDeployments = true } else { isDeployments = false }
        return OpenAIWire.Request(
            model: isDeployments ? nil : model,
            messages: messages,
            maxTokens: tokenLimitField == .maxTokens ? request.maxTokens : nil,
            maxCompletionTokens: tokenLimitField == .maxCompletionTokens ? request.maxTokens : nil,
            temperature: request.temperature,
            stop: request.stopSequences.isEmpty ? nil : request.stopSequences,
            responseFormat: responseFormat
        )
    }

    package func decode(_ response: ProviderHTTPResponse, now: Date) throws(ProviderFailure) -> CompletionResponse {
        guard (200..<300).contains(response.status) else {
            throw failure(for: response, now: now)
        }
        let answer = try WireJSON.readAnswer(from: response.body, status: response.status, provider: providerLabel, OpenAIWire.Response.init(json:))
        guard let choice = answer.choices.first else {
            throw ProviderFailure(outcome: .invalidOutput, httpStatus: response.status, message: "\(providerLabel) answer has no choices")
        }
        var finish = Self.finishReason(choice.finishReason)
        if choice.message.refusal != nil, choice.message.content == nil {
            finish = .contentFilter
        }
        let text = choice.message.content ?? ""
        if text.isEmpty, finish != .contentFilter {
            throw ProviderFailure(outcome: .invalidOutput, httpStatus: response.status, message: "\(providerLabel) answer has no content")
        }
        let requestID = response.headers.first(name: "x-request-id") ?? response.headers.first(name: "apim-request-id") ?? answer.id
        return CompletionResponse(
            text: text,
            finishReason: finish,
            usage: .init(
                inputTokens: answer.usage?.promptTokens ?? 0, outputTokens: answer.usage?.completionTokens ?? 0,
                cacheReadTokens: answer.usage?.promptTokensDetails?.cachedTokens ?? 0),
            providerRequestID: requestID
        )
    }

    /// `finish_reason` in the normalized vocabulary.
    package static func finishReason(_ reason: String?) -> CompletionResponse.FinishReason {
        switch reason {
        case "stop": .stop
        case "length": .length
        case "content_filter": .contentFilter
        default: .other
        }
    }

    func failure(for response: ProviderHTTPResponse, now: Date) -> ProviderFailure {
        let body = WireJSON.decodeError(OpenAIWire.ErrorBody.self, from: response.body)
        let code = body?.error.codeString
        let type = body?.error.type
        let message = body?.error.message ?? "HTTP \(response.status): \(WireJSON.excerpt(response.body))"
        let (outcome, routeSpecific) = Self.classify(status: response.status, type: type, code: code)
        var retryAfter = RetryAfter.fromStandardHeaders(response.headers, now: now)
        if retryAfter == nil, outcome == .rateLimited {
            retryAfter = RetryAfter.fromResetHeaders(
                response.headers,
                pairs: [
                    (remaining: "x-ratelimit-remaining-requests", reset: "x-ratelimit-reset-requests"),
                    (remaining: "x-ratelimit-remaining-tokens", reset: "x-ratelimit-reset-tokens"),
                ],
                parse: RetryAfter.parseGoDuration
            )
        }
        return ProviderFailure(
            outcome: outcome,
            httpStatus: response.status,
            providerErrorType: code ?? type,
            message: message,
            retryAfter: retryAfter,
            isRouteSpecific: routeSpecific
        )
    }

    /// Status, error type and code to outcome class (and whether a client error is this route's alone).
    package static func classify(status: Int, type: String?, code: String?) -> (Outcome, routeSpecific: Bool) {
        if code == "insufficient_quota" || type == "insufficient_quota" || code == "billing_hard_limit_reached" {
            return (.authError, false)
        }
        switch status {
        case 401, 402, 403: return (.authError, false)
        case 400 where code == "content_filter": return (.clientError, true)
        case 400 where code == "context_length_exceeded" || code == "model_not_found": return (.clientError, true)
        case 404, 413: return (.clientError, true)
        case 408, 504: return (.timeout, false)
        case 429: return (.rateLimited, false)
        case 503, 529: return (.overloaded, false)
        case 500...599: return (.serverError, false)
        default: return (.clientError, false)
        }
    }
}
