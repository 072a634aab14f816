import Completions
import Foundation

/// Cuts a newline-delimited body (a JSON Lines results file) into lines as its bytes arrive, so a
/// results file of hundreds of megabytes is read holding one delivery of lines, never the file.
///
/// Guarantees: lines come out in order, without their `\n` (a trailing `\r` is kept; JSON ignores
/// it) and with empty lines dropped; a line longer than `maxLineBytes` is never held: it comes
/// out as an empty `Data` (so a reader counts it unreadable, as it would a line of bad JSON) and
/// its bytes are skipped; more than `maxBytes` in all is an `invalidOutput` failure; lines are
/// handed over in deliveries of at most `linesPerDelivery` lines and, past one line, not much more
/// than `maxLineBytes` bytes.
package struct LineSplitter: Sendable {
    /// The most lines handed over at once.
    package static let linesPerDelivery = 64

    package let maxBytes: Int
    package let maxLineBytes: Int
    private var partial: [UInt8] = []
    /// The line in progress is over `maxLineBytes`: its bytes are dropped up to its `\n`.
    private var skipping = false
    private var received = 0
    /// Lines ready, from `head` on (taken lines before it are dropped when all are taken, so
    /// taking is linear however many lines one piece holds).
    private var ready: [Data] = []
    private var head = 0

    package init(maxBytes: Int, maxLineBytes: Int) {
        self.maxBytes = max(0, maxBytes)
        self.maxLineBytes = max(1, maxLineBytes)
    }

    /// Takes the next bytes of the body.
    package mutating func feed(_ bytes: some Collection<UInt8>) throws(ProviderFailure) {
        received += bytes.count
        guard received <= maxBytes else {
            throw ProviderFailure(outcome: .invalidOutput, message: "a newline-delimited body larger than \(maxBytes) bytes")
        }
        var start = bytes.startIndex
        while start != bytes.endIndex {
            guard let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) else {
                append(bytes[start...])
                return
            }
            append(bytes[start..<newline])
            endLine()
            start = bytes.index(after: newline)
        }
    }

    /// The body ended: a last line without its `\n` is a line too.
    package mutating func finish() {
        endLine()
    }

    /// Takes the next bytes of the body and hands `receive` every delivery they complete.
    package mutating func feed(_ bytes: some Collection<UInt8>, deliveringTo receive: ([Data]) async throws -> Void) async throws {
        try feed(bytes)
        while let lines = takeFull() { try await receive(lines) }
    }

    /// The body ended: hands `receive` the lines still waiting.
    package mutating func finish(deliveringTo receive: ([Data]) async throws -> Void) async throws {
        finish()
        while let lines = takeFull() { try await receive(lines) }
        if let lines = takeAll() { try await receive(lines) }
    }

    /// The next full delivery (``linesPerDelivery`` lines, or fewer that reach `maxLineBytes`
    /// bytes), if one is ready: call until nil after each ``feed(_:)``.
    package mutating func takeFull() -> [Data]? {
        var count = 0
        var bytes = 0
        while head + count < ready.count, count < Self.linesPerDelivery, bytes < maxLineBytes {
            bytes += ready[head + count].count
            count += 1
        }
        guard count == Self.linesPerDelivery || bytes >= maxLineBytes else { return nil }
        return take(count)
    }

    /// Whatever lines are ready (after ``finish()``), or nil when none are.
    package mutating func takeAll() -> [Data]? {
        head < ready.count ? take(ready.count - head) : nil
    }

    private mutating func take(_ count: Int) -> [Data] {
        let lines = Array(ready[head..<(head + count)])
        head += count
        if head == ready.count {
            ready.removeAll(keepingCapacity: true)
            head = 0
        }
        return lines
    }

    private mutating func append(_ bytes: some Collection<UInt8>) {
        guard !skipping else { return }
        guard partial.count + bytes.count <= maxLineBytes else {
            skipping = true
            partial = []
            return
        }
        partial.append(contentsOf: bytes)
    }

    private mutating func endLine() {
        if skipping {
            ready.append(Data())
        } else if !partial.isEmpty {
            ready.append(Data(partial))
        }
        skipping = false
        partial.removeAll(keepingCapacity: true)
    }
}
