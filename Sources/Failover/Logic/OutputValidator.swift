import Completions
import Foundation

/// Checks a model's output against the job's `response_format`, so a failover never quietly
/// changes the shape the application expects.
///
/// Rules: empty (or whitespace-only) output is invalid for every format. With `.jsonSchema`,
/// the text must parse as JSON (a single fenced block, ```` ```json … ``` ````, is tolerated)
/// and satisfy the schema. Supported keywords: `type` (a name or a list), `properties`,
/// `required`, `additionalProperties` (boolean or schema), `items`, `enum`, `const`,
/// `minItems`, `maxItems`, `minLength`, `maxLength`; other keywords are ignored (permissive).
public enum OutputValidator {
    /// What counts as blank: the set `trimmingCharacters(in: .whitespacesAndNewlines)` trims.
    private static let blank = CharacterSet.whitespacesAndNewlines

    /// Why `text` does not satisfy `format`, or `nil` when it does.
    public static func violation(in text: String, format: CompletionRequest.ResponseFormat) -> String? {
        // Scan for one non-blank scalar rather than trim: free text, the common case, is then
        // checked without copying it (it usually stops at the first scalar).
        guard text.unicodeScalars.contains(where: { !blank.contains($0) }) else { return "empty output" }
        guard case .jsonSchema(let schema) = format else { return nil }
        guard let value = parseJSON(text) else { return "output is not valid JSON" }
        return violation(of: value, schema: schema, path: "$")
    }

    /// Parses `text` as JSON, tolerating a surrounding Markdown code fence.
    public static func parseJSON(_ text: String) -> JSONValue? {
        var body = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))
        if body.hasPrefix("```") {
            guard let firstNewline = body.firstIndex(of: "\n") else { return nil }
            body = body[body.index(after: firstNewline)...]
            let tail = body.trimmingCharacters(in: .whitespacesAndNewlines)
            guard tail.hasSuffix("```") else { return nil }
            body = Substring(tail.dropLast(3))
        }
        return try? JSONDecoder().decode(JSONValue.self, from: Data(body.utf8))
    }

    /// Why `value` does not satisfy `schema`, or `nil` when it does. `path` names the value in
    /// the message (`$.items[2].name`).
    public static func violation(of value: JSONValue, schema: JSONValue, path: String = "$") -> String? {
        if case .bool(let allowed) = schema { return allowed ? nil : "\(path): not allowed" }
        guard let keywords = schema.objectValue else { return nil }

        if let type = keywords["type"] {
            let names = type.arrayValue?.compactMap(\.stringValue) ?? [type.stringValue].compactMap { $0 }
            if !names.isEmpty, !names.contains(where: { matches(value, typeName: $0) }) {
                return "\(path): expected \(names.joined(separator: " or ")), got \(value.typeName)"
            }
        }
        if let options = keywords["enum"]?.arrayValue, !options.contains(value) {
            return "\(path): not one of the allowed values"
        }
        if let constant = keywords["const"], constant != value {
            return "\(path): not the required constant"
        }
        if case .string(let string) = value {
            let length = string.count
            if let minimum = keywords["minLength"]?.numberValue, Double(length) < minimum { return "\(path): shorter than \(Int(minimum))" }
            if let maximum = keywords["maxLength"]?.numberValue, Double(length) > maximum { return "\(path): longer than \(Int(maximum))" }
        }
        if case .array(let elements) = value {
            if let minimum = keywords["minItems"]?.numberValue, Double(elements.count) < minimum {
                return "\(path): fewer than \(Int(minimum)) items"
            }
            if let maximum = keywords["maxItems"]?.numberValue, Double(elements.count) > maximum {
                return "\(path): more than \(Int(maximum)) items"
            }
            if let itemSchema = keywords["items"] {
                for (offset, element) in elements.enumerated() {
                    if let problem = violation(of: element, schema: itemSchema, path: "\(path)[\(offset)]") { return problem }
                }
            }
        }
        if case .object(let members) = value {
            for name in keywords["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where members[name] == nil {
                return "\(path): missing required property \"\(name)\""
            }
            let properties = keywords["properties"]?.objectValue ?? [:]
            for (name, member) in members.sorted(by: { $0.key < $1.key }) {
                if let propertySchema = properties[name] {
                    if let problem = violation(of: member, schema: propertySchema, path: "\(path).\(name)") { return problem }
                } else if let additional = keywords["additionalProperties"] {
                    if case .bool(false) = additional { return "\(path): unexpected property \"\(name)\"" }
                    if let problem = violation(of: member, schema: additional, path: "\(path).\(name)") { return problem }
                }
            }
        }
        return nil
    }

    private static func matches(_ value: JSONValue, typeName: String) -> Bool {
        switch (typeName, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): true
        case ("number", .number): true
        case ("integer", .number(let number)): number.isFinite && number.rounded() == number
        default: false
        }
    }
}
