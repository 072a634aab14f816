import Foundation
import Synchronization

/// A dedicated OS thread that runs a client's poll loop, so librdkafka's blocking polls and the
/// callbacks they serve never occupy a thread of Swift's cooperative pool.
final class RDKafkaPollThread: Sendable {
    private struct Finished {
        var done = false
        var nextID = 0
        var waiters: [(id: Int, continuation: CheckedContinuation<Bool, Never>)] = []
    }

    private let stopped = Atomic<Bool>(false)
    private let finished = Mutex(Finished())

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
            for waiter in waiters { waiter.continuation.resume(returning: true) }
        }
        thread.name = name
        thread.start()
    }

    /// Asks the loop to stop without waiting (for `deinit`).
    func requestStop() {
        stopped.store(true, ordering: .releasing)
    }

    /// True once the loop was asked to stop.
    var isStopping: Bool { stopped.load(ordering: .acquiring) }

    /// Asks the loop to stop and waits until its teardown has run.
    func stop() async {
        _ = await stop(within: nil)
    }

    /// Asks the loop to stop and waits until its teardown has run or `timeout` passed; true when
    /// it ran. After a timeout the thread still finishes (and tears down) on its own.
    func stop(within timeout: Duration?) async -> Bool {
        stopped.store(true, ordering: .releasing)
        return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let id = finished.withLock { state -> Int? in
                if state.done { return nil }
                state.nextID += 1
                state.waiters.append((state.nextID, continuation))
                return state.nextID
            }
            guard let id else { return continuation.resume(returning: true) }
            guard let timeout else { return }
            Task {
                try? await Task.sleep(for: timeout)
                let waiter = self.finished.withLock { state -> CheckedContinuation<Bool, Never>? in
                    guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                    return state.waiters.remove(at: index).continuation
                }
                waiter?.resume(returning: false)
            }
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
