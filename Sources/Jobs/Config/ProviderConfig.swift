import Completions
import Foundation

/// One entry of the `providers` section, as written: the worker maps it to the Providers module's
/// settings. Credentials are named (environment variables, a token file), never held: the config
/// only checks that a named variable is set.
package struct ProviderConfig: Sendable, Hashable {
    /// The adapter (wire format) a provider speaks.
    package enum ProviderType: String, Sendable, Hashable, CaseIterable {
        case anthropic
        case openai
        case azureOpenAI = "azure-openai"
        case bedrock
        case gemini
        /// The built-in offline summarizer: no network, no key.
        case extractive
    }

    /// How the credential is sent.
    package enum Auth: String, Sendable, Hashable, CaseIterable {
        /// The provider's own key header (`x-api-key`, `api-key`, ...; see ``ProviderConfig/apiKeyHeader``).
        case apiKey = "api_key"
        /// `Authorization: Bearer ...`.
        case bearer
        /// No credential at all (`auth: none`): a keyless OpenAI-compatible server (vLLM,
        /// Ollama), a local gateway. Not named `none`, which `Optional` comparisons would
        /// silently read as `nil`.
        case unauthenticated = "none"
    }

    /// The headers an `anthropic` key may go in: Anthropic's own, or Microsoft Foundry's.
    package static let apiKeyHeaders = ["x-api-key", "api-key"]

    /// The provider's name: its key under `providers`, what routes name.
    package var name: String
    package var type: ProviderType
    /// `http://` or `https://`; `nil` means the adapter's default endpoint.
    package var baseURL: URL?
    /// The environment variable that holds the API key (checked to be set, never read here).
    package var apiKeyEnv: String?
    /// Default `api_key`.
    package var auth: Auth
    /// `anthropic` with `auth: api_key` only: the header the key goes in, `x-api-key` (the
    /// default) or `api-key` (Microsoft Foundry); `nil` is the adapter's default.
    package var apiKeyHeader: String?
    /// The environment variable that holds a bearer token.
    package var tokenEnv: String?
    /// A file that holds a bearer token, read at call time (it may be rotated).
    package var tokenFile: String?
    /// The API version some providers require (Azure OpenAI's `api-version`).
    package var apiVersion: String?
    /// The cloud region (Bedrock).
    package var region: String?
    /// Use the provider's own structured-output feature for `json_schema` jobs. Default false.
    package var nativeStructuredOutput: Bool
    /// Calls in flight to this provider at most; `nil`: bounded only by `worker.max_in_flight`.
    package var maxConcurrency: Int?
    /// A route of this provider whose recent latency exceeds this is demoted; `nil`: never.
    package var slowAfterMs: Int?
    /// The largest response body read from this provider; a larger one is abandoned as
    /// `invalid_output`. Default ``ProviderDefaults/maxResponseBytes``.
    package var maxResponseBytes: Int
    /// How long a response body may take once its head is in, in milliseconds; past it the call
    /// is a `timeout`. Default ``ProviderDefaults/bodyTimeoutMs``.
    package var bodyTimeoutMs: Int

    /// The range `max_response_bytes` may take: room for any real answer, and a bound.
    package static let maxResponseBytesRange = 1_024...(256 << 20)

    package init(
        name: String,
        type: ProviderType,
        baseURL: URL? = nil,
        apiKeyEnv: String? = nil,
        auth: Auth = .apiKey,
        apiKeyHeader: String? = nil,
        tokenEnv: String? = nil,
        tokenFile: String? = nil,
        apiVersion: String? = nil,
        region: String? = nil,
        nativeStructuredOutput: Bool = false,
        maxConcurrency: Int? = nil,
        slowAfterMs: Int? = nil,
        maxResponseBytes: Int = ProviderDefaults.maxResponseBytes,
        bodyTimeoutMs: Int = ProviderDefaults.bodyTimeoutMs
    ) {
        self.name = name
        self.type = type
        self.baseURL = baseURL
        self.apiKeyEnv = apiKeyEnv
        self.auth = auth
        self.apiKeyHeader = apiKeyHeader
        self.tokenEnv = tokenEnv
        self.tokenFile = tokenFile
        self.apiVersion = apiVersion
        self.region = region
        self.nativeStructuredOutput = nativeStructuredOutput
        self.maxConcurrency = maxConcurrency
        self.slowAfterMs = slowAfterMs
        self.maxResponseBytes = maxResponseBytes
        self.bodyTimeoutMs = bodyTimeoutMs
    }

    static func read(
        name: String,
        _ value: JSONValue,
        _ path: FieldPath,
        environment: [String: String]
    ) throws(FieldError) -> ProviderConfig {
        let object = try ObjectReader(value, at: path)
        try object.rejectUnknown([
            "type", "base_url", "api_key_env", "auth", "api_key_header", "token_env", "token_file", "api_version", "region",
            "native_structured_output", "max_concurrency", "slow_after_ms", "max_response_bytes", "body_timeout_ms",
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
            baseURL: try object.optional("base_url", Read.httpURL),
            apiKeyEnv: try object.optional("api_key_env", environmentVariable),
            auth: try object.optional("auth", Read.oneOf(Auth.self)) ?? .apiKey,
            apiKeyHeader: try object.optional("api_key_header", Read.oneOf(apiKeyHeaders) { apiKeyHeaders.contains($0) ? $0 : nil }),
            tokenEnv: try object.optional("token_env", environmentVariable),
            tokenFile: try object.optional("token_file", Read.nonEmptyString),
            apiVersion: try object.optional("api_version", Read.nonEmptyString),
            region: try object.optional("region", Read.nonEmptyString),
            nativeStructuredOutput: try object.optional("native_structured_output", Read.bool) ?? false,
            maxConcurrency: try object.optional("max_concurrency", Read.integer(in: 1...1_000_000)),
            slowAfterMs: try object.optional("slow_after_ms", Read.integer(in: 1...Int.max)),
            maxResponseBytes: try object.optional("max_response_bytes", Read.integer(in: maxResponseBytesRange))
                ?? ProviderDefaults.maxResponseBytes,
            bodyTimeoutMs: try object.optional("body_timeout_ms", Read.integer(in: 1...3_600_000)) ?? ProviderDefaults.bodyTimeoutMs
        )
        if config.type == .azureOpenAI, config.baseURL == nil {
            throw .missing(path.appending("base_url"))
        }
        if config.type == .bedrock, config.region == nil, config.baseURL == nil {
            throw .invalid(path.appending("region"), "required for type \"bedrock\" unless base_url is set")
        }
        if config.auth == .unauthenticated {
            if config.type == .bedrock {
                throw .invalid(
                    path.appending("auth"), "type \"bedrock\" needs a credential: leave auth out for SigV4, or \"bearer\" for a Bedrock API key")
            }
            // A credential named next to `auth: none` would never be sent: say so rather than ignore it.
            for key in ["api_key_env", "token_env", "token_file"] where object.contains(key) {
                throw .invalid(path.appending(key), "auth \"none\" sends no credential; remove \(key) or choose another auth")
            }
        }
        if config.apiKeyHeader != nil {
            if config.type != .anthropic {
                throw .invalid(
                    path.appending("api_key_header"),
                    "only type \"anthropic\" takes a key header; type \"\(config.type.rawValue)\" has a fixed one"
                )
            }
            if config.auth != .apiKey {
                throw .invalid(path.appending("api_key_header"), "only auth \"api_key\" sends a key header")
            }
        }
        return config
    }

    /// `check-config`'s check of ``tokenFile``: it exists, is a regular file, can be read, and
    /// is not empty. The file's content is a secret: it is never read into an error (only its
    /// size is looked at). The worker itself reads the file at call time (a sidecar may write it
    /// after start-up), so loading a config does not check it.
    package func checkTokenFile() throws(ConfigError) {
        guard let tokenFile else { return }
        let keyPath = "providers.\(name).token_file"
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: tokenFile, isDirectory: &isDirectory) else {
            throw ConfigError(code: .unreadableFile, keyPath: keyPath, detail: "\(tokenFile) does not exist")
        }
        guard !isDirectory.boolValue else {
            throw ConfigError(code: .unreadableFile, keyPath: keyPath, detail: "\(tokenFile) is a directory, not a token file")
        }
        guard FileManager.default.isReadableFile(atPath: tokenFile) else {
            throw ConfigError(code: .unreadableFile, keyPath: keyPath, detail: "\(tokenFile) is not readable by this user")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: tokenFile)[.size] as? NSNumber)?.int64Value ?? 0
        guard size > 0 else {
            throw ConfigError(code: .unreadableFile, keyPath: keyPath, detail: "\(tokenFile) is empty")
        }
    }
}
