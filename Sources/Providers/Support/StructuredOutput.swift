import Completions
import Foundation

/// The schema-in-the-prompt form of a `json_schema` response format, for providers without a
/// native feature (or where it is off): the instruction appended to the system prompt, reading
/// the JSON back out of the text, and finding the schema again (the simulator answers with JSON
/// when it sees the instruction).
package enum StructuredOutput {
    /// The line that introduces the schema; stable, because the simulator looks for it.
    package static let marker = "Respond with only one JSON document (no prose, no code fences) that satisfies this JSON Schema:"

    /// `system` with the JSON-only instruction and `schema` appended.
    package static func systemPrompt(_ system: String?, schema: JSONValue) -> String {
        let schemaText = WireJSON.compactString(schema)
        let instruction = "\(marker)\n\(schemaText)"
        guard let system, !system.isEmpty else { return instruction }
        return "\(system)\n\n\(instruction)"
    }

    /// The schema that ``systemPrompt(_:schema:)`` put into `system`, if any.
    package static func schema(inSystemPrompt system: String?) -> JSONValue? {
        guard let system, let range = system.range(of: marker) else { return nil }
        let rest = system[range.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
        return try? JSONDecoder().decode(JSONValue.self, from: Data(rest.utf8))
    }

    /// The JSON text inside a model answer: trimmed, with a surrounding Markdown code fence removed.
    package static func jsonText(from text: String) -> String {
        var trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("```") else { return trimmed }
        if let firstNewline = trimmed.firstIndex(of: "\n") {
            trimmed = String(trimmed[trimmed.index(after: firstNewline)...])
        } else {
            return trimmed
        }
        if trimmed.hasSuffix("```") {
            trimmed = String(trimmed.dropLast(3))
        }
        return trimmed.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
