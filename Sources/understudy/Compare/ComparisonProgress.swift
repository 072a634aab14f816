import Completions
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The progress of `compare` on stderr: on a terminal a bar redrawn in place
/// (`[#########...........]  45/100 jobs  0:12 left`); otherwise (a log, CI) a plain line at
/// each tenth of the jobs.
final class ComparisonProgress: Sendable {
    /// The bar's width in characters.
    static let width = 30

    private let total: Int
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let started = ContinuousClock.now
    private let lastTenth = Mutex(0)

    init(total: Int) {
        self.total = max(1, total)
    }

    /// Reports `done` jobs finished on every route.
    func advance(to done: Int) {
        if isTerminal {
            write("\r\u{1B}[2K" + Self.bar(done: done, total: total, elapsed: started.duration(to: .now)))
            return
        }
        let tenth = done * 10 / total
        let due = lastTenth.withLock { last -> Bool in
            guard tenth > last else { return false }
            last = tenth
            return true
        }
        if due { write("compared \(done)/\(total) jobs on every route\n") }
    }

    /// Ends the in-place bar.
    func finish() {
        if isTerminal { write("\r\u{1B}[2K") }
    }

    /// The bar for `done` of `total` jobs after `elapsed`, with the time left at the pace so far.
    static func bar(done: Int, total: Int, elapsed: Duration) -> String {
        let total = max(1, total)
        let done = min(max(0, done), total)
        let filled = done * width / total
        var line = "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
        line += "\(done)/\(total) jobs"
        let seconds = elapsed.seconds
        if done > 0, done < total, seconds.isFinite, seconds > 0 {
            let left = seconds / Double(done) * Double(total - done)
            if left < 360_000 {
                let whole = Int(left.rounded(.up))
                line += "  \(whole / 60):" + (whole % 60 < 10 ? "0" : "") + "\(whole % 60) left"
            }
        }
        return line
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
