import Completions
import Foundation
import Testing

/// The job decoder's JSON parser: it must agree with Foundation on valid documents and refuse
/// everything else without trapping.
struct JSONParserTests {
    @Test(
        "valid documents parse to the same values as Foundation's decoder",
        arguments: [
            #"{"a":1,"b":[true,false,null],"c":{"d":"e"}}"#,
            #"[1, -2.5, 3e2, 0.125, -0, 1E-3]"#,
            #""plain""#,
            #"{"escapes":"q\"b\\s\/n\nt\tu\u00e9 \ud83d\ude00"}"#,
            #"  { "spaced" : [ 1 , 2 ] }  "#,
            #"{"unicode":"naïve café 日本語"}"#,
            "[]", "{}", "0", "null", "true",
        ])
    func agreesWithFoundation(_ text: String) throws {
        let ours = try JSONParser.parse(Array(text.utf8))
        let theirs = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(ours == theirs)
    }

    @Test(
        "malformed documents are errors with an offset, never a crash",
        arguments: [
            "", "{", "[1,]", "{\"a\" 1}", "{\"a\":}", "tru", "nul", "01", "1.", "-", "1e", "\"unterminated",
            "\"bad \\x escape\"", "\"\\ud800 alone\"", "\"\\udc00\"", "[1] 2", "{\"a\":1,}", "\u{0}", "\"tab\there\"", "1e400",
        ])
    func refusesMalformed(_ text: String) {
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse(Array(text.utf8)) }
    }

    @Test("invalid UTF-8 inside a string is refused")
    func invalidUTF8() {
        let bytes: [UInt8] = [0x22, 0xFF, 0xFE, 0x22]
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse(bytes) }
    }

    @Test("nesting deeper than the limit is refused instead of exhausting the stack")
    func deepNesting() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse(Array(deep.utf8)) }
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: Never.self) { try JSONParser.parse(Array(fine.utf8)) }
    }
}
