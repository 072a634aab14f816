import Foundation
import Jobs
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A swift-log `LogHandler` that writes one JSON object per line.
///
/// Every emitted line is a single JSON object whose members come in this order:
///
/// 1. `time`: the event time in RFC 3339 UTC with milliseconds (`2026-11-30T12:00:00.123Z`), rounded to the
///    nearest millisecond; dates outside years 0000...9999 (and non-finite ones) are clamped into that range.
/// 2. `level`: the swift-log level name (`trace`, `debug`, `info`, `notice`, `warning`, `error`, `critical`).
/// 3. `message`: the rendered message.
/// 4. `logger`: the logger label.
/// 5. The metadata as top-level members, sorted by key. Handler metadata is overridden by the metadata
///    provider, which is overridden by the per-call metadata. An error passed with the event adds
///    `error.message` and `error.type`. Keys are kept as they are (dotted keys such as `gen_ai.provider.name`
///    stay flat); a key that would collide with `time`, `level`, `message`, `logger` or `truncated` is emitted
///    as `metadata.<key>`.
/// 6. `truncated: true`, only when metadata members had to be dropped to respect the line limit.
///
/// Guarantees:
///
/// - Each line is valid JSON with valid UTF-8: quotes, backslashes and control characters below U+0020 are
///   escaped (`\n`, `\t`, ... or `\u00XX`); every other character, emoji included, is kept as is.
/// - Every string (message, label, metadata keys and string values) is at most `maxValueBytes` UTF-8 bytes.
///   A longer one is cut on a `Character` boundary and ends with a marker `…(cut N bytes)`, where `N` is the
///   number of bytes removed; the marker counts toward the limit.
/// - Metadata arrays and dictionaries show at most 64 elements (when longer, the 64th is a marker saying how
///   many were cut) and nest at most 4 levels deep (a deeper container is replaced by a marker string).
/// - The line, including its terminating newline, is never longer than `maxLineBytes`. If the metadata does
///   not fit, members are dropped from the end and `"truncated":true` is added; if the message alone does not
///   fit, it is cut further.
/// - The sink is called exactly once per event, with one complete line without its trailing newline. The
///   standard error sink writes line and newline with a single locked `write(2)` loop, so lines written from
///   concurrent threads never interleave.
/// - No input traps: there are no force unwraps, no `try!`, and no unchecked floating point conversions.
package struct JSONLogHandler: LogHandler {
    /// Receives one complete JSON line, without its trailing newline.
    package typealias Sink = @Sendable (String) -> Void

    /// The default bound for one string value, in UTF-8 bytes.
    package static let defaultMaxValueBytes = 2048
    /// The default bound for one line including its newline, in UTF-8 bytes.
    package static let defaultMaxLineBytes = 8192
    /// The smallest accepted `maxValueBytes`; smaller requests are raised to it.
    package static let minimumMaxValueBytes = 64
    /// The smallest accepted `maxLineBytes`; smaller requests are raised to it.
    package static let minimumMaxLineBytes = 512
    /// Arrays and dictionaries in metadata show at most this many elements.
    package static let maxCollectionElements = 64
    /// Metadata containers nest at most this deep.
    package static let maxNestingDepth = 4

    /// The logger label, as given.
    package let label: String
    /// The bound for each string value, in UTF-8 bytes (at least ``minimumMaxValueBytes``).
    package let maxValueBytes: Int
    /// The bound for each line including its newline, in UTF-8 bytes (at least ``minimumMaxLineBytes``).
    package let maxLineBytes: Int

    /// The lowest level this handler writes.
    package var logLevel: Logger.Level
    /// Metadata attached to every line of this handler.
    package var metadata: Logger.Metadata
    /// Contextual metadata, read once per line.
    package var metadataProvider: Logger.MetadataProvider?

    private let sink: Sink
    private let clock: @Sendable () -> Date
    /// The label, already cut and escaped, including its quotes.
    private let labelJSON: [UInt8]

    /// Creates a handler.
    ///
    /// - Parameters:
    ///   - label: The logger label, emitted as `logger`.
    ///   - logLevel: The lowest level written.
    ///   - metadata: Metadata attached to every line.
    ///   - metadataProvider: Contextual metadata; defaults to the one bootstrapped in `LoggingSystem`.
    ///   - maxValueBytes: The bound for each string value; raised to ``minimumMaxValueBytes`` if smaller.
    ///   - maxLineBytes: The bound for each line including its newline; raised to ``minimumMaxLineBytes``.
    ///   - clock: The source of event times.
    ///   - sink: Receives each line without its newline; defaults to ``standardErrorSink``.
    package init(
        label: String,
        logLevel: Logger.Level = .info,
        metadata: Logger.Metadata = [:],
        metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider,
        maxValueBytes: Int = JSONLogHandler.defaultMaxValueBytes,
        maxLineBytes: Int = JSONLogHandler.defaultMaxLineBytes,
        clock: @escaping @Sendable () -> Date = { Date() },
        sink: @escaping Sink = JSONLogHandler.standardErrorSink
    ) {
        let valueBytes = max(maxValueBytes, Self.minimumMaxValueBytes)
        let lineBytes = max(maxLineBytes, Self.minimumMaxLineBytes)
        self.label = label
        self.logLevel = logLevel
        self.metadata = metadata
        self.metadataProvider = metadataProvider
        self.maxValueBytes = valueBytes
        self.maxLineBytes = lineBytes
        self.clock = clock
        self.sink = sink
        // The label gets at most a quarter of the line, so the message always keeps room.
        let labelCut = JSONEncoding.cut(label, maxBytes: valueBytes, maxEscapedBytes: lineBytes / 4 - 2)
        var labelJSON: [UInt8] = []
        JSONEncoding.appendString(labelCut, to: &labelJSON)
        self.labelJSON = labelJSON
    }

    /// A handler writing to standard error, with the `LoggingSystem` metadata provider.
    package static func standardError(label: String) -> JSONLogHandler {
        JSONLogHandler(label: label)
    }

    /// Writes each line plus a newline to standard error in one locked write loop.
    package static let standardErrorSink: Sink = fileDescriptorSink(STDERR_FILENO)

    /// A sink writing each line plus a newline to a file descriptor, which it does not own or close.
    ///
    /// A process-wide lock is held for the whole line, so lines from concurrent threads never interleave even
    /// when the kernel accepts a line in several partial writes. Write errors drop the line.
    package static func fileDescriptorSink(_ fileDescriptor: Int32) -> Sink {
        { line in
            var text = line
            text.append("\n")
            text.withUTF8 { bytes in
                writeLock.withLock { _ in
                    writeAll(bytes, to: fileDescriptor)
                }
            }
        }
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        self.sink(self.render(event, at: self.clock()))
    }

    /// Renders one event as a line without its trailing newline.
    package func render(_ event: LogEvent, at time: Date) -> String {
        let bytes = self.renderBytes(event, at: time)
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: - Rendering

    private static let reservedKeys: Set<String> = ["time", "level", "message", "logger", "truncated"]
    private static let truncatedSuffix = Array(#","truncated":true}"#.utf8)

    private func mergedMetadata(_ event: LogEvent) -> Logger.Metadata {
        var merged = self.metadata
        if let provided = self.metadataProvider?.get(), !provided.isEmpty {
            merged.merge(provided) { _, new in new }
        }
        if let explicit = event.metadata, !explicit.isEmpty {
            merged.merge(explicit) { _, new in new }
        }
        if let error = event.error {
            merged["error.message"] = .string(String(describing: error))
            merged["error.type"] = .string(String(reflecting: type(of: error)))
        }
        return merged
    }

    /// The top-level metadata members in output order, with collision-free, bounded keys.
    private func members(of metadata: Logger.Metadata) -> [(key: String, value: Logger.Metadata.Value)] {
        var used = Self.reservedKeys
        var plain: [(key: String, value: Logger.Metadata.Value)] = []
        var colliding: [(key: String, value: Logger.Metadata.Value)] = []
        for (key, value) in metadata {
            if Self.reservedKeys.contains(key) {
                colliding.append((key, value))
            } else {
                plain.append((key, value))
            }
        }
        plain.sort { $0.key < $1.key }
        colliding.sort { $0.key < $1.key }
        var result: [(key: String, value: Logger.Metadata.Value)] = []
        result.reserveCapacity(metadata.count)
        for (key, value) in plain + colliding {
            var name = JSONEncoding.cut(key, maxBytes: self.maxValueBytes)
            var attempts = 0
            while used.contains(name) && attempts < 8 {
                name = JSONEncoding.cut("metadata." + name, maxBytes: self.maxValueBytes)
                attempts += 1
            }
            // A key that stays taken (only possible with keys near the byte bound) is dropped, never duplicated.
            if used.contains(name) { continue }
            used.insert(name)
            result.append((name, value))
        }
        result.sort { $0.key < $1.key }
        return result
    }

    private func renderBytes(_ event: LogEvent, at time: Date) -> [UInt8] {
        // The newline is not part of the rendered text but counts toward the line bound.
        let limit = self.maxLineBytes - 1
        var out: [UInt8] = []
        out.reserveCapacity(min(limit, 1024))

        out.append(contentsOf: #"{"time":""#.utf8)
        out.append(contentsOf: RFC3339.string(from: time).utf8)
        out.append(contentsOf: #"","level":""#.utf8)
        out.append(contentsOf: event.level.rawValue.utf8)
        out.append(contentsOf: #"","message":"#.utf8)
        let tail = Array(#","logger":"#.utf8) + self.labelJSON
        // Keep room for the logger member and for `,"truncated":true}`.
        let messageBudget = limit - out.count - tail.count - Self.truncatedSuffix.count - 2
        let message = JSONEncoding.cut(
            event.message.description,
            maxBytes: self.maxValueBytes,
            maxEscapedBytes: messageBudget
        )
        JSONEncoding.appendString(message, to: &out)
        out.append(contentsOf: tail)

        let members = self.members(of: self.mergedMetadata(event))
        var marks: [Int] = []
        marks.reserveCapacity(members.count)
        var truncated = false
        for member in members {
            let mark = out.count
            out.append(UInt8(ascii: ","))
            JSONEncoding.appendString(member.key, to: &out)
            out.append(UInt8(ascii: ":"))
            // `limit - 1` keeps room for the closing brace.
            let writer = ValueWriter(maxValueBytes: self.maxValueBytes, abortAbove: limit - 1)
            if !writer.append(member.value, depth: 1, to: &out) || out.count > limit - 1 {
                out.removeSubrange(mark...)
                truncated = true
                break
            }
            marks.append(mark)
        }
        if truncated {
            while out.count + Self.truncatedSuffix.count > limit, let mark = marks.popLast() {
                out.removeSubrange(mark...)
            }
            out.append(contentsOf: Self.truncatedSuffix)
        } else {
            out.append(UInt8(ascii: "}"))
        }

        if out.count > limit {
            // Unreachable with the enforced minimums; kept so the bound holds whatever changes above.
            return Self.fallbackLine(level: event.level, time: time)
        }
        return out
    }

    private static func fallbackLine(level: Logger.Level, time: Date) -> [UInt8] {
        var out: [UInt8] = Array(#"{"time":""#.utf8)
        out.append(contentsOf: RFC3339.string(from: time).utf8)
        out.append(contentsOf: #"","level":""#.utf8)
        out.append(contentsOf: level.rawValue.utf8)
        out.append(contentsOf: #"","message":"…(line over limit)","logger":"","truncated":true}"#.utf8)
        return out
    }

    // MARK: - Writing

    private static let writeLock = Mutex<Void>(())

    private static func writeAll(_ bytes: UnsafeBufferPointer<UInt8>, to fileDescriptor: Int32) {
        guard var pointer = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let written = write(fileDescriptor, pointer, remaining)
            if written > 0 {
                pointer += written
                remaining -= written
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }
}

/// Renders metadata values, stopping as soon as the output passes a byte bound.
private struct ValueWriter {
    let maxValueBytes: Int
    let abortAbove: Int

    /// Appends `value`; returns `false` once the output is longer than `abortAbove` (the caller discards it).
    func append(_ value: Logger.Metadata.Value, depth: Int, to out: inout [UInt8]) -> Bool {
        switch value {
        case .string(let string):
            JSONEncoding.appendString(JSONEncoding.cut(string, maxBytes: self.maxValueBytes), to: &out)
        case .stringConvertible(let convertible):
            let string = convertible.description
            JSONEncoding.appendString(JSONEncoding.cut(string, maxBytes: self.maxValueBytes), to: &out)
        case .array(let array):
            guard depth <= JSONLogHandler.maxNestingDepth else {
                JSONEncoding.appendString("…(nested too deep)", to: &out)
                return out.count <= self.abortAbove
            }
            return self.appendArray(array, depth: depth, to: &out)
        case .dictionary(let dictionary):
            guard depth <= JSONLogHandler.maxNestingDepth else {
                JSONEncoding.appendString("…(nested too deep)", to: &out)
                return out.count <= self.abortAbove
            }
            return self.appendDictionary(dictionary, depth: depth, to: &out)
        }
        return out.count <= self.abortAbove
    }

    private func appendArray(_ array: [Logger.Metadata.Value], depth: Int, to out: inout [UInt8]) -> Bool {
        let limit = JSONLogHandler.maxCollectionElements
        let shown = array.count > limit ? limit - 1 : array.count
        out.append(UInt8(ascii: "["))
        for (index, element) in array.prefix(shown).enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            guard self.append(element, depth: depth + 1, to: &out) else { return false }
        }
        if shown < array.count {
            if shown > 0 { out.append(UInt8(ascii: ",")) }
            JSONEncoding.appendString("…(\(array.count - shown) more elements cut)", to: &out)
        }
        out.append(UInt8(ascii: "]"))
        return out.count <= self.abortAbove
    }

    private func appendDictionary(_ dictionary: Logger.Metadata, depth: Int, to out: inout [UInt8]) -> Bool {
        let limit = JSONLogHandler.maxCollectionElements
        let shown = dictionary.count > limit ? limit - 1 : dictionary.count
        let keys = dictionary.keys.sorted().prefix(shown)
        out.append(UInt8(ascii: "{"))
        var first = true
        for key in keys {
            guard let element = dictionary[key] else { continue }
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            JSONEncoding.appendString(JSONEncoding.cut(key, maxBytes: self.maxValueBytes), to: &out)
            out.append(UInt8(ascii: ":"))
            guard self.append(element, depth: depth + 1, to: &out) else { return false }
        }
        if shown < dictionary.count {
            if !first { out.append(UInt8(ascii: ",")) }
            JSONEncoding.appendString("…", to: &out)
            out.append(UInt8(ascii: ":"))
            JSONEncoding.appendString("\(dictionary.count - shown) more entries cut", to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out.count <= self.abortAbove
    }
}

/// JSON text helpers shared by the handler. Nothing here traps, whatever the input.
enum JSONEncoding {
    /// Returns `string` unchanged if it is at most `maxBytes` UTF-8 bytes and its escaped form (without quotes) is
    /// at most `maxEscapedBytes`; otherwise its longest `Character` prefix that, followed by `…(cut N bytes)`,
    /// respects both bounds.
    static func cut(_ string: String, maxBytes: Int, maxEscapedBytes: Int = .max) -> String {
        let utf8 = string.utf8
        let total = utf8.count
        if total <= maxBytes {
            if total <= maxEscapedBytes / 6 {
                return string
            }
            var escaped = 0
            for byte in utf8 { escaped += escapedLength(byte) }
            if escaped <= maxEscapedBytes { return string }
        }
        // The marker is ASCII plus "…", which needs no escaping; reserve its longest possible form.
        let markerReserve = markerLength(cutBytes: total)
        let rawAllowance = maxBytes - markerReserve
        let escapedAllowance = maxEscapedBytes - markerReserve
        var keptBytes = 0
        var keptEscaped = 0
        var end = string.startIndex
        while end < string.endIndex {
            let next = string.index(after: end)
            let characterUTF8 = string.utf8[end..<next]
            var escaped = 0
            for byte in characterUTF8 { escaped += escapedLength(byte) }
            let bytes = characterUTF8.count
            if keptBytes + bytes > rawAllowance || keptEscaped + escaped > escapedAllowance { break }
            keptBytes += bytes
            keptEscaped += escaped
            end = next
        }
        return String(string[..<end]) + "…(cut \(total - keptBytes) bytes)"
    }

    /// The UTF-8 length of `…(cut N bytes)`.
    static func markerLength(cutBytes: Int) -> Int {
        var digits = 1
        var rest = cutBytes
        while rest >= 10 {
            rest /= 10
            digits += 1
        }
        return "…(cut  bytes)".utf8.count + digits
    }

    static func escapedLength(_ byte: UInt8) -> Int {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), 0x08, 0x09, 0x0A, 0x0C, 0x0D: 2
        case 0x00..<0x20: 6
        default: 1
        }
    }

    /// Appends `string` as a quoted JSON string.
    static func appendString(_ string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x08: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x00..<0x20:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                out.append(hexDigit(byte >> 4))
                out.append(hexDigit(byte & 0x0F))
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + (nibble - 10)
    }
}
