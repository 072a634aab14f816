import Completions

/// A value that breaks a document's schema, with the path of the field and what was expected.
/// Internal: ``JobRejection`` and ``ConfigError`` are what callers see.
struct FieldError: Error, Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        /// A member that the schema does not define.
        case unknownField
        /// A required member that is absent.
        case missingField
        /// A value of the wrong type, range or form.
        case invalidValue
    }

    var kind: Kind
    var path: FieldPath
    var detail: String

    static func unknown(_ path: FieldPath, allowed: [String]) -> FieldError {
        FieldError(
            kind: .unknownField,
            path: path,
            detail: "unknown field (expected one of: \(allowed.sorted().joined(separator: ", ")))"
        )
    }

    static func missing(_ path: FieldPath) -> FieldError {
        FieldError(kind: .missingField, path: path, detail: "required field is missing")
    }

    static func invalid(_ path: FieldPath, expected: String, got value: JSONValue) -> FieldError {
        FieldError(kind: .invalidValue, path: path, detail: "expected \(expected), got \(value.shortDescription)")
    }

    static func invalid(_ path: FieldPath, _ detail: String) -> FieldError {
        FieldError(kind: .invalidValue, path: path, detail: detail)
    }
}

extension JSONValue {
    /// The value as an error message quotes it: strings quoted and cut at 60 characters, numbers
    /// and literals as written, containers by kind only (they may be large or hold secrets).
    var shortDescription: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .number(let value):
            return intValue.map(String.init) ?? String(value)
        case .string(let value):
            let cut = value.count > 60 ? String(value.prefix(60)) + "..." : value
            return "\"" + cut + "\""
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
