import Failover
import Synchronization

/// The attempt events of one job run, kept until the job's result is published with them.
final class JobEvents: FailoverEventSink {
    private let events = Mutex<[AttemptEvent]>([])

    func record(_ event: FailoverEvent) {
        if case .attempt(let attempt) = event {
            events.withLock { $0.append(attempt) }
        }
    }

    var attempts: [AttemptEvent] { events.withLock { $0 } }
}
