/// Attribute names of the OpenTelemetry GenAI semantic conventions, used as log metadata keys
/// (and, once spans exist, span attributes), so one query language fits logs and traces alike.
/// understudy's own attributes are prefixed `understudy.`.
package enum GenAIAttributes {
    package static let providerName = "gen_ai.provider.name"
    package static let requestModel = "gen_ai.request.model"
    package static let inputTokens = "gen_ai.usage.input_tokens"
    package static let outputTokens = "gen_ai.usage.output_tokens"
    package static let errorType = "error.type"
    /// The configured provider's name (`claude-azure`): which of several routes of one system.
    package static let route = "understudy.route"

    /// The convention's `gen_ai.provider.name` for an adapter kind (`anthropic` stays
    /// `anthropic`, `azure-openai` becomes `azure.ai.openai`, `bedrock` `aws.bedrock`, `gemini`
    /// `gcp.gemini`); understudy's own kinds (`extractive`) pass through.
    package static func providerName(ofKind kind: String) -> String {
        switch kind {
        case "azure-openai": "azure.ai.openai"
        case "bedrock": "aws.bedrock"
        case "gemini": "gcp.gemini"
        default: kind
        }
    }
}
