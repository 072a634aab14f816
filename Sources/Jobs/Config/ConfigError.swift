/// Why a config cannot be used: start-up stops with it and `check-config` prints it. The message
/// names the key path (`workloads.support-summaries.routes[1].provider: ...`).
package struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem it is.
    package struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        package let rawValue: String

        package init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// The file could not be read.
        package static let unreadableFile = Code(rawValue: "unreadable_file")
        /// Not YAML.
        package static let invalidYAML = Code(rawValue: "invalid_yaml")
        /// A key the config does not define.
        package static let unknownKey = Code(rawValue: "unknown_key")
        /// A required key is absent.
        package static let missingKey = Code(rawValue: "missing_key")
        /// A value of the wrong type, range or form (an unknown provider type among them).
        package static let invalidValue = Code(rawValue: "invalid_value")
        /// A route names a provider that `providers` does not define.
        package static let undefinedProvider = Code(rawValue: "undefined_provider")
        /// A `${VAR}`, `api_key_env` or `token_env` names an unset environment variable.
        package static let missingEnvironmentVariable = Code(rawValue: "missing_environment_variable")

        package var description: String { rawValue }
    }

    package var code: Code
    /// The key path (`kafka.topics.jobs`, `workloads.w.routes[1].provider`); `$` for the document.
    package var keyPath: String
    /// What was expected and what was found, without the path.
    package var detail: String

    package init(code: Code, keyPath: String, detail: String) {
        self.code = code
        self.keyPath = keyPath
        self.detail = detail
    }

    /// `keyPath: detail`.
    package var message: String { keyPath + ": " + detail }

    package var description: String { message }
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
