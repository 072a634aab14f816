import Completions
import FuzzTesting
import Testing

/// The parser every job and every provider answer goes through, fed hostile bytes: it returns a
/// value or an error with an offset inside the input, never traps, and what it returns survives a
/// write and a second parse unchanged.
struct JSONParserFuzzTests {
    static let seeds: [JSONValue] = [
        .object(["id": .string("msg_1"), "content": .array([.object(["type": .string("text"), "text": .string("hi")])])]),
        .object(["error": .object(["message": .string("boom"), "code": .number(429), "details": .array([.null, .bool(true)])])]),
        .array([.number(1), .number(-0.5), .string("é"), .object([:])]),
    ]

    @Test func randomAndMutatedDocuments() throws {
        try Fuzz.run("JSONParser") { random, seed in
            let bytes = FuzzJSON.document(&random, like: Self.seeds)
            do {
                let value = try JSONParser.parse(bytes)
                var writer = JSONWriter()
                writer.value(value)
                let again = try JSONParser.parse(writer.bytes)
                #expect(again == value, "\(seed)")
            } catch let error as JSONParser.Error {
                #expect((0...bytes.count).contains(error.offset), "\(seed): \(error)")
            }
        }
    }

    @Test(arguments: [300, 5000, 100_000])
    func thousandsOfOpeningBracketsAreRefused(depth: Int) {
        for objects in [false, true] {
            for closed in [false, true] {
                #expect(throws: JSONParser.Error.self) { try JSONParser.parse(FuzzJSON.deep(depth, objects: objects, closed: closed)) }
            }
        }
        #expect((try? JSONParser.parse(FuzzJSON.deep(JSONParser.maxDepth - 1, objects: false, closed: true))) != nil)
    }

    @Test func numbersAtTheEdges() throws {
        for literal in FuzzJSON.edgeNumbers {
            do {
                guard case .number(let value) = try JSONParser.parse(Array(literal.utf8)) else {
                    Issue.record("\(literal) is not a number")
                    continue
                }
                #expect(value.isFinite, "\(literal)")
            } catch {
                // Out of range (1e309, -1e400): refused, with the offset of the number.
                #expect(error.offset == 0, "\(literal)")
            }
        }
    }
}
