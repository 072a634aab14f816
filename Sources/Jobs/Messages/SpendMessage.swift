import Completions
import Foundation

/// One worker's spend on one budgeted workload, on the compacted spend topic (keyed
/// `workload/worker`): what it spent in each current window, what its running jobs may still
/// spend (their reservations), and how many of the workload's jobs it holds deferred.
///
/// Guarantees: ``read(_:)`` accepts only what ``write(to:)`` writes: names bounded
/// (``maxNameBytes``), at most ``maxWindows`` windows, every amount finite, non-negative and at
/// most ``maxUSD``, counts non-negative and bounded; anything else is `nil`, never trusted.
package struct SpendMessage: Sendable, Hashable, JSONWritable {
    /// Spend in one window.
    package struct WindowSpend: Sendable, Hashable {
        /// The window's name in the budget (`hour`, `day`, `window`).
        package var window: String
        /// The window's start, in milliseconds since the epoch.
        package var startMs: Int64
        /// What the sender spent in it, in US dollars.
        package var spentUSD: Double

        package init(window: String, startMs: Int64, spentUSD: Double) {
            self.window = window
            self.startMs = startMs
            self.spentUSD = spentUSD
        }
    }

    package static let maxNameBytes = 256
    package static let maxWindows = 8
    package static let maxUSD = 1e12
    package static let maxBytes = 8_192

    package var workload: String
    /// The sender's identity (host, process, start).
    package var worker: String
    /// When it was sent, in milliseconds since the epoch.
    package var atMs: Int64
    package var windows: [WindowSpend]
    /// What the sender's running jobs of the workload may still spend (upper bounds).
    package var reservedUSD: Double
    /// Jobs of the workload the sender moved to the deferred topic and has not taken back.
    package var waiting: Int

    package init(workload: String, worker: String, atMs: Int64, windows: [WindowSpend], reservedUSD: Double, waiting: Int) {
        self.workload = workload
        self.worker = worker
        self.atMs = atMs
        self.windows = windows
        self.reservedUSD = reservedUSD
        self.waiting = waiting
    }

    /// The record key: one per workload and worker, so compaction keeps each worker's last word.
    package var key: String { "\(workload)/\(worker)" }

    package func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("workload", workload)
        writer.member("worker", worker)
        writer.member("at_ms", Int(atMs))
        writer.key("windows")
        writer.beginArray()
        for window in windows {
            writer.beginObject()
            writer.member("window", window.window)
            writer.member("start_ms", Int(window.startMs))
            writer.member("spent_usd", window.spentUSD)
            writer.endObject()
        }
        writer.endArray()
        writer.member("reserved_usd", reservedUSD)
        writer.member("waiting", waiting)
        writer.endObject()
    }

    /// Reads a message as ``write(to:)`` writes it; `nil` for anything else.
    package static func read(_ bytes: [UInt8]) -> SpendMessage? {
        guard bytes.count <= maxBytes, let value = try? JSONParser.parse(bytes), let object = value.objectValue,
            let workload = bounded(object["workload"]), let worker = bounded(object["worker"]),
            let atMs = milliseconds(object["at_ms"]), let reserved = amount(object["reserved_usd"]),
            let waitingNumber = object["waiting"]?.numberValue, waitingNumber >= 0, waitingNumber <= 1e9,
            waitingNumber == waitingNumber.rounded(), let list = object["windows"]?.arrayValue, list.count <= maxWindows
        else { return nil }
        var windows: [WindowSpend] = []
        for element in list {
            guard let window = element.objectValue, let name = bounded(window["window"]), let start = milliseconds(window["start_ms"]),
                let spent = amount(window["spent_usd"])
            else { return nil }
            windows.append(WindowSpend(window: name, startMs: start, spentUSD: spent))
        }
        return SpendMessage(
            workload: workload, worker: worker, atMs: atMs, windows: windows, reservedUSD: reserved, waiting: Int(waitingNumber))
    }

    private static func bounded(_ value: JSONValue?) -> String? {
        guard let text = value?.stringValue, !text.isEmpty, text.utf8.count <= maxNameBytes else { return nil }
        return text
    }

    /// A whole number of milliseconds between the epoch and the year 9999.
    private static func milliseconds(_ value: JSONValue?) -> Int64? {
        guard let number = value?.numberValue, number >= 0, number <= 253_402_300_799_000, number == number.rounded() else { return nil }
        return Int64(number)
    }

    private static func amount(_ value: JSONValue?) -> Double? {
        guard let number = value?.numberValue, number.isFinite, number >= 0, number <= maxUSD else { return nil }
        return number
    }
}
