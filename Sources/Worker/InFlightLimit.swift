import Synchronization

/// A counting semaphore for async code: at most `limit` holders at once; the rest wait in order.
/// Bounds the jobs in flight (`worker.max_in_flight`).
final class InFlightLimit: Sendable {
    private struct State {
        var available: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
        var waiterHead = 0
    }

    let limit: Int
    private let state: Mutex<State>

    init(limit: Int) {
        self.limit = max(1, limit)
        self.state = Mutex(State(available: max(1, limit)))
    }

    /// Holders right now.
    var inUse: Int { state.withLock { limit - $0.available } }

    func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = state.withLock { state -> Bool in
                if state.available > 0 {
                    state.available -= 1
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if granted { continuation.resume() }
        }
    }

    func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiterHead < state.waiters.count {
                let waiter = state.waiters[state.waiterHead]
                state.waiterHead += 1
                if state.waiterHead == state.waiters.count {
                    state.waiters.removeAll(keepingCapacity: true)
                    state.waiterHead = 0
                }
                return waiter
            }
            state.available += 1
            return nil
        }
        next?.resume()
    }
}
