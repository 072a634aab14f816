import Foundation
import Synchronization

/// A dedicated OS thread that runs a client's poll loop, so librdkafka's blocking polls and the
/// callbacks they serve never occupy a thread of Swift's cooperative pool.
final class RDKafkaPollThread: Sendable {
    private let stopped = Atomic<Bool>(false)
    private let finished = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    /// Starts `body` on a new thread; it is called repeatedly until ``stop()`` or until it returns
    /// false, then `teardown` runs once on the same thread.
    init(name: String, body: @escaping @Sendable () -> Bool, teardown: @escaping @Sendable () -> Void = {}) {
        let thread = Thread { [self] in
            while !self.stopped.load(ordering: .acquiring) && body() {}
            teardown()
            let waiters = self.finished.withLock { state in
                state.done = true
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume() }
        }
        thread.name = name
        thread.start()
    }

    /// Asks the loop to stop without waiting (for `deinit`).
    func requestStop() {
        stopped.store(true, ordering: .releasing)
    }

    /// Asks the loop to stop and waits until its teardown has run.
    func stop() async {
        stopped.store(true, ordering: .releasing)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = finished.withLock { state in
                if state.done { return true }
                state.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}

/// Runs a blocking librdkafka call on a GCD thread, off the cooperative pool.
func offCooperativePool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(returning: work())
        }
    }
}
