/// Why a config cannot be used: start-up stops with it and `check-config` prints it. The message
/// names the key path (`workloads.support-summaries.routes[1].provider: ...`).
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem it is.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String

        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// The file could not be read.
        public static let unreadableFile = Code(rawValue: "unreadable_file")
        /// Not YAML.
        public static let invalidYAML = Code(rawValue: "invalid_yaml")
        /// A key the config does not define.
        public static let unknownKey = Code(rawValue: "unknown_key")
        /// A required key is absent.
        public static let missingKey = Code(rawValue: "missing_key")
        /// A value of the wrong type, range or form (an unknown provider type among them).
        public static let invalidValue = Code(rawValue: "invalid_value")
        /// A route names a provider that `providers` does not define.
        public static let undefinedProvider = Code(rawValue: "undefined_provider")
        /// A `${VAR}`, `api_key_env` or `token_env` names an unset environment variable.
        public static let missingEnvironmentVariable = Code(rawValue: "missing_environment_variable")

        public var description: String { rawValue }
    }

    public var code: Code
    /// The key path (`kafka.topics.jobs`, `workloads.w.routes[1].provider`); `$` for the document.
    public var keyPath: String
    /// What was expected and what was found, without the path.
    public var detail: String

    public init(code: Code, keyPath: String, detail: String) {
        self.code = code
        self.keyPath = keyPath
        self.detail = detail
    }

    /// `keyPath: detail`.
    public var message: String { keyPath + ": " + detail }

    public var description: String { message }
}

extension ConfigError {
    init(_ error: FieldError) {
        let code: Code
        switch error.kind {
        case .unknownField: code = .unknownKey
        case .missingField: code = .missingKey
        case .invalidValue: code = .invalidValue
        }
        self.init(code: code, keyPath: error.path.description, detail: error.detail.replacingUnknownField())
    }
}

extension String {
    fileprivate func replacingUnknownField() -> String {
        hasPrefix("unknown field") ? "unknown key" + dropFirst("unknown field".count) : self
    }
}
