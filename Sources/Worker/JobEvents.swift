import Failover
import Synchronization

/// The attempt events of one job run, kept until the job's result is published with them (by the
/// worker), or until `compare` reads the outcome of its last attempt.
package final class JobEvents: FailoverEventSink {
    private let events = Mutex<[AttemptEvent]>([])

    package init() {}

    package func record(_ event: FailoverEvent) {
        if case .attempt(let attempt) = event {
            events.withLock { $0.append(attempt) }
        }
    }

    package var attempts: [AttemptEvent] { events.withLock { $0 } }
}
