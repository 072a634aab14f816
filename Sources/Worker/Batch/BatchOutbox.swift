import Kafka
import Synchronization

/// Exactly-once: the batch lane's records (its state, the results it publishes), waiting to go
/// into the worker's next transaction. A writer is resumed once the transaction that carried
/// its records committed, so a result and the tombstone that says its job was served commit
/// together or not at all.
///
/// Guarantees: every writer is resumed exactly once: `true` after a commit that carried its
/// records, `false` when the outbox closed first (the worker stopped or failed).
final class BatchOutbox: Sendable {
    private struct State {
        var queued: [(records: [KafkaRecord], writer: CheckedContinuation<Bool, Never>)] = []
        /// Writers whose records went into a transaction not yet known to have committed.
        var drained: [CheckedContinuation<Bool, Never>] = []
        var closed = false
    }

    private let state = Mutex(State())

    /// Queues `records` for the next transaction and waits until one committed them.
    func write(_ records: [KafkaRecord]) async -> Bool {
        await withCheckedContinuation { (writer: CheckedContinuation<Bool, Never>) in
            let refused = state.withLock { state -> Bool in
                guard !state.closed else { return true }
                state.queued.append((records, writer))
                return false
            }
            if refused { writer.resume(returning: false) }
        }
    }

    /// Takes the queued records for a transaction. Records taken stay with the worker's state
    /// machine until a transaction commits them (an aborted one leaves them for the next).
    func drain() -> [KafkaRecord] {
        state.withLock { state in
            let records = state.queued.flatMap(\.records)
            state.drained += state.queued.map(\.writer)
            state.queued = []
            return records
        }
    }

    /// A transaction committed: everything drained before it is in Kafka.
    func committed() {
        let writers = state.withLock { state in
            defer { state.drained = [] }
            return state.drained
        }
        for writer in writers { writer.resume(returning: true) }
    }

    /// No transaction will come: every waiting writer hears `false`.
    func close() {
        let writers = state.withLock { state in
            state.closed = true
            defer {
                state.queued = []
                state.drained = []
            }
            return state.queued.map(\.writer) + state.drained
        }
        for writer in writers { writer.resume(returning: false) }
    }
}
