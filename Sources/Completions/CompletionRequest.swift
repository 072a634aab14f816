/// The provider-neutral request the engine sends to a route: every adapter maps it to its own
/// wire format. It never carries a URL, a key or a header: those belong to the provider's config.
package struct CompletionRequest: Sendable, Hashable {
    /// One turn of the conversation.
    package struct Message: Sendable, Hashable {
        /// Who spoke: `user` or `assistant`.
        package enum Role: String, Sendable, Hashable, Codable {
            case user
            case assistant
        }

        package var role: Role
        package var content: String

        package init(role: Role, content: String) {
            self.role = role
            self.content = content
        }
    }

    /// What shape the output must have.
    package enum ResponseFormat: Sendable, Hashable {
        /// Free text.
        case text
        /// A JSON document that satisfies `schema` (a JSON Schema); the engine checks it.
        case jsonSchema(JSONValue)

        /// Whether the answer must be a JSON document (`jsonSchema`).
        package var isJSON: Bool {
            if case .jsonSchema = self { true } else { false }
        }
    }

    package var system: String?
    package var messages: [Message]
    package var maxTokens: Int
    package var temperature: Double?
    package var stopSequences: [String]
    package var responseFormat: ResponseFormat
    /// Mark `system` for the provider's prompt cache, where the provider takes such a mark
    /// (Anthropic's `cache_control`); providers that cache long prefixes by themselves ignore it.
    package var cacheSystemPrompt: Bool

    package init(
        system: String? = nil,
        messages: [Message],
        maxTokens: Int = 1024,
        temperature: Double? = nil,
        stopSequences: [String] = [],
        responseFormat: ResponseFormat = .text,
        cacheSystemPrompt: Bool = false
    ) {
        self.system = system
        self.messages = messages
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.stopSequences = stopSequences
        self.responseFormat = responseFormat
        self.cacheSystemPrompt = cacheSystemPrompt
    }
}
