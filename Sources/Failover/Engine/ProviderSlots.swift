/// The concurrency limiter of one provider and the calls waiting for a slot, in arrival order.
struct ProviderSlots: Sendable {
    var limit: ConcurrencyLimit
    var waiters: [(id: Int, continuation: CheckedContinuation<Bool, Never>)] = []
    /// Waiters cancelled before they could enqueue.
    var cancelledEarly: Set<Int> = []

    init(_ configuration: ConcurrencyLimit.Configuration) {
        limit = ConcurrencyLimit(configuration)
    }

    /// Takes a slot if one is free and nobody waits.
    mutating func tryAcquire() -> Bool {
        waiters.isEmpty && limit.tryAcquire()
    }

    /// A call ended: feeds the adaptive limit, gives the slot back, and returns the waiters that
    /// now get one.
    mutating func finish(succeeded: Bool, overloaded: Bool, at now: Duration) -> [CheckedContinuation<Bool, Never>] {
        if succeeded { limit.recordSuccess() }
        if overloaded { limit.recordOverload(at: now) }
        return release()
    }

    /// Enqueues a waiter; returns a value to resume it with at once (granted, or cancelled).
    mutating func enqueue(id: Int, _ continuation: CheckedContinuation<Bool, Never>) -> Bool? {
        if cancelledEarly.remove(id) != nil { return false }
        if waiters.isEmpty, limit.tryAcquire() { return true }
        waiters.append((id, continuation))
        return nil
    }

    /// Removes a cancelled waiter; returns its continuation to resume with `false`.
    mutating func cancel(id: Int) -> CheckedContinuation<Bool, Never>? {
        if let position = waiters.firstIndex(where: { $0.id == id }) {
            return waiters.remove(at: position).continuation
        }
        cancelledEarly.insert(id)
        return nil
    }

    /// Gives a slot back; returns the waiters that now get one.
    mutating func release() -> [CheckedContinuation<Bool, Never>] {
        limit.release()
        var granted: [CheckedContinuation<Bool, Never>] = []
        while !waiters.isEmpty, limit.tryAcquire() {
            granted.append(waiters.removeFirst().continuation)
        }
        return granted
    }
}
