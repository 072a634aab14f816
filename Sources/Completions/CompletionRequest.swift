/// The provider-neutral request the engine sends to a route: every adapter maps it to its own
/// wire format. It never carries a URL, a key or a header: those belong to the provider's config.
public struct CompletionRequest: Sendable, Hashable {
    /// One turn of the conversation.
    public struct Message: Sendable, Hashable {
        /// Who spoke: `user` or `assistant`.
        public enum Role: String, Sendable, Hashable, Codable {
            case user
            case assistant
        }

        public var role: Role
        public var content: String

        public init(role: Role, content: String) {
            self.role = role
            self.content = content
        }
    }

    /// What shape the output must have.
    public enum ResponseFormat: Sendable, Hashable {
        /// Free text.
        case text
        /// A JSON document that satisfies `schema` (a JSON Schema); the engine checks it.
        case jsonSchema(JSONValue)
    }

    public var system: String?
    public var messages: [Message]
    public var maxTokens: Int
    public var temperature: Double?
    public var stopSequences: [String]
    public var responseFormat: ResponseFormat

    public init(
        system: String? = nil,
        messages: [Message],
        maxTokens: Int = 1024,
        temperature: Double? = nil,
        stopSequences: [String] = [],
        responseFormat: ResponseFormat = .text
    ) {
        self.system = system
        self.messages = messages
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.stopSequences = stopSequences
        self.responseFormat = responseFormat
    }
}
