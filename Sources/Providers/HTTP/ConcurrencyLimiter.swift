import Synchronization

/// A provider's `max_concurrency`: at most `limit` calls in flight; a caller beyond it waits in
/// FIFO order for a slot instead of failing (the attempt timeout starts once it has the slot).
///
/// Guarantees: a waiter that is cancelled leaves the queue and throws `CancellationError`
/// without taking a slot; every acquired slot is released exactly once by ``withSlot(_:)``.
public final class ConcurrencyLimiter: Sendable {
    private struct State {
        var inFlight = 0
        var nextID = 0
        var waiters: [(id: Int, continuation: CheckedContinuation<Void, any Error>)] = []
    }

    public let limit: Int
    private let state = Mutex(State())

    public init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Runs `body` holding a slot.
    public func withSlot<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await acquire()
        defer { release() }
        return try await body()
    }

    /// Calls in flight now.
    public var inFlight: Int { state.withLock { $0.inFlight } }

    private func acquire() async throws {
        let id: Int? = state.withLock { state in
            if state.inFlight < limit, state.waiters.isEmpty {
                state.inFlight += 1
                return nil
            }
            state.nextID += 1
            return state.nextID
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let cancelled = state.withLock { state -> Bool in
                    if Task.isCancelled { return true }
                    state.waiters.append((id, continuation))
                    return false
                }
                if cancelled { continuation.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            continuation?.resume(throwing: CancellationError())
        }
    }

    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            if state.waiters.isEmpty {
                state.inFlight -= 1
                return nil
            }
            // The slot passes straight to the first waiter: inFlight stays the same.
            return state.waiters.removeFirst().continuation
        }
        next?.resume()
    }
}
