/// A JSON document as a value: what a job's `metadata`, a `json_schema` response format, and a
/// provider's structured output are carried as, without committing to a Swift type.
///
/// Guarantees: decoding then encoding keeps every value (numbers as `Double`, so integers beyond
/// 2^53 lose precision); object member order is not kept.
package enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The member `key` of an object, or `nil` for any other value or a missing member.
    package subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The string inside a `.string`, else `nil`.
    package var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The truth value inside a `.bool`, else `nil`.
    package var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The number inside a `.number`, else `nil`.
    package var numberValue: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    /// The number inside a `.number` when it is a whole number below 2^53 in magnitude, else `nil`.
    package var intValue: Int? {
        guard case .number(let value) = self, value.rounded() == value, abs(value) < 9.0e15 else { return nil }
        return Int(value)
    }

    /// The number inside a `.number` as text, for messages: a whole number below 2^53 in
    /// magnitude without a fraction (`429`), any other in the shortest form that reads back as
    /// the same `Double` (`0.5`, `1e+300`, `-0.0`); `nil` for any other value. Never traps.
    package var numberText: String? {
        guard case .number(let value) = self else { return nil }
        if let whole = intValue { return String(whole) }
        return value.description
    }

    /// The members of an `.object`, else `nil`.
    package var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// The elements of an `.array`, else `nil`.
    package var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The JSON type name of this value, as JSON Schema spells it (`integer` for whole numbers).
    package var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number(let n): n.rounded() == n && n.isFinite ? "integer" : "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

extension JSONValue: Codable {
    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if let whole = self.intValue {
                try container.encode(whole)
            } else {
                try container.encode(value)
            }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}
