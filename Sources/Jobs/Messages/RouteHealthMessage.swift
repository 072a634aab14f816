import Completions
import Failover
import Foundation

/// One worker's word on one route, on the compacted route-health topic (keyed `provider/model`):
/// its breaker's state, why it says so, and until when the word holds.
///
/// Guarantees: ``read(_:)`` accepts only what ``write(to:)`` writes, with every string bounded
/// (``maxNameBytes``), `since` not after `at` and `expires_at` not before it (and read as at most
/// ``maxLifetime`` after it); anything else is `nil`, never trusted.
package struct RouteHealthMessage: Sendable, Hashable, JSONWritable {
    /// Why the message was sent.
    package enum Reason: String, Sendable, Hashable, CaseIterable {
        /// The worker's breaker changed state.
        case change
        /// The worker repeats a breaker it still holds open or half-open.
        case heartbeat
        /// The worker's breaker is closed but its last `failures` calls failed in a row, since
        /// `since` (0: a success ended its streak, at `at`): evidence the fleet pools, so N
        /// workers trip after about one worker's threshold of failed calls. Sent on each change
        /// only, so a streak that stops growing lapses. Never read as a close.
        case failing
    }

    /// The most failures in a row a `failing` word may claim.
    package static let maxFailures = 1_000_000

    /// The longest worker id, provider or model accepted.
    package static let maxNameBytes = 256
    /// The longest a word may claim to last: `expires_at` is read as at most this after `at`.
    package static let maxLifetime: TimeInterval = 600

    package var route: RouteKey
    /// The sender's identity (host, process, start).
    package var worker: String
    package var state: CircuitState
    package var reason: Reason
    package var at: Date
    /// When the sender's breaker took `state` (`at` moves with each heartbeat; this does not).
    package var since: Date
    /// For `open`: when the sender's breaker lets its probe through.
    package var openUntil: Date?
    /// When the word lapses if no heartbeat renews it (the sender stopped, or lost the broker).
    package var expiresAt: Date
    /// For `failing`: the sender's failures in a row on the route (0 to ``maxFailures``).
    package var failures: Int?

    package init(
        route: RouteKey, worker: String, state: CircuitState, reason: Reason, at: Date, since: Date? = nil, openUntil: Date? = nil,
        expiresAt: Date, failures: Int? = nil
    ) {
        self.route = route
        self.worker = worker
        self.state = state
        self.reason = reason
        self.at = at
        self.since = since ?? at
        self.openUntil = openUntil
        self.expiresAt = expiresAt
        self.failures = failures
    }

    package func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("provider", route.provider)
        writer.member("model", route.model)
        writer.member("worker", worker)
        writer.member("state", state.rawValue)
        writer.member("reason", reason.rawValue)
        writer.member("at", RFC3339.string(from: at))
        writer.member("since", RFC3339.string(from: since))
        if let openUntil { writer.member("open_until", RFC3339.string(from: openUntil)) }
        writer.member("expires_at", RFC3339.string(from: expiresAt))
        writer.member("failures", ifPresent: failures)
        writer.endObject()
    }

    /// Reads a message as ``write(to:)`` writes it; `nil` for anything else.
    package static func read(_ bytes: [UInt8]) -> RouteHealthMessage? {
        guard bytes.count <= 4_096, let value = try? JSONParser.parse(bytes), let object = value.objectValue,
            let provider = bounded(object["provider"]), let model = bounded(object["model"]), let worker = bounded(object["worker"]),
            let state = object["state"]?.stringValue.flatMap(CircuitState.init(rawValue:)),
            let reason = object["reason"]?.stringValue.flatMap(Reason.init(rawValue:)),
            let at = object["at"]?.stringValue.flatMap(RFC3339.date(from:)),
            let expiresAt = object["expires_at"]?.stringValue.flatMap(RFC3339.date(from:)), expiresAt >= at
        else { return nil }
        var since = at
        if let text = object["since"] {
            guard let date = text.stringValue.flatMap(RFC3339.date(from:)), date <= at else { return nil }
            since = date
        }
        var openUntil: Date?
        if let text = object["open_until"] {
            guard let date = text.stringValue.flatMap(RFC3339.date(from:)) else { return nil }
            openUntil = date
        }
        var failures: Int?
        if let number = object["failures"] {
            guard let count = number.intValue, (0...maxFailures).contains(count) else { return nil }
            failures = count
        }
        // A failing word says how many; no other word does.
        guard (reason == .failing) == (failures != nil) else { return nil }
        return RouteHealthMessage(
            route: RouteKey(provider: provider, model: model), worker: worker, state: state, reason: reason, at: at, since: since,
            openUntil: openUntil, expiresAt: min(expiresAt, at.addingTimeInterval(maxLifetime)), failures: failures)
    }

    private static func bounded(_ value: JSONValue?) -> String? {
        guard let text = value?.stringValue, !text.isEmpty, text.utf8.count <= maxNameBytes else { return nil }
        return text
    }
}
