import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The progress of `compare` on stderr: on a terminal one line redrawn in place; otherwise (a
/// log, CI) a plain line at each tenth of the jobs.
final class ComparisonProgress: Sendable {
    private let total: Int
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let lastTenth = Mutex(0)

    init(total: Int) {
        self.total = max(1, total)
    }

    /// Reports `done` jobs finished on every route.
    func advance(to done: Int) {
        let line = "compared \(done)/\(total) jobs on every route"
        if isTerminal {
            write("\r\u{1B}[2K" + line)
            return
        }
        let tenth = done * 10 / total
        let due = lastTenth.withLock { last -> Bool in
            guard tenth > last else { return false }
            last = tenth
            return true
        }
        if due { write(line + "\n") }
    }

    /// Ends the in-place line.
    func finish() {
        if isTerminal { write("\r\u{1B}[2K") }
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
