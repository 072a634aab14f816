import Completions
import Foundation
import NIOHTTP1

/// The Anthropic Messages wire format (Anthropic's API and Claude on Microsoft Foundry).
///
/// A `json_schema` response format goes into the system prompt as an instruction unless
/// `nativeStructuredOutput` is on (then `output_config.format`); on Foundry the native option is
/// never used, whatever the setting. Errors map as the issue lists them: a 400 that reports a
/// spend or usage limit, and any `billing_error`, are `auth_error` (the route cannot bill).
package struct AnthropicCodec: WireCodec {
    package var baseURL: String
    package var anthropicVersion: String
    package var nativeStructuredOutput: Bool
    /// Claude on Microsoft Foundry: no native structured output, no `anthropic-ratelimit-*` headers.
    package var isFoundry: Bool

    package init(baseURL: String, anthropicVersion: String = "2023-06-01", nativeStructuredOutput: Bool = false, isFoundry: Bool = false) {
        self.baseURL = baseURL
        self.anthropicVersion = anthropicVersion
        self.nativeStructuredOutput = nativeStructuredOutput
        self.isFoundry = isFoundry
    }

    /// True when `baseURL` is a Microsoft Foundry endpoint (`*.services.ai.azure.com`, `*.azure.com`).
    package static func isFoundryURL(_ baseURL: String) -> Bool {
        guard let host = URLComponents(string: baseURL)?.host?.lowercased() else { return false }
        return host.hasSuffix(".azure.com")
    }

    var usesNativeStructuredOutput: Bool { nativeStructuredOutput && !isFoundry }

    package func encode(_ request: CompletionRequest, model: String) throws(ProviderFailure) -> ProviderHTTPRequest {
        ProviderHTTPRequest(
            method: .POST,
            url: WireJSON.join(baseURL, "/v1/messages"),
            headers: headers,
            body: try WireJSON.encode(body(for: request, model: model))
        )
    }

    /// The headers of every call to the API.
    var headers: HTTPHeaders {
        ["content-type": "application/json", "accept": "application/json", "anthropic-version": anthropicVersion]
    }

    /// The Messages body for `request` (also a batch request's `params`).
    package func body(for request: CompletionRequest, model: String) -> AnthropicWire.Request {
        var system = request.system
        // A cached system prompt stays a block of its own, so the schema instruction (which may
        // differ from job to job) does not break the cached prefix.
        let cacheSystem = request.cacheSystemPrompt && !(system?.isEmpty ?? true)
        var instruction: String?
        var outputConfig: AnthropicWire.OutputConfig?
        if case .jsonSchema(let schema) = request.responseFormat {
            if usesNativeStructuredOutput {
                outputConfig = AnthropicWire.OutputConfig(schema: schema)
            } else if cacheSystem {
                instruction = StructuredOutput.systemPrompt(nil, schema: schema)
            } else {
                system = StructuredOutput.systemPrompt(system, schema: schema)
            }
        }
        return AnthropicWire.Request(
            model: model,
            maxTokens: request.maxTokens,
            system: (system?.isEmpty ?? true) ? nil : system,
            messages: request.messages.map { AnthropicWire.Message(role: $0.role.rawValue, content: $0.content) },
            temperature: request.temperature,
            stopSequences: request.stopSequences.isEmpty ? nil : request.stopSequences,
            outputConfig: outputConfig,
            cacheSystem: cacheSystem,
            systemInstruction: instruction
        )
    }

    package func decode(_ response: ProviderHTTPResponse, now: Date) throws(ProviderFailure) -> CompletionResponse {
        let requestID = response.headers.first(name: "request-id")
        guard (200..<300).contains(response.status) else {
            throw failure(for: response, now: now)
        }
        let answer = try WireJSON.readAnswer(from: response.body, status: response.status, provider: "anthropic", AnthropicWire.Response.init(json:))
        return try completion(from: answer, status: response.status, requestID: requestID)
    }

    /// The provider-neutral answer in a Messages response (also a batch result's `message`).
    func completion(from answer: AnthropicWire.Response, status: Int, requestID: String?) throws(ProviderFailure) -> CompletionResponse {
        let finish = Self.finishReason(answer.stopReason)
        var text = answer.content.filter { $0.type == "text" }.compactMap(\.text).joined()
        if text.isEmpty, finish != .contentFilter {
            throw ProviderFailure(outcome: .invalidOutput, httpStatus: status, message: "anthropic answer has no text block")
        }
        if !usesNativeStructuredOutput, text.hasPrefix("```") {
            text = StructuredOutput.jsonText(from: text)
        }
        return CompletionResponse(
            text: text,
            finishReason: finish,
            usage: .init(
                plainInputTokens: answer.usage.inputTokens, cacheReadTokens: answer.usage.cacheReadInputTokens ?? 0,
                cacheWriteTokens: answer.usage.cacheCreationInputTokens ?? 0, outputTokens: answer.usage.outputTokens),
            providerRequestID: requestID ?? answer.id
        )
    }

    /// `stop_reason` in the normalized vocabulary.
    package static func finishReason(_ stopReason: String?) -> CompletionResponse.FinishReason {
        switch stopReason {
        case "end_turn", "stop_sequence": .stop
        case "max_tokens", "model_context_window_exceeded": .length
        case "refusal": .contentFilter
        default: .other
        }
    }

    func failure(for response: ProviderHTTPResponse, now: Date) -> ProviderFailure {
        let body = WireJSON.decodeError(AnthropicWire.ErrorBody.self, from: response.body)
        let errorType = body?.error.type
        let message = body?.error.message ?? "HTTP \(response.status): \(WireJSON.excerpt(response.body))"
        let (outcome, routeSpecific) = Self.classify(status: response.status, errorType: errorType, message: message)
        var retryAfter = RetryAfter.fromStandardHeaders(response.headers, now: now)
        if retryAfter == nil, !isFoundry, outcome == .rateLimited {
            retryAfter = RetryAfter.fromResetHeaders(
                response.headers,
                pairs: ["requests", "tokens", "input-tokens", "output-tokens"].map {
                    (remaining: "anthropic-ratelimit-\($0)-remaining", reset: "anthropic-ratelimit-\($0)-reset")
                },
                parse: { RetryAfter.parseRFC3339($0, now: now) }
            )
        }
        return ProviderFailure(
            outcome: outcome,
            httpStatus: response.status,
            providerErrorType: errorType,
            message: message,
            retryAfter: retryAfter,
            isRouteSpecific: routeSpecific
        )
    }

    /// Status and error type to outcome class (and whether a client error is this route's alone).
    package static func classify(status: Int, errorType: String?, message: String) -> (Outcome, routeSpecific: Bool) {
        switch errorType {
        case "billing_error": return (.authError, false)
        case "authentication_error", "permission_error": return (.authError, false)
        case "overloaded_error": return (.overloaded, false)
        case "rate_limit_error": return (.rateLimited, false)
        case "timeout_error": return (.timeout, false)
        case "api_error": return (.serverError, false)
        case "not_found_error": return (.clientError, true)
        case "request_too_large": return (.clientError, true)
        case "invalid_request_error" where isSpendLimit(message): return (.authError, false)
        case "invalid_request_error" where isContextLimit(message): return (.clientError, true)
        default: break
        }
        switch status {
        case 401, 402, 403: return (.authError, false)
        case 404, 413: return (.clientError, true)
        case 408, 504: return (.timeout, false)
        case 429: return (.rateLimited, false)
        case 503, 529: return (.overloaded, false)
        case 500...599: return (.serverError, false)
        case 400 where isSpendLimit(message): return (.authError, false)
        default: return (.clientError, false)
        }
    }

    /// A 400 that means the organization or workspace cannot spend any more.
    static func isSpendLimit(_ message: String) -> Bool {
        let lower = message.lowercased()
        return ["usage limit", "spend limit", "spending limit", "credit balance", "billing"].contains { lower.contains($0) }
    }

    static func isContextLimit(_ message: String) -> Bool {
        let lower = message.lowercased()
        return lower.contains("prompt is too long") || lower.contains("context window") || lower.contains("context length")
    }
}
