import Completions
import Failover
import FuzzTesting
import Testing

/// The output validator with job-supplied schemas and model-supplied outputs, both hostile
/// (seeded; see `Fuzz`): never a crash, and the answer is `nil` or a violation that names where.
@Suite struct OutputValidatorFuzzTests {
    static let keywords = [
        "type", "properties", "required", "additionalProperties", "items", "enum", "const", "minItems", "maxItems", "minLength", "maxLength",
        "anyOf", "minimum", "pattern",
    ]
    static let typeNames = ["null", "boolean", "string", "array", "object", "number", "integer", "", "💥"]

    /// A random schema: mostly the keywords the validator reads, with values of any type.
    static func schema(_ random: inout FuzzRandom, depth: Int = 3) -> JSONValue {
        if random.chance(0.1) { return .bool(random.chance(0.5)) }
        if random.chance(0.05) { return FuzzJSON.value(&random, depth: 2) }
        var members: [String: JSONValue] = [:]
        for _ in 0..<Int.random(in: 0...5, using: &random) {
            let keyword = random.pick(keywords)
            switch keyword {
            case "type":
                members[keyword] = random.chance(0.7) ? .string(random.pick(typeNames)) : .array((0..<3).map { _ in .string(random.pick(typeNames)) })
            case "properties" where depth > 0:
                var properties: [String: JSONValue] = [:]
                for _ in 0..<Int.random(in: 0...3, using: &random) {
                    properties[FuzzJSON.string(&random, short: true)] = schema(&random, depth: depth - 1)
                }
                members[keyword] = .object(properties)
            case "items" where depth > 0, "additionalProperties" where depth > 0:
                members[keyword] = schema(&random, depth: depth - 1)
            case "required", "enum":
                members[keyword] = .array((0..<Int.random(in: 0...3, using: &random)).map { _ in FuzzJSON.value(&random, depth: 1) })
            case "minItems", "maxItems", "minLength", "maxLength", "minimum":
                members[keyword] = random.chance(0.9) ? .number(FuzzJSON.number(&random)) : FuzzJSON.value(&random, depth: 1)
            default:
                members[keyword] = FuzzJSON.value(&random, depth: 1)
            }
        }
        return .object(members)
    }

    @Test func randomSchemasAndOutputs() {
        Fuzz.run("OutputValidator") { random, seed in
            let schema = Self.schema(&random)
            let output: [UInt8]
            if random.chance(0.1) {
                output = FuzzJSON.deep(Int.random(in: 200...5000, using: &random), objects: random.chance(0.5), closed: true)
            } else {
                output = FuzzJSON.document(&random, like: [schema, .object(["summary": .string("s"), "tags": .array([.string("a")])])])
            }
            var text = String(decoding: output, as: UTF8.self)
            if random.chance(0.1) { text = "```json\n" + text + "\n```" }
            if let problem = OutputValidator.violation(in: text, format: .jsonSchema(schema)) {
                #expect(
                    problem == "empty output" || problem == "output is not valid JSON" || problem.hasPrefix("$"), "\(seed): \(problem.prefix(200))")
            }
            // Directly on values, the parser's depth bound out of the way.
            let value = FuzzJSON.value(&random)
            if let problem = OutputValidator.violation(of: value, schema: schema) {
                #expect(problem.hasPrefix("$"), "\(seed)")
            }
        }
    }
}
