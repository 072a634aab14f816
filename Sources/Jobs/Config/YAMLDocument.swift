import Completions
import Foundation
import Yams

/// Turns YAML text into the JSON data model the config is validated in, substituting `${VAR}` and
/// `${VAR:-default}` from the environment in string values. A plain (unquoted) scalar is typed
/// after substitution, so `max_in_flight: ${MAX_IN_FLIGHT}` gives an integer; a quoted one stays
/// a string. YAML timestamps and other non-JSON types stay strings.
///
/// Guarantees: never traps on its input. The text is at most ``UnderstudyConfig/maxConfigBytes``,
/// libyaml refuses nesting past 1,000 levels, and the document is converted no deeper than
/// ``maxDepth`` levels (a config needs 6); every failure is a ``ConfigError`` with a key path.
enum YAMLDocument {
    /// The deepest nesting converted: far more than a config needs, small enough for any stack.
    static let maxDepth = 64

    static func parse(_ yaml: String, environment: [String: String]) throws(ConfigError) -> JSONValue {
        let size = yaml.utf8.count
        guard size <= UnderstudyConfig.maxConfigBytes else {
            throw ConfigError(code: .invalidYAML, keyPath: "$", detail: "\(size) bytes, more than \(UnderstudyConfig.maxConfigBytes)")
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigError(code: .invalidYAML, keyPath: "$", detail: "not valid YAML: \(error)")
        }
        guard let node else { return .object([:]) }
        return try convert(node, at: .root, depth: 0, environment: environment)
    }

    private static func convert(
        _ node: Node,
        at path: FieldPath,
        depth: Int,
        environment: [String: String]
    ) throws(ConfigError) -> JSONValue {
        guard depth < maxDepth else {
            throw ConfigError(code: .invalidValue, keyPath: path.description, detail: "nested deeper than \(maxDepth) levels")
        }
        switch node {
        case .scalar(var scalar):
            if scalar.string.contains("${") {
                let substituted = try substitute(scalar.string, at: path, environment: environment)
                if scalar.style == .plain || scalar.style == .any {
                    scalar = Node.Scalar(substituted, .implicit, .plain, scalar.mark)
                } else {
                    return .string(substituted)
                }
            }
            return value(of: .scalar(scalar))
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard let name = key.scalar?.string else {
                    throw ConfigError(code: .invalidValue, keyPath: path.description, detail: "a key is not a plain string")
                }
                let childPath = path.appending(name)
                guard members[name] == nil else {
                    throw ConfigError(code: .invalidValue, keyPath: childPath.description, detail: "key appears twice")
                }
                members[name] = try convert(value, at: childPath, depth: depth + 1, environment: environment)
            }
            return .object(members)
        case .sequence(let sequence):
            var elements: [JSONValue] = []
            for (index, element) in sequence.enumerated() {
                elements.append(try convert(element, at: path.appending(index: index), depth: depth + 1, environment: environment))
            }
            return .array(elements)
        case .alias:
            throw ConfigError(code: .invalidValue, keyPath: path.description, detail: "YAML aliases are not supported")
        }
    }

    private static func value(of node: Node) -> JSONValue {
        guard case .scalar(let scalar) = node else { return .null }
        switch Tag.Name(rawValue: node.tag.rawValue) {
        case .null: return .null
        case .bool: return node.bool.map(JSONValue.bool) ?? .string(scalar.string)
        case .int:
            if let integer = node.int { return .number(Double(integer)) }
            return .string(scalar.string)
        case .float:
            if let number = node.float, number.isFinite { return .number(number) }
            return .string(scalar.string)
        default: return .string(scalar.string)
        }
    }

    /// Replaces every `${NAME}` and `${NAME:-fallback}` in `text`.
    static func substitute(_ text: String, at path: FieldPath, environment: [String: String]) throws(ConfigError) -> String {
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            result += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw ConfigError(code: .invalidValue, keyPath: path.description, detail: "unterminated ${ in \"\(text)\"")
            }
            let reference = rest[start.upperBound..<end]
            let name: Substring
            let fallback: Substring?
            if let separator = reference.range(of: ":-") {
                name = reference[..<separator.lowerBound]
                fallback = reference[separator.upperBound...]
            } else {
                name = reference
                fallback = nil
            }
            guard isVariableName(name) else {
                throw ConfigError(
                    code: .invalidValue,
                    keyPath: path.description,
                    detail: "\"${\(reference)}\" is not a valid environment variable reference"
                )
            }
            if let value = environment[String(name)], !value.isEmpty {
                result += value
            } else if let fallback {
                result += fallback
            } else {
                throw ConfigError(
                    code: .missingEnvironmentVariable,
                    keyPath: path.description,
                    detail: "environment variable \(name) is not set (referenced as ${\(name)})"
                )
            }
            rest = rest[rest.index(after: end)...]
        }
        result += rest
        return result
    }

    private static func isVariableName(_ name: Substring) -> Bool {
        func isLetter(_ scalar: Unicode.Scalar) -> Bool { ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || scalar == "_" }
        guard let first = name.unicodeScalars.first, isLetter(first) else { return false }
        return name.unicodeScalars.allSatisfy { isLetter($0) || ("0"..."9").contains($0) }
    }
}
