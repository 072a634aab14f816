import Completions
import Foundation

/// One entry of the `providers` section, as written: the worker maps it to the Providers module's
/// settings. Credentials are named (environment variables, a token file), never held: the config
/// only checks that a named variable is set.
public struct ProviderConfig: Sendable, Hashable {
    /// The adapter (wire format) a provider speaks.
    public enum ProviderType: String, Sendable, Hashable, CaseIterable {
        case anthropic
        case openai
        case azureOpenAI = "azure-openai"
        case bedrock
        case gemini
        /// The built-in offline summarizer: no network, no key.
        case extractive
    }

    /// How the credential is sent.
    public enum Auth: String, Sendable, Hashable, CaseIterable {
        /// The provider's own key header (`x-api-key`, `api-key`, ...).
        case apiKey = "api_key"
        /// `Authorization: Bearer ...`.
        case bearer
    }

    /// The provider's name: its key under `providers`, what routes name.
    public var name: String
    public var type: ProviderType
    /// `http://` or `https://`; `nil` means the adapter's default endpoint.
    public var baseURL: URL?
    /// The environment variable that holds the API key (checked to be set, never read here).
    public var apiKeyEnv: String?
    /// Default `api_key`.
    public var auth: Auth
    /// The environment variable that holds a bearer token.
    public var tokenEnv: String?
    /// A file that holds a bearer token, read at call time (it may be rotated).
    public var tokenFile: String?
    /// The API version some providers require (Azure OpenAI's `api-version`).
    public var apiVersion: String?
    /// The cloud region (Bedrock).
    public var region: String?
    /// Use the provider's own structured-output feature for `json_schema` jobs. Default false.
    public var nativeStructuredOutput: Bool
    /// Calls in flight to this provider at most; `nil`: bounded only by `worker.max_in_flight`.
    public var maxConcurrency: Int?
    /// A route of this provider whose recent latency exceeds this is demoted; `nil`: never.
    public var slowAfterMs: Int?

    public init(
        name: String,
        type: ProviderType,
        baseURL: URL? = nil,
        apiKeyEnv: String? = nil,
        auth: Auth = .apiKey,
        tokenEnv: String? = nil,
        tokenFile: String? = nil,
        apiVersion: String? = nil,
        region: String? = nil,
        nativeStructuredOutput: Bool = false,
        maxConcurrency: Int? = nil,
        slowAfterMs: Int? = nil
    ) {
        self.name = name
        self.type = type
        self.baseURL = baseURL
        self.apiKeyEnv = apiKeyEnv
        self.auth = auth
        self.tokenEnv = tokenEnv
        self.tokenFile = tokenFile
        self.apiVersion = apiVersion
        self.region = region
        self.nativeStructuredOutput = nativeStructuredOutput
        self.maxConcurrency = maxConcurrency
        self.slowAfterMs = slowAfterMs
    }

    static func read(
        name: String,
        _ value: JSONValue,
        _ path: FieldPath,
        environment: [String: String]
    ) throws(FieldError) -> ProviderConfig {
        let object = try ObjectReader(value, at: path)
        try object.rejectUnknown([
            "type", "base_url", "api_key_env", "auth", "token_env", "token_file", "api_version", "region",
            "native_structured_output", "max_concurrency", "slow_after_ms",
        ])
        let environmentVariable = { (value: JSONValue, path: FieldPath) throws(FieldError) -> String in
            let variable = try Read.nonEmptyString(value, path)
            guard let set = environment[variable], !set.isEmpty else {
                throw .invalid(path, "environment variable \(variable) is not set")
            }
            return variable
        }
        let config = ProviderConfig(
            name: name,
            type: try object.required("type", Read.oneOf(ProviderType.self)),
            baseURL: try object.optional("base_url", readBaseURL),
            apiKeyEnv: try object.optional("api_key_env", environmentVariable),
            auth: try object.optional("auth", Read.oneOf(Auth.self)) ?? .apiKey,
            tokenEnv: try object.optional("token_env", environmentVariable),
            tokenFile: try object.optional("token_file", Read.nonEmptyString),
            apiVersion: try object.optional("api_version", Read.nonEmptyString),
            region: try object.optional("region", Read.nonEmptyString),
            nativeStructuredOutput: try object.optional("native_structured_output", Read.bool) ?? false,
            maxConcurrency: try object.optional("max_concurrency", Read.integer(in: 1...1_000_000)),
            slowAfterMs: try object.optional("slow_after_ms", Read.integer(in: 1...Int.max))
        )
        if config.type == .azureOpenAI, config.baseURL == nil {
            throw .missing(path.appending("base_url"))
        }
        if config.type == .bedrock, config.region == nil, config.baseURL == nil {
            throw .invalid(path.appending("region"), "required for type \"bedrock\" unless base_url is set")
        }
        return config
    }

    private static func readBaseURL(_ value: JSONValue, _ path: FieldPath) throws(FieldError) -> URL {
        let text = try Read.string(value, path)
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else {
            throw .invalid(path, expected: "an http:// or https:// URL", got: value)
        }
        return url
    }
}
