import Completions

/// The OpenAI Chat Completions bodies (`POST /v1/chat/completions`), shared by OpenAI,
/// OpenAI-compatible servers and Azure OpenAI; the simulator uses the same types.
package enum OpenAIWire {
    /// Written by the worker with its ``JSONWriter`` code; decoded by the simulator.
    package struct Request: Decodable, Sendable, Hashable {
        package var model: String?
        package var messages: [Message]
        package var maxTokens: Int?
        package var maxCompletionTokens: Int?
        package var temperature: Double?
        package var stop: [String]?
        package var responseFormat: ResponseFormat?

        enum CodingKeys: String, CodingKey {
            case model, messages, temperature, stop
            case maxTokens = "max_tokens"
            case maxCompletionTokens = "max_completion_tokens"
            case responseFormat = "response_format"
        }

        package init(
            model: String?,
            messages: [Message],
            maxTokens: Int? = nil,
            maxCompletionTokens: Int? = nil,
            temperature: Double? = nil,
            stop: [String]? = nil,
            responseFormat: ResponseFormat? = nil
        ) {
            self.model = model
            self.messages = messages
            self.maxTokens = maxTokens
            self.maxCompletionTokens = maxCompletionTokens
            self.temperature = temperature
            self.stop = stop
            self.responseFormat = responseFormat
        }

        package init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            model = try container.decodeIfPresent(String.self, forKey: .model)
            messages = try container.decode([Message].self, forKey: .messages)
            maxTokens = try container.decodeIfPresent(Int.self, forKey: .maxTokens)
            maxCompletionTokens = try container.decodeIfPresent(Int.self, forKey: .maxCompletionTokens)
            temperature = try container.decodeIfPresent(Double.self, forKey: .temperature)
            // `stop` may be one string or a list.
            if let one = try? container.decodeIfPresent(String.self, forKey: .stop) {
                stop = [one]
            } else {
                stop = try container.decodeIfPresent([String].self, forKey: .stop)
            }
            responseFormat = try container.decodeIfPresent(ResponseFormat.self, forKey: .responseFormat)
        }
    }

    /// One message; `content` is a string on the way out and read as a string, a list of text
    /// parts, or null (a refusal or a filtered completion) on the way back.
    package struct Message: Codable, Sendable, Hashable {
        package var role: String
        package var content: String?
        package var refusal: String?

        package init(role: String, content: String?, refusal: String? = nil) {
            self.role = role
            self.content = content
            self.refusal = refusal
        }

        enum CodingKeys: String, CodingKey { case role, content, refusal }

        struct Part: Codable {
            var type: String
            var text: String?
        }

        package init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            role = try container.decode(String.self, forKey: .role)
            refusal = try container.decodeIfPresent(String.self, forKey: .refusal)
            if let text = try? container.decodeIfPresent(String.self, forKey: .content) {
                content = text
            } else if let parts = try? container.decodeIfPresent([Part].self, forKey: .content) {
                content = parts.compactMap(\.text).joined(separator: "\n")
            } else {
                content = nil
            }
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(role, forKey: .role)
            try container.encode(content, forKey: .content)
            try container.encodeIfPresent(refusal, forKey: .refusal)
        }
    }

    /// `{"type":"json_schema","json_schema":{"name","schema","strict"}}` or `{"type":"text"}`.
    package struct ResponseFormat: Codable, Sendable, Hashable {
        package struct JSONSchema: Codable, Sendable, Hashable {
            package var name: String
            package var schema: JSONValue?
            package var strict: Bool?
        }

        package var type: String
        package var jsonSchema: JSONSchema?

        enum CodingKeys: String, CodingKey {
            case type
            case jsonSchema = "json_schema"
        }

        package init(type: String, jsonSchema: JSONSchema?) {
            self.type = type
            self.jsonSchema = jsonSchema
        }
    }

    package struct Choice: Codable, Sendable, Hashable {
        package var index: Int
        package var message: Message
        package var finishReason: String?

        enum CodingKeys: String, CodingKey {
            case index, message
            case finishReason = "finish_reason"
        }

        package init(index: Int, message: Message, finishReason: String?) {
            self.index = index
            self.message = message
            self.finishReason = finishReason
        }
    }

    /// `prompt_tokens` counts every input token; `prompt_tokens_details.cached_tokens` is the
    /// part read from the provider's prompt cache.
    package struct Usage: Codable, Sendable, Hashable {
        package struct PromptTokensDetails: Codable, Sendable, Hashable {
            package var cachedTokens: Int?

            enum CodingKeys: String, CodingKey {
                case cachedTokens = "cached_tokens"
            }
        }

        package var promptTokens: Int
        package var completionTokens: Int
        package var totalTokens: Int?
        package var promptTokensDetails: PromptTokensDetails?

        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens"
            case completionTokens = "completion_tokens"
            case totalTokens = "total_tokens"
            case promptTokensDetails = "prompt_tokens_details"
        }

        package init(promptTokens: Int, completionTokens: Int, cachedTokens: Int? = nil) {
            self.promptTokens = promptTokens
            self.completionTokens = completionTokens
            let (total, overflow) = promptTokens.addingReportingOverflow(completionTokens)
            self.totalTokens = overflow ? nil : total
            self.promptTokensDetails = cachedTokens.map { PromptTokensDetails(cachedTokens: $0) }
        }
    }

    package struct Response: Codable, Sendable, Hashable {
        package var id: String
        package var object: String
        package var created: Int
        package var model: String
        package var choices: [Choice]
        package var usage: Usage?

        package init(id: String, created: Int, model: String, choices: [Choice], usage: Usage?) {
            self.id = id
            self.object = "chat.completion"
            self.created = created
            self.model = model
            self.choices = choices
            self.usage = usage
        }
    }

    /// `{"error":{"message","type","param","code"}}`; Azure puts a string status in `code`.
    package struct ErrorBody: Codable, Sendable, Hashable {
        package struct Detail: Codable, Sendable, Hashable {
            package var message: String
            package var type: String?
            package var param: String?
            package var code: JSONValue?

            package init(message: String, type: String?, param: String? = nil, code: String?) {
                self.message = message
                self.type = type
                self.param = param
                self.code = code.map(JSONValue.string)
            }

            package var codeString: String? {
                switch code {
                case .string(let text): text
                case .number: code?.numberText
                default: nil
                }
            }

            package func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(message, forKey: .message)
                try container.encode(type, forKey: .type)
                try container.encode(param, forKey: .param)
                try container.encode(code ?? .null, forKey: .code)
            }
        }

        package var error: Detail

        package init(message: String, type: String?, param: String? = nil, code: String?) {
            self.error = Detail(message: message, type: type, param: param, code: code)
        }
    }
}

extension OpenAIWire.Request: JSONWritable {
    /// The body as the worker sends it; absent options left out, a message's `content` always written.
    package func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("model", ifPresent: model)
        writer.key("messages")
        writer.beginArray()
        for message in messages {
            writer.beginObject()
            writer.member("role", message.role)
            writer.member("content", orNull: message.content)
            writer.member("refusal", ifPresent: message.refusal)
            writer.endObject()
        }
        writer.endArray()
        writer.member("max_tokens", ifPresent: maxTokens)
        writer.member("max_completion_tokens", ifPresent: maxCompletionTokens)
        writer.member("temperature", ifPresent: temperature)
        writer.member("stop", ifPresent: stop)
        if let responseFormat {
            writer.key("response_format")
            writer.beginObject()
            writer.member("type", responseFormat.type)
            if let jsonSchema = responseFormat.jsonSchema {
                writer.key("json_schema")
                writer.beginObject()
                writer.member("name", jsonSchema.name)
                if let schema = jsonSchema.schema {
                    writer.key("schema")
                    writer.value(schema)
                }
                if let strict = jsonSchema.strict {
                    writer.member("strict", strict)
                }
                writer.endObject()
            }
            writer.endObject()
        }
        writer.endObject()
    }
}

extension OpenAIWire.Response {
    /// The answer in a parsed chat-completions body, or `nil` when the body does not have that
    /// shape (an `id` and a `choices` list whose messages have a role). A message's `content` may
    /// be a string, a list of text parts, or null.
    package init?(json: JSONValue) {
        guard let id = json["id"]?.stringValue, let list = json["choices"]?.arrayValue else { return nil }
        var choices: [OpenAIWire.Choice] = []
        choices.reserveCapacity(list.count)
        for (position, choice) in list.enumerated() {
            guard let message = choice["message"], let role = message["role"]?.stringValue else { return nil }
            let content: String?
            switch message["content"] {
            case .string(let text): content = text
            case .array(let parts): content = parts.compactMap { $0["text"]?.stringValue }.joined(separator: "\n")
            default: content = nil
            }
            choices.append(
                OpenAIWire.Choice(
                    index: choice["index"]?.intValue ?? position,
                    message: OpenAIWire.Message(role: role, content: content, refusal: message["refusal"]?.stringValue),
                    finishReason: choice["finish_reason"]?.stringValue
                )
            )
        }
        var usage: OpenAIWire.Usage?
        if let prompt = json["usage"]?["prompt_tokens"]?.intValue, let completion = json["usage"]?["completion_tokens"]?.intValue {
            usage = OpenAIWire.Usage(
                promptTokens: prompt, completionTokens: completion,
                cachedTokens: json["usage"]?["prompt_tokens_details"]?["cached_tokens"]?.intValue)
        }
        self.init(id: id, created: json["created"]?.intValue ?? 0, model: json["model"]?.stringValue ?? "", choices: choices, usage: usage)
    }
}
