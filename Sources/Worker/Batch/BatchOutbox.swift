import Kafka
import Synchronization

/// Exactly-once: the batch lane's records (its state, the results it publishes), waiting to go
/// into the worker's next transaction. A writer is resumed once the transaction that carried
/// its records committed, so a result and the tombstone that says its job was served commit
/// together or not at all.
///
/// Guarantees: every writer is resumed exactly once: `true` after a commit that carried its
/// records; `false` when the outbox closed first (the worker stopped or failed) or the writer's
/// task was cancelled (its records may still commit: the lane then learns it from the topic).
final class BatchOutbox: Sendable {
    private struct Writer {
        var id: UInt64
        var continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var queued: [(records: [KafkaRecord], writer: Writer)] = []
        /// Writers whose records went into a transaction not yet known to have committed.
        var drained: [Writer] = []
        var closed = false
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Queues `records` for the next transaction and waits until one committed them.
    func write(_ records: [KafkaRecord]) async -> Bool {
        let id = state.withLock { state -> UInt64 in
            state.nextID &+= 1
            return state.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let refused = state.withLock { state -> Bool in
                    guard !state.closed, !Task.isCancelled else { return true }
                    state.queued.append((records, Writer(id: id, continuation: continuation)))
                    return false
                }
                if refused { continuation.resume(returning: false) }
            }
        } onCancel: {
            let writer = state.withLock { state -> Writer? in
                if let index = state.queued.firstIndex(where: { $0.writer.id == id }) { return state.queued.remove(at: index).writer }
                if let index = state.drained.firstIndex(where: { $0.id == id }) { return state.drained.remove(at: index) }
                return nil
            }
            writer?.continuation.resume(returning: false)
        }
    }

    /// Writers queued and not yet drained (for tests).
    var queuedCount: Int { state.withLock { $0.queued.count } }

    /// Takes queued records for a transaction, oldest writer first, whole writers only, at most
    /// `maxBytes` of them (but always the first writer's, however large); the rest wait for the
    /// next transaction. Records taken stay with the worker's state machine until a transaction
    /// commits them (an aborted one leaves them for the next).
    func drain(maxBytes: Int = .max) -> [KafkaRecord] {
        state.withLock { state in
            var records: [KafkaRecord] = []
            var bytes = 0
            var taken = 0
            for (queued, _) in state.queued {
                let size = queued.reduce(0) { $0 + $1.byteCount }
                if taken > 0, bytes + size > maxBytes { break }
                records += queued
                bytes += size
                taken += 1
            }
            state.drained += state.queued.prefix(taken).map(\.writer)
            state.queued.removeFirst(taken)
            return records
        }
    }

    /// A transaction committed: everything drained before it is in Kafka.
    func committed() {
        let writers = state.withLock { state in
            defer { state.drained = [] }
            return state.drained
        }
        for writer in writers { writer.continuation.resume(returning: true) }
    }

    /// No transaction will come: every waiting writer hears `false`, and later ones at once.
    func close() {
        let writers = state.withLock { state in
            state.closed = true
            defer {
                state.queued = []
                state.drained = []
            }
            return state.queued.map(\.writer) + state.drained
        }
        for writer in writers { writer.continuation.resume(returning: false) }
    }
}
