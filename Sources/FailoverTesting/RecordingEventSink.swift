import Failover
import Synchronization

/// A sink that keeps every event in memory, for tests to read back.
///
/// Guarantees: events are kept in the order `record` was called; safe from any task.
package final class RecordingEventSink: FailoverEventSink {
    private let storage = Mutex<[FailoverEvent]>([])

    package init() {}

    package func record(_ event: FailoverEvent) {
        storage.withLock { $0.append(event) }
    }

    /// Every event so far.
    package var events: [FailoverEvent] { storage.withLock { $0 } }

    /// The attempt events so far.
    package var attempts: [AttemptEvent] {
        events.compactMap { if case .attempt(let event) = $0 { event } else { nil } }
    }

    /// The circuit events so far.
    package var circuits: [CircuitEvent] {
        events.compactMap { if case .circuit(let event) = $0 { event } else { nil } }
    }

    /// How many retries the retry budget refused so far.
    package var retriesRefused: Int {
        events.count { if case .retryRefused = $0 { true } else { false } }
    }

    /// Forgets every event.
    package func reset() {
        storage.withLock { $0.removeAll() }
    }
}
