import Foundation

/// A single-threaded task executor that knows when it is idle, so a test can step a
/// ``ManualClock`` exactly when every task it runs has gone to sleep: deterministic time for
/// async code, with no real sleeps and no guessing with `Task.yield()`.
///
/// Use ``run(advancing:_:)``: it runs `body` (and every child task it starts, which inherit the
/// executor preference) on a fresh executor, and whenever all of them are suspended it advances
/// the clock to the next sleeper's deadline, until `body` returns. Work that hops to another
/// executor (an actor, an unstructured `Task` without preference) is invisible to it, so keep
/// the code under test nonisolated and structured, as the engine is.
///
/// `@unchecked Sendable`: the queue and flags are only touched under `condition`.
package final class ManualExecutor: TaskExecutor, @unchecked Sendable {
    /// `body` neither finished nor slept: nothing can make progress.
    package struct Stalled: Error, CustomStringConvertible {
        package var description: String { "the work under test is suspended but no task sleeps on the manual clock" }
    }

    private let condition = NSCondition()
    private var queue: [UnownedJob] = []
    private var running = false
    private var stopped = false
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []

    package init() {
        let thread = Thread { [self] in self.loop() }
        thread.name = "ManualExecutor"
        thread.start()
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        condition.lock()
        queue.append(unowned)
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        condition.lock()
        while true {
            while queue.isEmpty {
                running = false
                let waiters = idleWaiters
                idleWaiters.removeAll()
                if !waiters.isEmpty {
                    condition.unlock()
                    for waiter in waiters { waiter.resume() }
                    condition.lock()
                    continue
                }
                if stopped {
                    condition.unlock()
                    return
                }
                condition.wait()
            }
            running = true
            let job = queue.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
            condition.lock()
        }
    }

    /// Returns once the queue is empty and no job runs.
    package func waitUntilIdle() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            if queue.isEmpty && !running {
                condition.unlock()
                continuation.resume()
            } else {
                idleWaiters.append(continuation)
                condition.unlock()
            }
        }
    }

    /// Lets the executor's thread end once its queue is empty.
    package func shutdown() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    /// Runs `body` on a fresh executor, advancing `clock` to the next sleeper's deadline whenever
    /// all the work is suspended, until `body` returns. Throws ``Stalled`` if the work is
    /// suspended with nobody asleep on the clock (a deadlock) or the next deadline is past
    /// `limit`; the work is then cancelled but not awaited.
    package static func run<T: Sendable>(
        advancing clock: ManualClock,
        limit: Duration = .seconds(86_400 * 7),
        _ body: @escaping @Sendable () async -> T
    ) async throws -> T {
        let executor = ManualExecutor()
        defer { executor.shutdown() }
        let box = ResultBox<T>()
        let task = Task(executorPreference: executor) {
            let value = await body()
            box.set(value)
            return value
        }
        while true {
            await executor.waitUntilIdle()
            if box.isSet { return await task.value }
            guard let next = clock.nextDeadline, next.offset <= limit else {
                // Cancel, but do not wait: stalled work may never return.
                task.cancel()
                throw Stalled()
            }
            clock.advance(to: next)
        }
    }
}

private final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T?

    func set(_ newValue: T) {
        lock.lock()
        value = newValue
        lock.unlock()
    }

    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return value != nil
    }
}
