import Completions
import Foundation
import Synchronization

/// Where one secret (an API key or a bearer token) comes from: a value read once from the
/// environment variable the config names, or a file that a sidecar refreshes (Entra ID tokens),
/// re-read when it is older than `refreshInterval`.
///
/// Guarantees: the secret never appears in a description, an error message or a log line;
/// failures name the variable or the file, never the content.
package final class SecretSource: Sendable, CustomStringConvertible {
    enum Origin: Sendable {
        case value(String, variable: String)
        case file(path: String, refreshInterval: Duration)
    }

    let origin: Origin
    private let cache: Mutex<(value: String, readAt: ContinuousClock.Instant)?>

    /// A secret held in memory (read by the factory from the named environment variable).
    package init(value: String, variable: String) {
        self.origin = .value(value, variable: variable)
        self.cache = Mutex(nil)
    }

    /// A secret read from `path`, trimmed of surrounding whitespace, re-read after `refreshInterval`.
    package init(file path: String, refreshInterval: Duration = .seconds(30)) {
        self.origin = .file(path: path, refreshInterval: refreshInterval)
        self.cache = Mutex(nil)
    }

    package var description: String {
        switch origin {
        case .value(_, let variable): "SecretSource(env: \(variable))"
        case .file(let path, _): "SecretSource(file: \(path))"
        }
    }

    /// The current secret, or an `.authError` failure naming where it should have come from.
    package func current() throws(ProviderFailure) -> String {
        switch origin {
        case .value(let value, _):
            return value
        case .file(let path, let refreshInterval):
            let now = ContinuousClock.now
            if let cached = cache.withLock({ $0 }), now - cached.readAt < refreshInterval {
                return cached.value
            }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ProviderFailure(outcome: .authError, message: "token file \(path) is missing or unreadable")
            }
            let value = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !value.isEmpty else {
                throw ProviderFailure(outcome: .authError, message: "token file \(path) is empty")
            }
            cache.withLock { $0 = (value, now) }
            return value
        }
    }

    /// The last secret value seen, for redaction (nil before the first read of a file).
    var knownValue: String? {
        switch origin {
        case .value(let value, _): value
        case .file: cache.withLock { $0?.value }
        }
    }
}
