import Completions
import Foundation

/// Hostile JSON: random documents, structure-aware mutations of real ones, edge numbers, deep
/// nesting, duplicate keys, invalid UTF-8 and huge strings, written as bytes.
package enum FuzzJSON {
    /// Number literals at the edges of what a Double (or a parser) can take.
    package static let edgeNumbers = [
        "0", "-0", "-0.0", "1e308", "-1e308", "1.7976931348623157e308", "1e309", "-1e309", "-1e400", "1e-400", "4.9e-324", "5e-325",
        "12345678901234567890", "-12345678901234567890", "99999999999999999999", "99999999999999999999999999", "9007199254740993",
        "9223372036854775807", "9223372036854775808", "-9223372036854775809", "1e300", "-1e300", "-1", "0.5", "1E2", "1e+2",
        "123456789012345", "1.0", "0e0", "1e-7", "1e22", "18446744073709551616",
    ]

    /// Bytes that are not JSON or not UTF-8.
    package static let junk: [[UInt8]] =
        FuzzBytes.invalidUTF8 + [
            [0x00], Array("\\u".utf8), Array("\\uD800".utf8), Array("\\uDC00\\uD800".utf8), Array("NaN".utf8), Array("Infinity".utf8),
            Array("tru".utf8), Array("/*".utf8), Array("'".utf8), [0x22], [0x5C], Array(",]".utf8), Array("}}".utf8),
        ]

    /// A random value up to `depth` levels deep.
    package static func value(_ random: inout FuzzRandom, depth: Int = 4) -> JSONValue {
        switch Int.random(in: 0..<(depth > 0 ? 8 : 5), using: &random) {
        case 0: return .null
        case 1: return .bool(random.chance(0.5))
        case 2: return .number(number(&random))
        case 3, 4: return .string(string(&random))
        case 5: return .array((0..<Int.random(in: 0..<5, using: &random)).map { _ in value(&random, depth: depth - 1) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0..<5, using: &random) { members[string(&random, short: true)] = value(&random, depth: depth - 1) }
            return .object(members)
        }
    }

    package static func number(_ random: inout FuzzRandom) -> Double {
        switch Int.random(in: 0..<6, using: &random) {
        case 0: return random.pick([0, -0.0, 1e308, -1e308, .greatestFiniteMagnitude, .leastNonzeroMagnitude, 1e300, -1e300, -1, 0.5, 9.2e18, 1e19])
        case 1: return Double(Int.random(in: -5...100, using: &random))
        case 2: return Double(bitPattern: random.next())
        case 3: return Double.random(in: -1e6...1e6, using: &random)
        default: return Double(Int64.random(in: .min ... .max, using: &random))
        }
    }

    package static func string(_ random: inout FuzzRandom, short: Bool = false) -> String {
        switch Int.random(in: 0..<(short ? 4 : 6), using: &random) {
        case 0: return ""
        case 1: return random.pick(["type", "message", "error", "code", "text", "id", "status", "content", "usage", "a", "é", "💥"])
        case 2:
            let scalars = (0..<Int.random(in: 0..<16, using: &random)).map { _ in
                Unicode.Scalar(UInt32.random(in: 0...0x10FFFF, using: &random)) ?? Unicode.Scalar(UInt8.random(in: 0...127, using: &random))
            }
            return String(String.UnicodeScalarView(scalars))
        case 3: return String(repeating: "é", count: Int.random(in: 1...40, using: &random))
        case 4: return String(repeating: "x", count: Int.random(in: 1000...300_000, using: &random))
        default: return "Incorrect API key provided: sk-\(random.next())\nline\t\"quoted\" \\ / \u{0001}"
        }
    }

    /// `value` written as JSON, with random liberties: edge-number literals, duplicate keys,
    /// whitespace, escaped or raw strings.
    package static func text(_ value: JSONValue, _ random: inout FuzzRandom) -> [UInt8] {
        var out: [UInt8] = []
        write(value, &random, into: &out)
        return out
    }

    private static func write(_ value: JSONValue, _ random: inout FuzzRandom, into out: inout [UInt8]) {
        if random.chance(0.05) { out.append(contentsOf: random.pick([" ", "\n", "\t", "\r\n "]).utf8) }
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .number(let number):
            if random.chance(0.3) {
                out.append(contentsOf: random.pick(edgeNumbers).utf8)
            } else {
                out.append(contentsOf: (number.isFinite ? "\(number)" : "0").utf8)
            }
        case .string(let text): quote(text, &random, into: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                write(element, &random, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            var first = true
            for (name, member) in members.sorted(by: { $0.key < $1.key }) {
                let copies = random.chance(0.1) ? 2 : 1
                for copy in 0..<copies {
                    if !first { out.append(UInt8(ascii: ",")) }
                    first = false
                    quote(name, &random, into: &out)
                    out.append(UInt8(ascii: ":"))
                    write(copy == 0 ? member : self.value(&random, depth: 1), &random, into: &out)
                }
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func quote(_ text: String, _ random: inout FuzzRandom, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        let escapeAll = random.chance(0.2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out.append(contentsOf: "\\\"".utf8)
            case "\\": out.append(contentsOf: "\\\\".utf8)
            case _ where scalar.value < 0x20 || (escapeAll && scalar.value < 0x10000 && !(0xD800...0xDFFF).contains(scalar.value)):
                out.append(contentsOf: String(format: "\\u%04x", scalar.value).utf8)
            default: out.append(contentsOf: String(scalar).utf8)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `value` with random nodes replaced, removed or retyped (the shape mostly kept).
    package static func mutate(_ value: JSONValue, _ random: inout FuzzRandom, depth: Int = 0) -> JSONValue {
        if random.chance(0.08) { return self.value(&random, depth: 2) }
        switch value {
        case .array(let elements):
            var copy = elements.map { mutate($0, &random, depth: depth + 1) }
            if random.chance(0.1), !copy.isEmpty { copy.remove(at: Int.random(in: 0..<copy.count, using: &random)) }
            if random.chance(0.05) { copy = Array(repeating: copy.first ?? .null, count: Int.random(in: 0...50, using: &random)) }
            return .array(copy)
        case .object(let members):
            var copy: [String: JSONValue] = [:]
            for (name, member) in members where !random.chance(0.08) { copy[name] = mutate(member, &random, depth: depth + 1) }
            if random.chance(0.1) { copy[string(&random, short: true)] = self.value(&random, depth: 2) }
            return .object(copy)
        default:
            return value
        }
    }

    /// `bytes` damaged at random: flipped, cut, spliced with junk, or wrapped in deep nesting.
    package static func damage(_ bytes: [UInt8], _ random: inout FuzzRandom) -> [UInt8] {
        var out = bytes
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            switch Int.random(in: 0..<6, using: &random) {
            case 0 where !out.isEmpty:
                out[Int.random(in: 0..<out.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            case 1 where !out.isEmpty:
                out.removeLast(Int.random(in: 0...out.count, using: &random))
            case 2:
                out.insert(contentsOf: random.pick(junk), at: Int.random(in: 0...out.count, using: &random))
            case 3:
                let depth = Int.random(in: 200...5000, using: &random)
                out =
                    Array(repeating: UInt8(ascii: "["), count: depth) + out
                    + (random.chance(0.5) ? Array(repeating: UInt8(ascii: "]"), count: depth) : [])
            case 4:
                out.insert(contentsOf: random.pick(edgeNumbers).utf8, at: Int.random(in: 0...out.count, using: &random))
            default:
                out = (0..<Int.random(in: 0...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            }
        }
        return out
    }

    /// A document nested `depth` levels deep (`[[[…]]]` or `{"a":{"a":…}}`), closed or not.
    package static func deep(_ depth: Int, objects: Bool, closed: Bool) -> [UInt8] {
        let open = objects ? Array(#"{"a":"#.utf8) : [UInt8(ascii: "[")]
        let close = objects ? [UInt8(ascii: "}")] : [UInt8(ascii: "]")]
        var out: [UInt8] = []
        out.reserveCapacity(depth * (open.count + 1) + 1)
        for _ in 0..<depth { out += open }
        out += Array("1".utf8)
        if closed { for _ in 0..<depth { out += close } }
        return out
    }

    /// A random document, or a mutation of `seed` documents, written with liberties and often damaged.
    package static func document(_ random: inout FuzzRandom, like seeds: [JSONValue] = []) -> [UInt8] {
        switch Int.random(in: 0..<10, using: &random) {
        case 0: return deep(Int.random(in: 1...6000, using: &random), objects: random.chance(0.5), closed: random.chance(0.7))
        case 1: return damage(text(value(&random), &random), &random)
        case 2, 3: return text(value(&random), &random)
        default:
            guard !seeds.isEmpty else { return text(value(&random), &random) }
            let bytes = text(mutate(random.pick(seeds), &random), &random)
            return random.chance(0.25) ? damage(bytes, &random) : bytes
        }
    }
}
