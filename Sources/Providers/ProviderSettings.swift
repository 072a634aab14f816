import Completions

/// One configured provider, as the config file's `providers.<name>` section describes it: which
/// adapter, where, and how it authenticates. Settings come only from the operator's config, never
/// from a job (a job cannot add headers or change a URL).
///
/// Secrets are never held here, only the names of the environment variables or files they come
/// from; ``ProviderFactory`` reads them.
package struct ProviderSettings: Sendable, Hashable {
    /// How requests are authorized.
    package enum Auth: String, Sendable, Hashable, CaseIterable {
        /// A key from `apiKeyEnv`: `x-api-key` (anthropic; `api-key` on Foundry if `apiKeyHeader`
        /// says so), `Authorization: Bearer` (openai), `api-key` (azure-openai),
        /// `x-goog-api-key` (gemini).
        case apiKey = "api_key"
        /// `Authorization: Bearer` with a token from `tokenFile` (re-read as a sidecar refreshes
        /// it), else `tokenEnv`, else `apiKeyEnv` (Entra ID tokens, Bedrock API keys).
        case bearer
        /// AWS Signature Version 4 from the `aws*Env` variables (bedrock only).
        case sigV4 = "sigv4"
        /// No authorization (local OpenAI-compatible servers, the simulator); `none` in config.
        /// (Not named `none`, which would read as `Optional.none` in `auth: .none`.)
        case unauthenticated = "none"
    }

    /// The adapter: `anthropic`, `openai`, `azure-openai`, `bedrock`, `gemini` or `extractive`.
    package var type: String
    /// The endpoint root (without `/v1/...`); each adapter has a default but `azure-openai`.
    package var baseURL: String?
    /// `nil` for the adapter's default (`sigv4` for bedrock, else `api_key`; extractive needs none).
    /// ``Auth/unauthenticated`` (`auth: none`) sends no credential and needs no variable: a
    /// keyless OpenAI-compatible server (vLLM, Ollama) or the simulator.
    package var auth: Auth?
    package var apiKeyEnv: String?
    /// anthropic with `auth: api_key` only (config `api_key_header`): the header the key goes
    /// in, `x-api-key` by default, `api-key` for Microsoft Foundry. Any other type with it set
    /// is a configuration error.
    package var apiKeyHeader: String?
    package var tokenEnv: String?
    package var tokenFile: String?
    /// azure-openai: the `api-version` (set: deployments path; unset: the v1 path).
    /// anthropic: the `anthropic-version` header (default `2023-06-01`).
    package var apiVersion: String?
    /// bedrock: the AWS region (also the signing region).
    package var region: String?
    package var awsAccessKeyIDEnv: String
    package var awsSecretAccessKeyEnv: String
    package var awsSessionTokenEnv: String
    /// anthropic: send `output_config.format` for JSON schemas instead of a prompt instruction
    /// (ignored on Foundry, which rejects it).
    package var nativeStructuredOutput: Bool
    /// The provider's `max_concurrency`; `nil` is unlimited. Adapters do not enforce it: the
    /// failover engine owns per-provider limits (callers wait for a slot, and the limit adapts to
    /// 429s). Here it sizes the shared connection pool (``ProviderHTTPClient/connectionsPerHost(for:unlimited:)``).
    package var maxConcurrency: Int?
    /// Extra request headers, from the operator's config only.
    package var headers: [String: String]
    /// The largest request body sent.
    package var maxRequestBytes: Int
    /// The largest response body read (`providers.NAME.max_response_bytes`).
    package var maxResponseBytes: Int
    /// How long a response body may take once its head is in (`providers.NAME.body_timeout_ms`).
    package var bodyTimeout: Duration

    package init(
        type: String,
        baseURL: String? = nil,
        auth: Auth? = nil,
        apiKeyEnv: String? = nil,
        apiKeyHeader: String? = nil,
        tokenEnv: String? = nil,
        tokenFile: String? = nil,
        apiVersion: String? = nil,
        region: String? = nil,
        awsAccessKeyIDEnv: String = "AWS_ACCESS_KEY_ID",
        awsSecretAccessKeyEnv: String = "AWS_SECRET_ACCESS_KEY",
        awsSessionTokenEnv: String = "AWS_SESSION_TOKEN",
        nativeStructuredOutput: Bool = false,
        maxConcurrency: Int? = nil,
        headers: [String: String] = [:],
        maxRequestBytes: Int = ProviderDefaults.maxRequestBytes,
        maxResponseBytes: Int = ProviderDefaults.maxResponseBytes,
        bodyTimeout: Duration = .milliseconds(ProviderDefaults.bodyTimeoutMs)
    ) {
        self.type = type
        self.baseURL = baseURL
        self.auth = auth
        self.apiKeyEnv = apiKeyEnv
        self.apiKeyHeader = apiKeyHeader
        self.tokenEnv = tokenEnv
        self.tokenFile = tokenFile
        self.apiVersion = apiVersion
        self.region = region
        self.awsAccessKeyIDEnv = awsAccessKeyIDEnv
        self.awsSecretAccessKeyEnv = awsSecretAccessKeyEnv
        self.awsSessionTokenEnv = awsSessionTokenEnv
        self.nativeStructuredOutput = nativeStructuredOutput
        self.maxConcurrency = maxConcurrency
        self.headers = headers
        self.maxRequestBytes = maxRequestBytes
        self.maxResponseBytes = maxResponseBytes
        self.bodyTimeout = bodyTimeout
    }

    /// The adapter kinds the factory knows.
    package static let knownTypes = ["anthropic", "openai", "azure-openai", "bedrock", "gemini", "extractive"]
}
