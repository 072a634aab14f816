import Completions
import Foundation
import NIOCore
import Providers

/// The wire formats the simulator speaks, with each one's request parsing, answer body and real
/// error bodies and headers (bodies written from the providers' public API references).
package enum SimulatorWire: String, Sendable, Hashable, CaseIterable, Codable {
    case anthropic
    case openai
    case azureOpenAI = "azure-openai"

    /// A parsed provider request.
    struct Parsed: Sendable {
        var model: String
        var request: CompletionRequest
        /// The prefix the provider would cache: Anthropic's system blocks up to the last one marked
        /// `cache_control`; OpenAI's system prompt (cached by itself when long enough).
        var cachePrefix: String? = nil
    }

    /// A reply before it becomes an HTTP response.
    struct Reply: Sendable {
        var status: Int
        var headers: [(String, String)]
        var body: ByteBuffer
    }

    struct BadRequest: Error {
        var message: String
    }

    func parse(_ data: Data, pathModel: String?) throws -> Parsed {
        switch self {
        case .anthropic:
            let wire: AnthropicWire.Request
            do { wire = try JSONDecoder().decode(AnthropicWire.Request.self, from: data) } catch {
                throw BadRequest(message: "messages: request body is not a valid Messages request")
            }
            return Self.parsed(anthropic: wire)
        case .openai, .azureOpenAI:
            let wire: OpenAIWire.Request
            do { wire = try JSONDecoder().decode(OpenAIWire.Request.self, from: data) } catch {
                throw BadRequest(message: "'messages' is a required property")
            }
            var system: [String] = []
            var messages: [CompletionRequest.Message] = []
            for message in wire.messages {
                switch message.role {
                case "system", "developer": system.append(message.content ?? "")
                case "assistant": messages.append(.init(role: .assistant, content: message.content ?? ""))
                default: messages.append(.init(role: .user, content: message.content ?? ""))
                }
            }
            var format: CompletionRequest.ResponseFormat = .text
            if let schema = wire.responseFormat?.jsonSchema?.schema, wire.responseFormat?.type == "json_schema" {
                format = .jsonSchema(schema)
            }
            return Parsed(
                model: wire.model ?? pathModel ?? "deployment",
                request: CompletionRequest(
                    system: system.isEmpty ? nil : system.joined(separator: "\n"),
                    messages: messages,
                    maxTokens: wire.maxCompletionTokens ?? wire.maxTokens ?? 1024,
                    temperature: wire.temperature,
                    stopSequences: wire.stop ?? [],
                    responseFormat: format
                ),
                cachePrefix: system.isEmpty ? nil : system.joined(separator: "\n")
            )
        }
    }

    /// A Messages request (a realtime body, or a batch request's `params`) as the simulator
    /// reads it.
    static func parsed(anthropic wire: AnthropicWire.Request) -> Parsed {
        var format: CompletionRequest.ResponseFormat = .text
        if let schema = wire.outputConfig?.format.schema {
            format = .jsonSchema(schema)
        } else if let schema = StructuredOutput.schema(inSystemPrompt: wire.system) {
            format = .jsonSchema(schema)
        }
        let messages = wire.messages.map {
            CompletionRequest.Message(role: $0.role == "assistant" ? .assistant : .user, content: $0.content)
        }
        return Parsed(
            model: wire.model,
            request: CompletionRequest(
                system: wire.system,
                messages: messages,
                maxTokens: wire.maxTokens,
                temperature: wire.temperature,
                stopSequences: wire.stopSequences ?? [],
                responseFormat: format
            ),
            cachePrefix: wire.cachedSystemPrefix
        )
    }

    /// The one answer of ``ProviderSimulator/Configuration/cannedAnswers``: a success body for a
    /// sample support ticket, built once per wire format.
    var cannedReply: Reply {
        switch self {
        case .anthropic: Self.canned.anthropic
        case .openai: Self.canned.openai
        case .azureOpenAI: Self.canned.azureOpenAI
        }
    }

    private static let canned: (anthropic: Reply, openai: Reply, azureOpenAI: Reply) = {
        let request = CompletionRequest(
            system: "Summarize the ticket in 3 bullets.",
            messages: [
                .init(
                    role: .user,
                    content: "The customer reports that invoices exported on Monday show the wrong currency. "
                        + "Engineering found that the exporter reads the locale from the browser instead of the profile. "
                        + "A fix is planned for the next release."
                )
            ],
            maxTokens: 200
        )
        let parsed = Parsed(model: "canned", request: request)
        let answer = ExtractiveProvider().answer(request)
        return (
            SimulatorWire.anthropic.success(parsed, answer: answer, serial: 0),
            SimulatorWire.openai.success(parsed, answer: answer, serial: 0),
            SimulatorWire.azureOpenAI.success(parsed, answer: answer, serial: 0)
        )
    }()

    func success(_ parsed: Parsed, answer: CompletionResponse, serial: Int) -> Reply {
        let requestID = "req_sim_\(serial)"
        let data: Data?
        var headers: [(String, String)] = [("content-type", "application/json")]
        switch self {
        case .anthropic:
            headers.append(("request-id", requestID))
            data = try? JSONEncoder().encode(
                AnthropicWire.Response(
                    id: "msg_sim_\(serial)",
                    model: parsed.model,
                    content: [.init(type: "text", text: answer.text)],
                    stopReason: answer.finishReason == .length ? "max_tokens" : "end_turn",
                    usage: .init(
                        inputTokens: answer.usage.uncachedInputTokens, outputTokens: answer.usage.outputTokens,
                        cacheCreationInputTokens: parsed.cachePrefix == nil ? nil : answer.usage.cacheWriteTokens,
                        cacheReadInputTokens: parsed.cachePrefix == nil ? nil : answer.usage.cacheReadTokens)
                )
            )
        case .openai, .azureOpenAI:
            headers.append((self == .openai ? "x-request-id" : "apim-request-id", requestID))
            data = try? JSONEncoder().encode(
                OpenAIWire.Response(
                    id: "chatcmpl-sim-\(serial)",
                    created: Int(Date().timeIntervalSince1970),
                    model: parsed.model,
                    choices: [
                        .init(
                            index: 0,
                            message: .init(role: "assistant", content: answer.text),
                            finishReason: answer.finishReason == .length ? "length" : "stop"
                        )
                    ],
                    usage: .init(
                        promptTokens: answer.usage.inputTokens, completionTokens: answer.usage.outputTokens,
                        cachedTokens: answer.usage.cacheReadTokens)
                )
            )
        }
        return Reply(status: 200, headers: headers, body: ByteBuffer(bytes: data ?? Data("{}".utf8)))
    }

    /// The provider's own error for `status`, with `retry-after` (and the rate-limit headers
    /// the provider sends) when `retryAfterSeconds` is set.
    func error(status: Int, retryAfterSeconds: Int?, message override: String? = nil, serial: Int) -> Reply {
        var headers: [(String, String)] = [("content-type", "application/json")]
        let data: Data?
        let retry = retryAfterSeconds.map { max(0, $0) }
        switch self {
        case .anthropic:
            headers.append(("request-id", "req_sim_\(serial)"))
            let (type, message): (String, String) =
                switch status {
                case 400: ("invalid_request_error", "Invalid request")
                case 401: ("authentication_error", "invalid x-api-key")
                case 402: ("billing_error", "Your credit balance is too low to access the Anthropic API.")
                case 403: ("permission_error", "Your API key does not have permission to use the specified resource.")
                case 404: ("not_found_error", "The requested resource could not be found.")
                case 413: ("request_too_large", "Request exceeds the maximum allowed number of bytes.")
                case 429: ("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit")
                case 504: ("timeout_error", "Request timed out")
                case 503, 529: ("overloaded_error", "Overloaded")
                default: ("api_error", "Internal server error")
                }
            if let retry {
                headers.append(("retry-after", String(retry)))
                if status == 429 {
                    let reset = Date().addingTimeInterval(TimeInterval(retry))
                    headers.append(("anthropic-ratelimit-requests-remaining", "0"))
                    headers.append(("anthropic-ratelimit-requests-reset", Self.rfc3339(reset)))
                }
            }
            if status == 529 || status == 503 || status == 500 {
                headers.append(("x-should-retry", "true"))
            }
            data = try? JSONEncoder().encode(AnthropicWire.ErrorBody(errorType: type, message: override ?? message, requestID: "req_sim_\(serial)"))
        case .openai:
            headers.append(("x-request-id", "req_sim_\(serial)"))
            let (type, code, message): (String, String?, String) =
                switch status {
                case 400: ("invalid_request_error", nil, "Invalid request")
                case 401:
                    (
                        "invalid_request_error", "invalid_api_key",
                        "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys."
                    )
                case 403: ("invalid_request_error", "unsupported_country_region_territory", "Country, region, or territory not supported")
                case 404: ("invalid_request_error", "model_not_found", "The model does not exist or you do not have access to it.")
                case 429: ("requests", "rate_limit_exceeded", "Rate limit reached for requests per min. Please try again later.")
                case 503, 529: ("server_error", nil, "The engine is currently overloaded, please try again later")
                default: ("server_error", nil, "The server had an error while processing your request. Sorry about that!")
                }
            if status == 429 {
                headers.append(("x-ratelimit-limit-requests", "500"))
                headers.append(("x-ratelimit-remaining-requests", "0"))
                headers.append(("x-ratelimit-reset-requests", "\(retry ?? 1)s"))
                headers.append(("x-ratelimit-reset-tokens", "6m0s"))
            }
            if let retry { headers.append(("retry-after", String(retry))) }
            data = try? JSONEncoder().encode(OpenAIWire.ErrorBody(message: override ?? message, type: type, code: code))
        case .azureOpenAI:
            headers.append(("apim-request-id", "req_sim_\(serial)"))
            let (code, message): (String, String) =
                switch status {
                case 400: ("BadRequest", "Invalid request")
                case 401:
                    (
                        "401",
                        "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."
                    )
                case 404: ("DeploymentNotFound", "The API deployment for this resource does not exist.")
                case 429:
                    (
                        "429",
                        "Requests to the ChatCompletions_Create Operation under Azure OpenAI API have exceeded call rate limit of your current pricing tier. Please retry after \(retry ?? 1) seconds."
                    )
                case 503, 529: ("ServiceUnavailable", "The service is temporarily unable to process your request. Please try again later.")
                default: ("InternalServerError", "The server had an error while processing your request.")
                }
            if let retry {
                headers.append(("retry-after", String(retry)))
                headers.append(("retry-after-ms", String(retry * 1000)))
            }
            data = try? JSONEncoder().encode(OpenAIWire.ErrorBody(message: override ?? message, type: nil, code: code))
        }
        return Reply(status: status, headers: headers, body: ByteBuffer(bytes: data ?? Data("{}".utf8)))
    }

    /// A 400 for a request the simulator cannot read.
    func badRequest(_ message: String, serial: Int) -> Reply {
        error(status: 400, retryAfterSeconds: nil, message: message, serial: serial)
    }

    /// A 200 whose body is cut off in the middle of a JSON string.
    static let malformedBody = ByteBuffer(string: #"{"id":"sim","content":[{"type":"text","text":"The customer reports"#)

    /// A 200 with JSON that no wire format expects.
    static let wrongShapeBody = ByteBuffer(string: #"{"status":"ok","result":{"items":[],"count":0}}"#)

    static func rfc3339(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
