/// Writes one JSON document straight into UTF-8 bytes: the counterpart of ``JSONParser`` for the
/// hot path (every job's result, its telemetry and its provider request), several times cheaper
/// than `JSONEncoder`, which builds a tree of boxed values before it writes a byte.
///
/// Members are written in the order the caller writes them (the contract's schema order). Strings
/// are escaped as RFC 8259 requires (quote, backslash, control characters) and otherwise written
/// as UTF-8, slashes unescaped. Commas are placed by the writer. A non-finite number is written as
/// `null` and remembered in ``wroteNonFiniteNumber`` so the caller can refuse the document.
///
/// Guarantees: the bytes are a well-formed document as long as every `beginObject`/`beginArray`
/// is matched by its end, and inside an object every value follows a ``key(_:)``.
package struct JSONWriter: Sendable {
    /// The document so far.
    package private(set) var bytes: [UInt8]
    /// True once a NaN or an infinity was passed in as a number.
    package private(set) var wroteNonFiniteNumber = false
    private var needsComma = false

    package init(capacity: Int = 512) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    // MARK: Structure

    package mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    package mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    package mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    package mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// A member name; the next value written is its value.
    package mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        needsComma = false
    }

    /// A member name that is not known at compile time (a `metadata` key), escaped as needed.
    package mutating func key(_ name: String) {
        separate()
        appendQuoted(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    // MARK: Values

    package mutating func null() {
        separate()
        bytes.append(contentsOf: [UInt8(ascii: "n"), UInt8(ascii: "u"), UInt8(ascii: "l"), UInt8(ascii: "l")])
        needsComma = true
    }

    package mutating func value(_ value: Bool) {
        separate()
        if value {
            bytes.append(contentsOf: [UInt8(ascii: "t"), UInt8(ascii: "r"), UInt8(ascii: "u"), UInt8(ascii: "e")])
        } else {
            bytes.append(contentsOf: [UInt8(ascii: "f"), UInt8(ascii: "a"), UInt8(ascii: "l"), UInt8(ascii: "s"), UInt8(ascii: "e")])
        }
        needsComma = true
    }

    package mutating func value(_ value: String) {
        separate()
        appendQuoted(value)
        needsComma = true
    }

    package mutating func value(_ value: Int) {
        separate()
        appendDecimal(value)
        needsComma = true
    }

    /// A number in the shortest form that reads back as the same `Double` (`0.1`, `1e-05`, `3.0`).
    package mutating func value(_ value: Double) {
        guard value.isFinite else {
            wroteNonFiniteNumber = true
            null()
            return
        }
        separate()
        bytes.append(contentsOf: value.description.utf8)
        needsComma = true
    }

    /// Any ``JSONValue``; whole numbers below 2^53 in magnitude are written without a fraction.
    package mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let flag): self.value(flag)
        case .number(let number):
            if let whole = value.intValue { self.value(whole) } else { self.value(number) }
        case .string(let text): self.value(text)
        case .array(let elements):
            beginArray()
            for element in elements { self.value(element) }
            endArray()
        case .object(let members):
            beginObject()
            for (name, member) in members {
                key(name)
                self.value(member)
            }
            endObject()
        }
    }

    package mutating func value(_ value: some JSONWritable) {
        value.write(to: &self)
    }

    // MARK: Members

    /// `"name": value`.
    package mutating func member(_ name: StaticString, _ value: String) {
        key(name)
        self.value(value)
    }

    /// `"name": value`.
    package mutating func member(_ name: StaticString, _ value: Int) {
        key(name)
        self.value(value)
    }

    /// `"name": value`.
    package mutating func member(_ name: StaticString, _ value: Double) {
        key(name)
        self.value(value)
    }

    /// `"name": value`.
    package mutating func member(_ name: StaticString, _ value: Bool) {
        key(name)
        self.value(value)
    }

    /// `"name": value`, or `"name": null` when `value` is `nil`.
    package mutating func member(_ name: StaticString, orNull value: String?) {
        key(name)
        if let value { self.value(value) } else { null() }
    }

    /// `"name": value`, or `"name": null` when `value` is `nil`.
    package mutating func member(_ name: StaticString, orNull value: Int?) {
        key(name)
        if let value { self.value(value) } else { null() }
    }

    /// `"name": value`, or nothing when `value` is `nil`.
    package mutating func member(_ name: StaticString, ifPresent value: String?) {
        if let value { member(name, value) }
    }

    /// `"name": value`, or nothing when `value` is `nil`.
    package mutating func member(_ name: StaticString, ifPresent value: Int?) {
        if let value { member(name, value) }
    }

    /// `"name": value`, or nothing when `value` is `nil`.
    package mutating func member(_ name: StaticString, ifPresent value: Double?) {
        if let value { member(name, value) }
    }

    /// `"name": ["a", "b"]`, or nothing when `values` is `nil`.
    package mutating func member(_ name: StaticString, ifPresent values: [String]?) {
        guard let values else { return }
        key(name)
        beginArray()
        for element in values { value(element) }
        endArray()
    }

    // MARK: Bytes

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    private mutating func appendDecimal(_ value: Int) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        if magnitude < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude))
            return
        }
        // Up to 20 digits, written backwards into a small stack buffer.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var index = 20
            while magnitude > 0 {
                index -= 1
                digits[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[index..<20]))
        }
    }

    private mutating func appendQuoted(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var clean = 0
            for (index, byte) in utf8.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[clean..<index]))
                appendEscape(byte)
                clean = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[clean...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendEscape(_ byte: UInt8) {
        bytes.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\"))
        case 0x0A: bytes.append(UInt8(ascii: "n"))
        case 0x0D: bytes.append(UInt8(ascii: "r"))
        case 0x09: bytes.append(UInt8(ascii: "t"))
        case 0x08: bytes.append(UInt8(ascii: "b"))
        case 0x0C: bytes.append(UInt8(ascii: "f"))
        default:
            let hex: [UInt8] = Array("0123456789abcdef".utf8)
            bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]])
        }
    }
}

/// A value that writes itself as JSON with a ``JSONWriter``: the messages understudy publishes
/// and the request bodies it sends, in the field order of their schemas.
package protocol JSONWritable {
    func write(to writer: inout JSONWriter)
}

/// A value held a number JSON cannot carry (NaN or an infinity).
package struct NonFiniteNumberError: Error, Sendable, CustomStringConvertible {
    package init() {}
    package var description: String { "a number in the document is not finite (NaN or infinity)" }
}

extension JSONWritable {
    /// This value as the bytes of one JSON document; fails when it holds a NaN or an infinity
    /// (rather than publishing the `null` the writer put in its place).
    package func jsonDocument() throws(NonFiniteNumberError) -> [UInt8] {
        var writer = JSONWriter()
        write(to: &writer)
        guard !writer.wroteNonFiniteNumber else { throw NonFiniteNumberError() }
        return writer.bytes
    }
}

extension JSONValue: JSONWritable {
    package func write(to writer: inout JSONWriter) {
        writer.value(self)
    }
}
