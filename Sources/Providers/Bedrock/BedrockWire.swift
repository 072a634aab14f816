/// The Amazon Bedrock Converse API bodies (`POST /model/{modelId}/converse`).
package enum BedrockWire {
    package struct ContentBlock: Codable, Sendable, Hashable {
        package var text: String?

        package init(text: String?) { self.text = text }
    }

    package struct Message: Codable, Sendable, Hashable {
        package var role: String
        package var content: [ContentBlock]

        package init(role: String, content: [ContentBlock]) {
            self.role = role
            self.content = content
        }
    }

    package struct InferenceConfig: Codable, Sendable, Hashable {
        package var maxTokens: Int?
        package var temperature: Double?
        package var stopSequences: [String]?

        package init(maxTokens: Int?, temperature: Double?, stopSequences: [String]?) {
            self.maxTokens = maxTokens
            self.temperature = temperature
            self.stopSequences = stopSequences
        }
    }

    package struct Request: Codable, Sendable, Hashable {
        package var messages: [Message]
        package var system: [ContentBlock]?
        package var inferenceConfig: InferenceConfig?

        package init(messages: [Message], system: [ContentBlock]?, inferenceConfig: InferenceConfig?) {
            self.messages = messages
            self.system = system
            self.inferenceConfig = inferenceConfig
        }
    }

    package struct Output: Codable, Sendable, Hashable {
        package var message: Message?
    }

    /// `inputTokens` counts only the input neither read from nor written to the prompt cache.
    package struct Usage: Codable, Sendable, Hashable {
        package var inputTokens: Int
        package var outputTokens: Int
        package var totalTokens: Int?
        package var cacheReadInputTokens: Int?
        package var cacheWriteInputTokens: Int?
    }

    package struct Response: Codable, Sendable, Hashable {
        package var output: Output
        package var stopReason: String?
        package var usage: Usage?
    }

    /// `{"message": "..."}` (some services spell it `Message`), the type in `__type` or the
    /// `x-amzn-ErrorType` header.
    package struct ErrorBody: Codable, Sendable, Hashable {
        package var message: String?
        package var capitalMessage: String?
        package var type: String?

        enum CodingKeys: String, CodingKey {
            case message
            case capitalMessage = "Message"
            case type = "__type"
        }
    }
}
