import Completions
import Foundation
import Testing

/// The writer behind every published message: its output must be JSON that Foundation and our
/// parser read back as the values that went in.
struct JSONWriterTests {
    private func readBack(_ bytes: [UInt8]) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    @Test(
        "strings with quotes, backslashes, control characters and non-ASCII read back unchanged",
        arguments: [
            "plain", "", "q\"uote", "back\\slash", "new\nline", "tab\tcr\r", "bell\u{07}nul\u{0}esc\u{1B}", "naïve café 日本語 😀", "a/b",
            "\u{08}\u{0C}\u{1F}",
        ])
    func strings(_ text: String) throws {
        var writer = JSONWriter()
        writer.value(text)
        #expect(try readBack(writer.bytes) == .string(text))
        #expect(try JSONParser.parse(writer.bytes) == .string(text))
        #expect(!writer.bytes.contains(UInt8(ascii: "\\")) || text.utf8.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C })
    }

    @Test("integers are written exactly, including the extremes", arguments: [0, 7, 10, -1, -10, 123_456_789, Int.max, Int.min])
    func integers(_ value: Int) {
        var writer = JSONWriter()
        writer.value(value)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == String(value))
    }

    @Test("doubles read back as the same value", arguments: [0.1, 0.003876, 1e-05, 3.0, -2.5, 1.5e300, Double.leastNonzeroMagnitude])
    func doubles(_ value: Double) throws {
        var writer = JSONWriter()
        writer.value(value)
        #expect(try readBack(writer.bytes) == .number(value))
        #expect(!writer.wroteNonFiniteNumber)
    }

    @Test("a non-finite number is written as null and reported")
    func nonFinite() throws {
        for value in [Double.nan, .infinity, -.infinity] {
            var writer = JSONWriter()
            writer.beginArray()
            writer.value(value)
            writer.endArray()
            #expect(writer.wroteNonFiniteNumber)
            #expect(try readBack(writer.bytes) == .array([.null]))
            #expect(throws: NonFiniteNumberError.self) { try JSONValue.array([.number(value)]).jsonDocument() }
        }
    }

    @Test("nested objects and arrays get their commas, members keep their order")
    func structure() throws {
        var writer = JSONWriter()
        writer.beginObject()
        writer.member("a", 1)
        writer.key("b")
        writer.beginArray()
        writer.value(true)
        writer.beginObject()
        writer.endObject()
        writer.null()
        writer.beginArray()
        writer.endArray()
        writer.endArray()
        writer.member("c", orNull: nil as String?)
        writer.member("d", ifPresent: nil as Int?)
        writer.member("e", ifPresent: 2.5)
        writer.key("f")
        writer.value(JSONValue.object(["x": .array([.number(1), .number(1.5), .string("y")])]))
        writer.endObject()
        let text = String(decoding: writer.bytes, as: UTF8.self)
        #expect(text == #"{"a":1,"b":[true,{},null,[]],"c":null,"e":2.5,"f":{"x":[1,1.5,"y"]}}"#)
    }

    @Test(
        "any JSON value survives a write and a parse",
        arguments: [
            #"{"a":1,"b":[true,false,null],"c":{"d":"e","k\"ey":-3.25}}"#,
            #"[1e300, -0.5, "x\u0001y", {"nested":{"deeper":[[]]}}]"#,
        ])
    func roundTrip(_ text: String) throws {
        let value = try JSONParser.parse(Array(text.utf8))
        #expect(try JSONParser.parse(value.jsonDocument()) == value)
        #expect(try readBack(value.jsonDocument()) == value)
    }
}
