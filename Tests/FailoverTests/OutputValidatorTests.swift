import Completions
import Failover
import Testing

@Suite struct OutputValidatorTests {
    static let schema = JSONValue.object([
        "type": .string("object"),
        "required": .array([.string("summary"), .string("tags")]),
        "additionalProperties": .bool(false),
        "properties": .object([
            "summary": .object(["type": .string("string"), "minLength": .number(1)]),
            "tags": .object(["type": .string("array"), "items": .object(["type": .string("string")]), "minItems": .number(1), "maxItems": .number(3)]
            ),
            "sentiment": .object(["enum": .array([.string("positive"), .string("negative")])]),
            "score": .object(["type": .array([.string("integer"), .string("null")])]),
            "version": .object(["const": .number(1)]),
        ]),
    ])

    struct Row: Sendable, CustomTestStringConvertible {
        var text: String
        var valid: Bool
        var testDescription: String { "\(valid ? "valid" : "invalid"): \(text)" }
    }

    @Test(arguments: [
        Row(text: #"{"summary": "s", "tags": ["a"]}"#, valid: true),
        Row(text: "```json\n{\"summary\": \"s\", \"tags\": [\"a\"]}\n```", valid: true),
        Row(text: "```\n{\"summary\": \"s\", \"tags\": [\"a\"]}\n```", valid: true),
        Row(text: #"{"summary": "s", "tags": ["a"], "sentiment": "positive", "score": 3, "version": 1}"#, valid: true),
        Row(text: #"{"summary": "s", "tags": ["a"], "score": null}"#, valid: true),
        Row(text: #"{"summary": "s"}"#, valid: false),  // required
        Row(text: #"{"summary": 3, "tags": ["a"]}"#, valid: false),  // type
        Row(text: #"{"summary": "s", "tags": [1]}"#, valid: false),  // items
        Row(text: #"{"summary": "s", "tags": []}"#, valid: false),  // minItems
        Row(text: #"{"summary": "s", "tags": ["a", "b", "c", "d"]}"#, valid: false),  // maxItems
        Row(text: #"{"summary": "s", "tags": ["a"], "extra": 1}"#, valid: false),  // additionalProperties
        Row(text: #"{"summary": "s", "tags": ["a"], "sentiment": "meh"}"#, valid: false),  // enum
        Row(text: #"{"summary": "s", "tags": ["a"], "score": 2.5}"#, valid: false),  // integer
        Row(text: #"{"summary": "s", "tags": ["a"], "version": 2}"#, valid: false),  // const
        Row(text: #"{"summary": "", "tags": ["a"]}"#, valid: false),  // minLength
        Row(text: #"["summary"]"#, valid: false),  // top-level type
        Row(text: "Here is the summary: it went well.", valid: false),  // not JSON
        Row(text: #"{"summary": "s", "tags": ["a"]"#, valid: false),  // truncated
        Row(text: "", valid: false),
        Row(text: "   \n ", valid: false),
    ])
    func checksSchema(row: Row) {
        let problem = OutputValidator.violation(in: row.text, format: .jsonSchema(Self.schema))
        #expect((problem == nil) == row.valid, "\(problem ?? "valid")")
    }

    @Test func textFormatOnlyRejectsEmpty() {
        #expect(OutputValidator.violation(in: "anything", format: .text) == nil)
        #expect(OutputValidator.violation(in: "", format: .text) == "empty output")
    }

    @Test func messagesNameThePath() {
        let problem = OutputValidator.violation(in: #"{"summary": "s", "tags": ["a", 2]}"#, format: .jsonSchema(Self.schema))
        #expect(problem == "$.tags[1]: expected string, got integer")
    }

    @Test func additionalPropertiesSchemaAndBooleanSchemas() {
        let schema = JSONValue.object(["type": .string("object"), "additionalProperties": .object(["type": .string("number")])])
        #expect(OutputValidator.violation(of: .object(["a": .number(1)]), schema: schema) == nil)
        #expect(OutputValidator.violation(of: .object(["a": .string("x")]), schema: schema) != nil)
        #expect(OutputValidator.violation(of: .null, schema: .bool(true)) == nil)
        #expect(OutputValidator.violation(of: .null, schema: .bool(false)) != nil)
    }

    // MARK: Job-supplied numbers and nesting (issue 9): handled as numbers, never trapped on.

    @Test(
        arguments: [
            (#"{"type": "string", "maxLength": 1e300}"#, #""abc""#, nil),
            (#"{"type": "string", "maxLength": -1e300}"#, #""abc""#, "$: longer than -1e+300"),
            (#"{"type": "string", "maxLength": -1}"#, #""abc""#, "$: longer than -1"),
            (#"{"type": "string", "minLength": 1e300}"#, #""abc""#, "$: shorter than 1e+300"),
            (#"{"type": "string", "minLength": -1e300}"#, #""abc""#, nil),
            (#"{"type": "string", "maxLength": 2.5}"#, #""abc""#, "$: longer than 2.5"),
            (#"{"type": "string", "maxLength": 12345678901234567890}"#, #""abc""#, nil),
            (#"{"type": "array", "minItems": 1e300}"#, "[1]", "$: fewer than 1e+300 items"),
            (#"{"type": "array", "maxItems": -1e300}"#, "[1]", "$: more than -1e+300 items"),
            (#"{"type": "array", "maxItems": -0}"#, "[1]", "$: more than 0 items"),
            (#"{"type": "array", "maxItems": 1e-400}"#, "[]", nil),
        ] as [(String, String, String?)])
    func schemaNumbersAtTheEdges(schema: String, output: String, expected: String?) throws {
        let schema = try #require(OutputValidator.parseJSON(schema))
        #expect(OutputValidator.violation(in: output, format: .jsonSchema(schema)) == expected)
    }

    @Test func deepOutputIsRefusedNotRecursedInto() {
        let deep = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
        #expect(OutputValidator.violation(in: deep, format: .jsonSchema(.object(["type": .string("array")]))) == "output is not valid JSON")
    }

    @Test func deepValuesStopAtTheDepthLimit() {
        // A value and a schema nested past the limit, built directly (not parsed).
        var value = JSONValue.array([])
        var schema = JSONValue.object(["type": .string("array")])
        for _ in 0..<(OutputValidator.maxDepth + 20) {
            value = .array([value])
            schema = .object(["type": .string("array"), "items": schema])
        }
        let problem = OutputValidator.violation(of: value, schema: schema)
        #expect(problem?.hasSuffix("nested deeper than \(OutputValidator.maxDepth) levels") == true)
        #expect(problem?.hasPrefix("$[0][0]") == true)
    }

    @Test func longNamesAreCutInMessages() throws {
        let name = String(repeating: "k", count: 100_000)
        let schema = JSONValue.object(["required": .array([.string(name)])])
        let problem = try #require(OutputValidator.violation(of: .object([:]), schema: schema))
        #expect(problem.utf8.count < 200)
        let closed = JSONValue.object(["additionalProperties": .bool(false)])
        let unexpected = try #require(OutputValidator.violation(of: .object([name: .null]), schema: closed))
        #expect(unexpected.utf8.count < 200)
        let nested = JSONValue.object(["properties": .object([name: .object(["type": .string("string")])])])
        let path = try #require(OutputValidator.violation(of: .object([name: .null]), schema: nested))
        #expect(path.utf8.count < 200)
        #expect(path.hasSuffix(": expected string, got null"))
    }
}
