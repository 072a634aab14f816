/// A provider's settings cannot make a working adapter: an unknown type, a missing setting, an
/// environment variable that is not set. It names the provider and the config key, never a value.
public struct ProviderConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: Hashable { case unknownType, missingSetting, missingEnvironmentVariable, invalidValue }
        private let value: Value

        public static let unknownType = Code(value: .unknownType)
        public static let missingSetting = Code(value: .missingSetting)
        public static let missingEnvironmentVariable = Code(value: .missingEnvironmentVariable)
        public static let invalidValue = Code(value: .invalidValue)

        public var description: String {
            switch value {
            case .unknownType: "unknown provider type"
            case .missingSetting: "missing setting"
            case .missingEnvironmentVariable: "environment variable not set"
            case .invalidValue: "invalid value"
            }
        }
    }

    public var code: Code
    /// The provider's name in the config.
    public var provider: String
    /// The config key at fault, as a path (`providers.claude.api_key_env`).
    public var setting: String
    public var message: String

    public init(code: Code, provider: String, setting: String, message: String) {
        self.code = code
        self.provider = provider
        self.setting = setting
        self.message = message
    }

    public var description: String { "\(setting): \(code): \(message)" }
}
