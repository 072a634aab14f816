import Completions

/// The Anthropic Messages API bodies (`POST /v1/messages`), as far as understudy uses them; the
/// simulator decodes requests and encodes answers with the same types.
package enum AnthropicWire {
    /// Written by the worker with its ``JSONWriter`` code; decoded by the simulator.
    package struct Request: Decodable, Sendable, Hashable {
        package var model: String
        package var maxTokens: Int
        /// The system prompt; read from a list of blocks, their texts joined by newlines.
        package var system: String?
        /// Written: `system` goes out as a text block marked `cache_control: {type: ephemeral}`.
        package var cacheSystem: Bool
        /// Written after a cached `system`, as a second block outside the cached prefix (the
        /// output-schema instruction, which may differ from job to job).
        package var systemInstruction: String?
        /// Read: the texts of the system blocks up to the last one marked `cache_control`.
        package var cachedSystemPrefix: String?
        package var messages: [Message]
        package var temperature: Double?
        package var stopSequences: [String]?
        package var outputConfig: OutputConfig?

        enum CodingKeys: String, CodingKey {
            case model
            case maxTokens = "max_tokens"
            case system
            case messages
            case temperature
            case stopSequences = "stop_sequences"
            case outputConfig = "output_config"
        }

        package init(
            model: String,
            maxTokens: Int,
            system: String?,
            messages: [Message],
            temperature: Double?,
            stopSequences: [String]?,
            outputConfig: OutputConfig?,
            cacheSystem: Bool = false,
            systemInstruction: String? = nil
        ) {
            self.model = model
            self.maxTokens = maxTokens
            self.system = system
            self.cacheSystem = cacheSystem
            self.systemInstruction = systemInstruction
            self.cachedSystemPrefix = nil
            self.messages = messages
            self.temperature = temperature
            self.stopSequences = stopSequences
            self.outputConfig = outputConfig
        }

        package init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            model = try container.decode(String.self, forKey: .model)
            maxTokens = try container.decode(Int.self, forKey: .maxTokens)
            // `system` may be a string or a list of text blocks, some marked for the cache.
            cacheSystem = false
            systemInstruction = nil
            cachedSystemPrefix = nil
            if let text = try? container.decodeIfPresent(String.self, forKey: .system) {
                system = text
            } else if let blocks = try? container.decodeIfPresent([ContentBlock].self, forKey: .system) {
                system = blocks.compactMap(\.text).joined(separator: "\n")
                if let last = blocks.lastIndex(where: { $0.cacheControl != nil }) {
                    cacheSystem = true
                    cachedSystemPrefix = blocks[...last].compactMap(\.text).joined(separator: "\n")
                }
            } else {
                system = nil
            }
            messages = try container.decode([Message].self, forKey: .messages)
            temperature = try container.decodeIfPresent(Double.self, forKey: .temperature)
            stopSequences = try container.decodeIfPresent([String].self, forKey: .stopSequences)
            outputConfig = try container.decodeIfPresent(OutputConfig.self, forKey: .outputConfig)
        }
    }

    /// One turn; `content` is sent as a string and read as a string or a list of blocks.
    package struct Message: Codable, Sendable, Hashable {
        package var role: String
        package var content: String

        package init(role: String, content: String) {
            self.role = role
            self.content = content
        }

        enum CodingKeys: String, CodingKey { case role, content }

        package init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            role = try container.decode(String.self, forKey: .role)
            if let text = try? container.decode(String.self, forKey: .content) {
                content = text
            } else {
                content = try container.decode([ContentBlock].self, forKey: .content).compactMap(\.text).joined(separator: "\n")
            }
        }
    }

    /// Native structured output: `{"format": {"type": "json_schema", "schema": ...}}`.
    package struct OutputConfig: Codable, Sendable, Hashable {
        package struct Format: Codable, Sendable, Hashable {
            package var type: String
            package var schema: JSONValue
        }

        package var format: Format

        package init(schema: JSONValue) {
            self.format = Format(type: "json_schema", schema: schema)
        }
    }

    package struct ContentBlock: Codable, Sendable, Hashable {
        /// `cache_control` on a block: `{"type": "ephemeral"}`.
        package struct CacheControl: Codable, Sendable, Hashable {
            package var type: String
        }

        package var type: String
        package var text: String?
        package var cacheControl: CacheControl?

        enum CodingKeys: String, CodingKey {
            case type, text
            case cacheControl = "cache_control"
        }

        package init(type: String, text: String?, cacheControl: CacheControl? = nil) {
            self.type = type
            self.text = text
            self.cacheControl = cacheControl
        }
    }

    /// `input_tokens` counts only the input that was neither read from nor written to the cache.
    package struct Usage: Codable, Sendable, Hashable {
        package var inputTokens: Int
        package var outputTokens: Int
        package var cacheCreationInputTokens: Int?
        package var cacheReadInputTokens: Int?

        enum CodingKeys: String, CodingKey {
            case inputTokens = "input_tokens"
            case outputTokens = "output_tokens"
            case cacheCreationInputTokens = "cache_creation_input_tokens"
            case cacheReadInputTokens = "cache_read_input_tokens"
        }

        package init(inputTokens: Int, outputTokens: Int, cacheCreationInputTokens: Int? = nil, cacheReadInputTokens: Int? = nil) {
            self.inputTokens = inputTokens
            self.outputTokens = outputTokens
            self.cacheCreationInputTokens = cacheCreationInputTokens
            self.cacheReadInputTokens = cacheReadInputTokens
        }
    }

    package struct Response: Codable, Sendable, Hashable {
        package var id: String
        package var type: String
        package var role: String
        package var model: String
        package var content: [ContentBlock]
        package var stopReason: String?
        package var stopSequence: String?
        package var usage: Usage

        enum CodingKeys: String, CodingKey {
            case id, type, role, model, content, usage
            case stopReason = "stop_reason"
            case stopSequence = "stop_sequence"
        }

        package init(
            id: String,
            model: String,
            content: [ContentBlock],
            stopReason: String?,
            stopSequence: String? = nil,
            usage: Usage
        ) {
            self.id = id
            self.type = "message"
            self.role = "assistant"
            self.model = model
            self.content = content
            self.stopReason = stopReason
            self.stopSequence = stopSequence
            self.usage = usage
        }
    }

    /// `{"type":"error","error":{"type":...,"message":...},"request_id":...}`.
    package struct ErrorBody: Codable, Sendable, Hashable {
        package struct Detail: Codable, Sendable, Hashable {
            package var type: String
            package var message: String
        }

        package var type: String
        package var error: Detail
        package var requestID: String?

        enum CodingKeys: String, CodingKey {
            case type, error
            case requestID = "request_id"
        }

        package init(errorType: String, message: String, requestID: String? = nil) {
            self.type = "error"
            self.error = Detail(type: errorType, message: message)
            self.requestID = requestID
        }
    }
}

extension AnthropicWire.Request: JSONWritable {
    /// The body as the worker sends it: members in the API reference's order, absent options left out.
    package func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("model", model)
        writer.member("max_tokens", maxTokens)
        if cacheSystem, let system {
            writer.key("system")
            writer.beginArray()
            writer.beginObject()
            writer.member("type", "text")
            writer.member("text", system)
            writer.key("cache_control")
            writer.beginObject()
            writer.member("type", "ephemeral")
            writer.endObject()
            writer.endObject()
            if let systemInstruction {
                writer.beginObject()
                writer.member("type", "text")
                writer.member("text", systemInstruction)
                writer.endObject()
            }
            writer.endArray()
        } else {
            writer.member("system", ifPresent: system)
        }
        writer.key("messages")
        writer.beginArray()
        for message in messages {
            writer.beginObject()
            writer.member("role", message.role)
            writer.member("content", message.content)
            writer.endObject()
        }
        writer.endArray()
        writer.member("temperature", ifPresent: temperature)
        writer.member("stop_sequences", ifPresent: stopSequences)
        if let outputConfig {
            writer.key("output_config")
            writer.beginObject()
            writer.key("format")
            writer.beginObject()
            writer.member("type", outputConfig.format.type)
            writer.key("schema")
            writer.value(outputConfig.format.schema)
            writer.endObject()
            writer.endObject()
        }
        writer.endObject()
    }
}

extension AnthropicWire.Response {
    /// The answer in a parsed body, or `nil` when the body does not have the Messages response
    /// shape (an `id`, a `content` list of typed blocks, and `usage` with both token counts).
    package init?(json: JSONValue) {
        guard let id = json["id"]?.stringValue,
            let blocks = json["content"]?.arrayValue,
            let inputTokens = json["usage"]?["input_tokens"]?.intValue,
            let outputTokens = json["usage"]?["output_tokens"]?.intValue
        else { return nil }
        var content: [AnthropicWire.ContentBlock] = []
        content.reserveCapacity(blocks.count)
        for block in blocks {
            guard let type = block["type"]?.stringValue else { return nil }
            content.append(AnthropicWire.ContentBlock(type: type, text: block["text"]?.stringValue))
        }
        self.init(
            id: id,
            model: json["model"]?.stringValue ?? "",
            content: content,
            stopReason: json["stop_reason"]?.stringValue,
            stopSequence: json["stop_sequence"]?.stringValue,
            usage: AnthropicWire.Usage(
                inputTokens: inputTokens, outputTokens: outputTokens,
                cacheCreationInputTokens: json["usage"]?["cache_creation_input_tokens"]?.intValue,
                cacheReadInputTokens: json["usage"]?["cache_read_input_tokens"]?.intValue)
        )
    }
}
