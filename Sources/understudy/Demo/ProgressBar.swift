import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The demo's progress on stderr: on a terminal one line redrawn in place, with announcements
/// printed above it; otherwise (a log file, CI) a plain line every few seconds and at each
/// announcement.
struct ProgressBar {
    /// One frame of the bar.
    struct Status {
        var done: Int
        var total: Int
        var enqueued: Int
        var backup: Int
        var failovers: Int
        var primary: String
        var breaker: String
        var elapsed: Duration
    }

    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var drawn = false
    private var lastPlain: ContinuousClock.Instant?
    private let width = 24

    /// Draws `status` (rate-limited to every 5 s when stderr is not a terminal).
    mutating func draw(_ status: Status) {
        let line = Self.line(status, width: width)
        if isTerminal {
            write("\r\u{1B}[2K" + line)
            drawn = true
        } else if lastPlain.map({ ContinuousClock.now - $0 >= .seconds(5) }) ?? true {
            write(line + "\n")
            lastPlain = .now
        }
    }

    /// Prints `text` on its own line above the bar.
    mutating func announce(_ text: String, status: Status) {
        if isTerminal {
            write("\r\u{1B}[2K" + text + "\n")
            draw(status)
        } else {
            write(text + "\n")
        }
    }

    /// Removes the bar (before the report).
    mutating func finish() {
        if isTerminal && drawn { write("\r\u{1B}[2K") }
        drawn = false
    }

    static func line(_ status: Status, width: Int) -> String {
        let fraction = status.total > 0 ? min(1, Double(status.done) / Double(status.total)) : 0
        let filled = Int((fraction * Double(width)).rounded(.down))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let seconds = Double(status.elapsed.components.seconds) + Double(status.elapsed.components.attoseconds) / 1e18
        return "[\(bar)] \(status.done)/\(status.total) done (\(status.enqueued) in)  backup \(status.backup)  "
            + "failovers \(status.failovers)  primary: \(status.primary)  breaker: \(status.breaker)  "
            + String(format: "%.0fs", seconds)
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
