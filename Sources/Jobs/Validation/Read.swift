import Completions
import Foundation

/// Readers of single JSON values, each failing with the field's path and what was expected.
/// They have the shape `(JSONValue, FieldPath) throws(FieldError) -> T` that ``ObjectReader``
/// takes; the ones with limits return such a reader.
enum Read {
    static func string(_ value: JSONValue, _ path: FieldPath) throws(FieldError) -> String {
        guard case .string(let string) = value else { throw .invalid(path, expected: "a string", got: value) }
        return string
    }

    static func nonEmptyString(_ value: JSONValue, _ path: FieldPath) throws(FieldError) -> String {
        let string = try Read.string(value, path)
        guard !string.isEmpty else { throw .invalid(path, expected: "a non-empty string", got: value) }
        return string
    }

    static func bool(_ value: JSONValue, _ path: FieldPath) throws(FieldError) -> Bool {
        guard case .bool(let bool) = value else { throw .invalid(path, expected: "true or false", got: value) }
        return bool
    }

    static func number(_ value: JSONValue, _ path: FieldPath) throws(FieldError) -> Double {
        guard case .number(let number) = value, number.isFinite else { throw .invalid(path, expected: "a number", got: value) }
        return number
    }

    /// An absolute `http://` or `https://` URL with a host.
    static func httpURL(_ value: JSONValue, _ path: FieldPath) throws(FieldError) -> URL {
        let text = try Read.string(value, path)
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else {
            throw .invalid(path, expected: "an http:// or https:// URL", got: value)
        }
        return url
    }

    /// A reader of whole numbers within `range`.
    static func integer(in range: ClosedRange<Int>) -> (JSONValue, FieldPath) throws(FieldError) -> Int {
        { (value: JSONValue, path: FieldPath) throws(FieldError) -> Int in
            guard let integer = value.intValue else {
                throw .invalid(path, expected: expectation("an integer", range), got: value)
            }
            guard range.contains(integer) else { throw .invalid(path, expected: expectation("an integer", range), got: value) }
            return integer
        }
    }

    /// A reader of numbers within `range`.
    static func number(in range: ClosedRange<Double>) -> (JSONValue, FieldPath) throws(FieldError) -> Double {
        { (value: JSONValue, path: FieldPath) throws(FieldError) -> Double in
            let number = try Read.number(value, path)
            guard range.contains(number) else {
                throw .invalid(path, expected: "a number from \(range.lowerBound) to \(range.upperBound)", got: value)
            }
            return number
        }
    }

    /// A reader of one of `E`'s raw values, naming them all when the value is none of them.
    static func oneOf<E: RawRepresentable & CaseIterable>(_ type: E.Type) -> (JSONValue, FieldPath) throws(FieldError) -> E
    where E.RawValue == String {
        oneOf(E.allCases.map(\.rawValue), E.init(rawValue:))
    }

    /// A reader of one of `names`, mapped through `make`.
    static func oneOf<E>(_ names: [String], _ make: @escaping (String) -> E?) -> (JSONValue, FieldPath) throws(FieldError) -> E {
        { (value: JSONValue, path: FieldPath) throws(FieldError) -> E in
            if case .string(let string) = value, let result = make(string) { return result }
            throw .invalid(path, expected: alternatives(names), got: value)
        }
    }

    /// A reader of arrays of `minItems` to `maxItems` elements, each read by `element`.
    static func array<T>(
        minItems: Int = 0,
        maxItems: Int = Int.max,
        _ element: @escaping (JSONValue, FieldPath) throws(FieldError) -> T
    ) -> (JSONValue, FieldPath) throws(FieldError) -> [T] {
        { (value: JSONValue, path: FieldPath) throws(FieldError) -> [T] in
            guard case .array(let elements) = value else { throw .invalid(path, expected: "an array", got: value) }
            guard elements.count >= minItems else {
                throw .invalid(path, "expected at least \(minItems) item\(minItems == 1 ? "" : "s"), got \(elements.count)")
            }
            guard elements.count <= maxItems else {
                throw .invalid(path, "expected at most \(maxItems) item\(maxItems == 1 ? "" : "s"), got \(elements.count)")
            }
            var result: [T] = []
            result.reserveCapacity(elements.count)
            for (index, item) in elements.enumerated() {
                result.append(try element(item, path.appending(index: index)))
            }
            return result
        }
    }

    /// A reader of objects whose members all have the shape `member` reads (a map by name).
    static func map<T>(
        minProperties: Int = 0,
        _ member: @escaping (String, JSONValue, FieldPath) throws(FieldError) -> T
    ) -> (JSONValue, FieldPath) throws(FieldError) -> [String: T] {
        { (value: JSONValue, path: FieldPath) throws(FieldError) -> [String: T] in
            let reader = try ObjectReader(value, at: path)
            guard reader.members.count >= minProperties else {
                throw .invalid(path, "expected at least \(minProperties) entr\(minProperties == 1 ? "y" : "ies"), got none")
            }
            var result: [String: T] = [:]
            for key in reader.members.keys.sorted() {
                guard !key.isEmpty else { throw .invalid(path, "an entry has an empty name") }
                result[key] = try member(key, reader.members[key] ?? .null, path.appending(key))
            }
            return result
        }
    }

    /// `"a"`, `"a" or "b"`, `one of "a", "b", "c"`.
    static func alternatives(_ names: [String]) -> String {
        let quoted = names.map { "\"\($0)\"" }
        switch quoted.count {
        case 0: return "nothing"
        case 1: return quoted[0]
        case 2: return quoted[0] + " or " + quoted[1]
        default: return "one of " + quoted.joined(separator: ", ")
        }
    }

    private static func expectation(_ noun: String, _ range: ClosedRange<Int>) -> String {
        if range.upperBound == Int.max {
            return range.lowerBound == Int.min ? noun : "\(noun) >= \(range.lowerBound)"
        }
        return "\(noun) from \(range.lowerBound) to \(range.upperBound)"
    }
}
