import Logging
import Synchronization

/// A swift-log handler that keeps every record, so tests can assert what was logged (and what
/// was not: secrets).
package final class LogRecorder: Sendable {
    /// One logged line.
    package struct Entry: Sendable {
        package var level: Logger.Level
        package var message: String
        package var metadata: [String: String]
        package var source: String
    }

    private let entries = Mutex<[Entry]>([])

    package init() {}

    /// A logger that writes into this recorder at `level` and above.
    package func logger(level: Logger.Level = .debug) -> Logger {
        var logger = Logger(label: "understudy.test.recorded") { _ in Handler(recorder: self) }
        logger.logLevel = level
        return logger
    }

    package var all: [Entry] { entries.withLock { $0 } }

    fileprivate func append(_ entry: Entry) {
        entries.withLock { $0.append(entry) }
    }

    private struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
            recorder.append(
                Entry(
                    level: event.level, message: "\(event.message)",
                    metadata: merged.mapValues { "\($0)" }, source: event.source
                )
            )
        }
    }
}
