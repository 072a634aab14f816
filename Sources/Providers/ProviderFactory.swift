import AsyncHTTPClient
import Completions
import Logging

/// Builds the adapter a provider's settings describe, reading its secrets from the environment
/// variables (or files) the settings name.
///
/// Guarantees: every missing or invalid setting, and every named environment variable that is
/// not set, fails here with a ``ProviderConfigurationError`` naming the config key, before any
/// job runs; secret values never appear in an error.
package enum ProviderFactory {
    /// An adapter sending through the shared `httpClient`.
    package static func make(
        name: String,
        settings: ProviderSettings,
        environment: [String: String],
        httpClient: HTTPClient,
        logger: Logger = Logger(label: "understudy.providers")
    ) throws(ProviderConfigurationError) -> any CompletionProvider {
        try make(name: name, settings: settings, environment: environment, transport: AsyncHTTPTransport(client: httpClient), logger: logger)
    }

    /// An adapter sending through `transport` (tests pass a scripted one).
    package static func make(
        name: String,
        settings: ProviderSettings,
        environment: [String: String],
        transport: any HTTPTransport,
        logger: Logger = Logger(label: "understudy.providers")
    ) throws(ProviderConfigurationError) -> any CompletionProvider {
        let builder = Builder(name: name, settings: settings, environment: environment)
        if let limit = settings.maxConcurrency, limit < 1 {
            throw builder.error(.invalidValue, "max_concurrency", "must be at least 1 (leave it out for no limit)")
        }
        if settings.apiKeyHeader != nil, settings.type != "anthropic" {
            throw builder.error(.invalidValue, "api_key_header", "only anthropic takes a key header; \(settings.type) has a fixed one")
        }
        func call(_ authorizer: RequestAuthorizer) -> HTTPCall {
            var providerLogger = logger
            providerLogger[metadataKey: "provider"] = "\(name)"
            return HTTPCall(
                providerName: name,
                transport: transport,
                authorizer: authorizer,
                limits: .init(
                    maxRequestBytes: settings.maxRequestBytes, maxResponseBytes: settings.maxResponseBytes, bodyTimeout: settings.bodyTimeout
                ),
                extraHeaders: settings.headers,
                logger: providerLogger
            )
        }

        switch settings.type {
        case "anthropic":
            let baseURL = try builder.url(default: "https://api.anthropic.com")
            let isFoundry = AnthropicCodec.isFoundryURL(baseURL)
            if isFoundry, settings.nativeStructuredOutput {
                logger.warning(
                    "native structured output is not available on Microsoft Foundry; using the schema-in-prompt form",
                    metadata: ["provider": "\(name)"]
                )
            }
            let authorizer: RequestAuthorizer
            switch try builder.auth(default: .apiKey, allowed: [.apiKey, .bearer, .unauthenticated]) {
            case .apiKey:
                authorizer = .apiKey(header: try builder.apiKeyHeader(default: "x-api-key"), secret: try builder.apiKey())
            case .bearer:
                authorizer = .bearer(try builder.bearerToken())
            default:
                authorizer = .none
            }
            let codec = AnthropicCodec(
                baseURL: baseURL,
                anthropicVersion: settings.apiVersion ?? "2023-06-01",
                nativeStructuredOutput: settings.nativeStructuredOutput,
                isFoundry: isFoundry
            )
            return AnthropicProvider(codec: codec, call: call(authorizer))

        case "openai":
            let baseURL = try builder.url(default: "https://api.openai.com")
            let authorizer: RequestAuthorizer
            switch try builder.auth(default: .apiKey, allowed: [.apiKey, .bearer, .unauthenticated]) {
            case .apiKey: authorizer = .bearer(try builder.apiKey())
            case .bearer: authorizer = .bearer(try builder.bearerToken())
            default: authorizer = .none
            }
            return OpenAIProvider(codec: OpenAICodec(endpoint: .openAI(baseURL: baseURL)), call: call(authorizer))

        case "azure-openai":
            let baseURL = try builder.url(default: nil)
            let authorizer: RequestAuthorizer
            switch try builder.auth(default: .apiKey, allowed: [.apiKey, .bearer, .unauthenticated]) {
            case .apiKey: authorizer = .apiKey(header: "api-key", secret: try builder.apiKey())
            case .bearer: authorizer = .bearer(try builder.bearerToken())
            default: authorizer = .none
            }
            let endpoint: OpenAICodec.Endpoint =
                settings.apiVersion.map { .azureDeployments(baseURL: baseURL, apiVersion: $0) } ?? .azureV1(baseURL: baseURL)
            return AzureOpenAIProvider(codec: OpenAICodec(endpoint: endpoint), call: call(authorizer))

        case "bedrock":
            let auth = try builder.auth(default: .sigV4, allowed: [.sigV4, .bearer, .apiKey])
            let region = settings.region ?? ""
            if region.isEmpty, auth == .sigV4 || settings.baseURL == nil {
                throw builder.error(.missingSetting, "region", "bedrock needs the AWS region")
            }
            let baseURL = try builder.url(default: BedrockCodec.defaultBaseURL(region: region))
            let authorizer: RequestAuthorizer
            switch auth {
            case .sigV4:
                let accessKeyID = try builder.environmentValue(settings.awsAccessKeyIDEnv, setting: "aws_access_key_id_env")
                let secret = try builder.environmentValue(settings.awsSecretAccessKeyEnv, setting: "aws_secret_access_key_env")
                let token = environment[settings.awsSessionTokenEnv].flatMap { $0.isEmpty ? nil : $0 }
                authorizer = .sigV4(
                    SigV4Signer(service: "bedrock", region: region),
                    accessKeyID: accessKeyID,
                    secret: SecretSource(value: secret, variable: settings.awsSecretAccessKeyEnv),
                    sessionToken: token.map { SecretSource(value: $0, variable: settings.awsSessionTokenEnv) }
                )
            case .apiKey:
                authorizer = .bearer(try builder.apiKey())
            default:
                authorizer = .bearer(try builder.bearerToken())
            }
            return BedrockProvider(codec: BedrockCodec(baseURL: baseURL), call: call(authorizer))

        case "gemini":
            let baseURL = try builder.url(default: "https://generativelanguage.googleapis.com")
            let authorizer: RequestAuthorizer
            switch try builder.auth(default: .apiKey, allowed: [.apiKey, .bearer, .unauthenticated]) {
            case .apiKey: authorizer = .apiKey(header: "x-goog-api-key", secret: try builder.apiKey())
            case .bearer: authorizer = .bearer(try builder.bearerToken())
            default: authorizer = .none
            }
            return GeminiProvider(codec: GeminiCodec(baseURL: baseURL), call: call(authorizer))

        case "extractive":
            return ExtractiveProvider()

        default:
            throw builder.error(
                .unknownType,
                "type",
                "'\(settings.type)' is not one of \(ProviderSettings.knownTypes.joined(separator: ", "))"
            )
        }
    }

    /// Reads and checks settings for one provider.
    private struct Builder {
        let name: String
        let settings: ProviderSettings
        let environment: [String: String]

        func error(_ code: ProviderConfigurationError.Code, _ key: String, _ message: String) -> ProviderConfigurationError {
            ProviderConfigurationError(code: code, provider: name, setting: "providers.\(name).\(key)", message: message)
        }

        func url(default fallback: String?) throws(ProviderConfigurationError) -> String {
            guard let url = settings.baseURL ?? fallback, !url.isEmpty else {
                throw error(.missingSetting, "base_url", "\(settings.type) needs a base_url")
            }
            guard url.hasPrefix("https://") || url.hasPrefix("http://") else {
                throw error(.invalidValue, "base_url", "must start with https:// or http://")
            }
            return url
        }

        func auth(default fallback: ProviderSettings.Auth, allowed: [ProviderSettings.Auth]) throws(ProviderConfigurationError)
            -> ProviderSettings.Auth
        {
            let auth = settings.auth ?? fallback
            guard allowed.contains(auth) else {
                throw error(
                    .invalidValue,
                    "auth",
                    "\(settings.type) supports \(allowed.map(\.rawValue).joined(separator: ", ")), not \(auth.rawValue)"
                )
            }
            return auth
        }

        /// The header an anthropic key goes in: `apiKeyHeader` when set (a valid header name),
        /// else `fallback`.
        func apiKeyHeader(default fallback: String) throws(ProviderConfigurationError) -> String {
            guard let header = settings.apiKeyHeader else { return fallback }
            // RFC 9110 token characters only: a header name from config never splits a request.
            let allowed = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
            guard !header.isEmpty, header.utf8.allSatisfy(allowed.contains) else {
                throw error(.invalidValue, "api_key_header", "'\(header)' is not a valid header name (x-api-key, or api-key on Foundry)")
            }
            return header
        }

        func environmentValue(_ variable: String, setting: String) throws(ProviderConfigurationError) -> String {
            guard let value = environment[variable], !value.isEmpty else {
                throw error(.missingEnvironmentVariable, setting, "environment variable \(variable) is not set")
            }
            return value
        }

        func apiKey() throws(ProviderConfigurationError) -> SecretSource {
            guard let variable = settings.apiKeyEnv, !variable.isEmpty else {
                throw error(.missingSetting, "api_key_env", "auth api_key needs the name of the environment variable holding the key")
            }
            return SecretSource(value: try environmentValue(variable, setting: "api_key_env"), variable: variable)
        }

        func bearerToken() throws(ProviderConfigurationError) -> SecretSource {
            if let path = settings.tokenFile, !path.isEmpty {
                return SecretSource(file: path)
            }
            if let variable = settings.tokenEnv, !variable.isEmpty {
                return SecretSource(value: try environmentValue(variable, setting: "token_env"), variable: variable)
            }
            if let variable = settings.apiKeyEnv, !variable.isEmpty {
                return SecretSource(value: try environmentValue(variable, setting: "api_key_env"), variable: variable)
            }
            throw error(.missingSetting, "token_file", "auth bearer needs token_file, token_env or api_key_env")
        }
    }
}
