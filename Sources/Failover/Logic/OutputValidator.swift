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
///
/// Guarantees (the schema is the job's and the text the model's: both are outside input): never
/// traps. Numeric keywords are compared as numbers, whatever their size or sign (`1e300`, `-1`,
/// `0.5`), and printed as numbers. Values nested deeper than ``maxDepth`` are a violation, not a
/// deeper recursion; the parser refuses deeper text before that. Names in a message are cut to
/// ``maxNameBytes``, and the path is built only when there is a violation.
package enum OutputValidator {
    /// Values nested deeper than this (counting from the document's root) are a violation.
    package static let maxDepth = JSONParser.maxDepth
    /// The most UTF-8 bytes of one property name a message quotes.
    package static let maxNameBytes = 64

    /// What counts as blank: the set `trimmingCharacters(in: .whitespacesAndNewlines)` trims.
    private static let blank = CharacterSet.whitespacesAndNewlines

    /// Why `text` does not satisfy `format`, or `nil` when it does.
    package static func violation(in text: String, format: CompletionRequest.ResponseFormat) -> String? {
        // Scan for one non-blank scalar rather than trim: free text, the common case, is then
        // checked without copying it (it usually stops at the first scalar).
        guard text.unicodeScalars.contains(where: { !blank.contains($0) }) else { return "empty output" }
        guard case .jsonSchema(let schema) = format else { return nil }
        guard let value = parseJSON(text) else { return "output is not valid JSON" }
        return violation(of: value, schema: schema, path: "$")
    }

    /// Parses `text` as JSON (strict RFC 8259, nesting bounded by ``JSONParser/maxDepth``),
    /// tolerating a surrounding Markdown code fence.
    package static func parseJSON(_ text: String) -> JSONValue? {
        var body = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))
        if body.hasPrefix("```") {
            guard let firstNewline = body.firstIndex(of: "\n") else { return nil }
            body = body[body.index(after: firstNewline)...]
            let tail = body.trimmingCharacters(in: .whitespacesAndNewlines)
            guard tail.hasSuffix("```") else { return nil }
            body = Substring(tail.dropLast(3))
        }
        return try? JSONParser.parse(body.utf8)
    }

    /// Why `value` does not satisfy `schema`, or `nil` when it does. `path` names the value in
    /// the message (`$.items[2].name`).
    package static func violation(of value: JSONValue, schema: JSONValue, path: String = "$") -> String? {
        guard let found = check(value, schema: schema, depth: 0) else { return nil }
        var text = path
        for step in found.path.reversed() {
            switch step {
            case .member(let name): text += "." + ProviderFailure.bounded(name, toBytes: maxNameBytes)
            case .index(let index): text += "[\(index)]"
            }
        }
        return "\(text): \(found.reason)"
    }

    /// A violation: what is wrong, and where (innermost step first, added as the check unwinds).
    private struct Found {
        enum Step {
            case member(String)
            case index(Int)
        }

        var reason: String
        var path: [Step] = []

        func within(_ step: Step) -> Found {
            var found = self
            found.path.append(step)
            return found
        }
    }

    private static func check(_ value: JSONValue, schema: JSONValue, depth: Int) -> Found? {
        if case .bool(let allowed) = schema { return allowed ? nil : Found(reason: "not allowed") }
        guard let keywords = schema.objectValue else { return nil }
        guard depth < maxDepth else { return Found(reason: "nested deeper than \(maxDepth) levels") }

        if let type = keywords["type"] {
            let names = type.arrayValue?.compactMap(\.stringValue) ?? [type.stringValue].compactMap { $0 }
            if !names.isEmpty, !names.contains(where: { matches(value, typeName: $0) }) {
                let expected = names.map { ProviderFailure.bounded($0, toBytes: maxNameBytes) }.joined(separator: " or ")
                return Found(reason: "expected \(expected), got \(value.typeName)")
            }
        }
        if let options = keywords["enum"]?.arrayValue, !options.contains(value) {
            return Found(reason: "not one of the allowed values")
        }
        if let constant = keywords["const"], constant != value {
            return Found(reason: "not the required constant")
        }
        if case .string(let string) = value, keywords["minLength"] != nil || keywords["maxLength"] != nil {
            // Counted only when a length keyword asks (a count walks the whole string).
            let length = Double(string.count)
            if let minimum = keywords["minLength"], let bound = minimum.numberValue, length < bound {
                return Found(reason: "shorter than \(describe(minimum))")
            }
            if let maximum = keywords["maxLength"], let bound = maximum.numberValue, length > bound {
                return Found(reason: "longer than \(describe(maximum))")
            }
        }
        if case .array(let elements) = value {
            if let minimum = keywords["minItems"], let bound = minimum.numberValue, Double(elements.count) < bound {
                return Found(reason: "fewer than \(describe(minimum)) items")
            }
            if let maximum = keywords["maxItems"], let bound = maximum.numberValue, Double(elements.count) > bound {
                return Found(reason: "more than \(describe(maximum)) items")
            }
            if let itemSchema = keywords["items"] {
                for (offset, element) in elements.enumerated() {
                    if let found = check(element, schema: itemSchema, depth: depth + 1) { return found.within(.index(offset)) }
                }
            }
        }
        if case .object(let members) = value {
            for name in keywords["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where members[name] == nil {
                return Found(reason: "missing required property \"\(ProviderFailure.bounded(name, toBytes: maxNameBytes))\"")
            }
            let properties = keywords["properties"]?.objectValue ?? [:]
            for (name, member) in members.sorted(by: { $0.key < $1.key }) {
                if let propertySchema = properties[name] {
                    if let found = check(member, schema: propertySchema, depth: depth + 1) { return found.within(.member(name)) }
                } else if let additional = keywords["additionalProperties"] {
                    if case .bool(false) = additional {
                        return Found(reason: "unexpected property \"\(ProviderFailure.bounded(name, toBytes: maxNameBytes))\"")
                    }
                    if let found = check(member, schema: additional, depth: depth + 1) { return found.within(.member(name)) }
                }
            }
        }
        return nil
    }

    /// A schema number as the job wrote it (`3`, `1e+300`, `-1`, `0.5`), never converted to `Int`.
    private static func describe(_ number: JSONValue) -> String {
        number.numberText ?? "?"
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
