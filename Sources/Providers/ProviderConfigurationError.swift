/// A provider's settings cannot make a working adapter: an unknown type, a missing setting, an
/// environment variable that is not set. It names the provider and the config key, never a value.
package struct ProviderConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: Hashable { case unknownType, missingSetting, missingEnvironmentVariable, invalidValue }
        private let value: Value

        package static let unknownType = Code(value: .unknownType)
        package static let missingSetting = Code(value: .missingSetting)
        package static let missingEnvironmentVariable = Code(value: .missingEnvironmentVariable)
        package static let invalidValue = Code(value: .invalidValue)

        package var description: String {
            switch value {
            case .unknownType: "unknown provider type"
            case .missingSetting: "missing setting"
            case .missingEnvironmentVariable: "environment variable not set"
            case .invalidValue: "invalid value"
            }
        }
    }

    package var code: Code
    /// The provider's name in the config.
    package var provider: String
    /// The config key at fault, as a path (`providers.claude.api_key_env`).
    package var setting: String
    package var message: String

    package init(code: Code, provider: String, setting: String, message: String) {
        self.code = code
        self.provider = provider
        self.setting = setting
        self.message = message
    }

    package var description: String { "\(setting): \(code): \(message)" }
}
