import Failover
import Synchronization

/// A `Clock` whose time only moves when a test says so, for deterministic tests of anything that
/// sleeps or times out (the engine and its attempt timeouts).
///
/// `sleep(until:)` suspends until ``advance(to:)`` or ``advance(by:)`` reaches the deadline, or
/// the sleeping task is cancelled (then it throws `CancellationError`, like `Task.sleep`).
/// ``pendingDeadlines`` and ``nextDeadline`` show who is asleep, so a test can step time to the
/// next event; ``ManualExecutor/run(advancing:_:)`` does that until the work finishes.
///
/// As an ``AlarmClock`` it rings alarms (``wake(at:_:)``) on the caller of ``advance(to:)``, with
/// no task behind them, so the engine's attempt timeouts fire exactly when a test moves time.
///
/// Guarantees: time never goes backwards; advancing resumes every sleeper whose deadline has been
/// reached, in deadline order; safe from any task.
package final class ManualClock: AlarmClock, Sendable {
    /// A point on the manual time line: the offset from the clock's start.
    package struct Instant: InstantProtocol, Sendable, Hashable, Comparable, CustomStringConvertible {
        package var offset: Duration

        package init(offset: Duration) { self.offset = offset }

        package func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        package func duration(to other: Instant) -> Duration { other.offset - offset }
        package static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
        package var description: String { "\(offset)" }
    }

    private struct Sleeper {
        var deadline: Instant
        var continuation: CheckedContinuation<Void, any Error>?
        /// Set for an alarm (``wake(at:_:)``) rather than a sleeping task.
        var action: (@Sendable () -> Void)?
    }

    private struct State {
        var now = Instant(offset: .zero)
        var sleepers: [Int: Sleeper] = [:]
        var cancelledEarly: Set<Int> = []
        var nextID = 0
    }

    private let state = Mutex(State())

    package init() {}

    package var now: Instant { state.withLock { $0.now } }
    package var minimumResolution: Duration { .zero }

    /// Time elapsed since the clock was made.
    package var elapsed: Duration { now.offset }

    package func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        try Task.checkCancellation()
        let id: Int? = state.withLock { state in
            guard deadline > state.now else { return nil }
            state.nextID += 1
            state.sleepers[state.nextID] = Sleeper(deadline: deadline, continuation: nil)
            return state.nextID
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resume: Result<Void, any Error>? = state.withLock { state in
                    if state.cancelledEarly.remove(id) != nil { return .failure(CancellationError()) }
                    guard state.sleepers[id] != nil else { return .success(()) }
                    state.sleepers[id]?.continuation = continuation
                    return nil
                }
                if let resume { continuation.resume(with: resume) }
            }
        } onCancel: {
            let continuation: CheckedContinuation<Void, any Error>?? = state.withLock { state in
                guard let sleeper = state.sleepers.removeValue(forKey: id) else { return .none }
                if sleeper.continuation == nil { state.cancelledEarly.insert(id) }
                return .some(sleeper.continuation)
            }
            if case .some(.some(let continuation)) = continuation { continuation.resume(throwing: CancellationError()) }
        }
    }

    /// Calls `action` once time reaches `instant` (at once, on the caller, if it already has): an
    /// alarm with no task behind it, so code that keeps one timer for many waits (the engine's
    /// attempt timeouts) stays deterministic. ``advance(to:)`` runs due alarms in deadline order
    /// with the sleepers, on its caller; ``nextDeadline`` counts them, ``pendingDeadlines`` and
    /// ``sleeperCount`` (sleeping tasks) do not.
    package func wake(at instant: Instant, _ action: @escaping @Sendable () -> Void) {
        let due = state.withLock { state in
            guard instant > state.now else { return true }
            state.nextID += 1
            state.sleepers[state.nextID] = Sleeper(deadline: instant, continuation: nil, action: action)
            return false
        }
        if due { action() }
    }

    /// Moves time forward by `duration`, waking every sleeper it reaches.
    package func advance(by duration: Duration) {
        advance(to: now.advanced(by: duration))
    }

    /// Moves time to `instant` (never backwards), waking every sleeper it reaches, earliest first.
    package func advance(to instant: Instant) {
        let woken: [Sleeper] = state.withLock { state in
            if instant > state.now { state.now = instant }
            let due = state.sleepers.filter { $0.value.deadline <= state.now }.sorted { ($0.value.deadline, $0.key) < ($1.value.deadline, $1.key) }
            for (id, _) in due { state.sleepers.removeValue(forKey: id) }
            return due.map(\.value)
        }
        for sleeper in woken {
            sleeper.continuation?.resume()
            sleeper.action?()
        }
    }

    /// The deadlines of every task asleep on this clock, earliest first.
    package var pendingDeadlines: [Instant] {
        state.withLock { $0.sleepers.values.filter { $0.action == nil }.map(\.deadline) }.sorted()
    }

    /// The earliest deadline of a sleeping task or an alarm, `nil` when nobody sleeps.
    package var nextDeadline: Instant? {
        state.withLock { $0.sleepers.values.map(\.deadline).min() }
    }

    /// How many tasks sleep on this clock.
    package var sleeperCount: Int { state.withLock { $0.sleepers.values.count { $0.action == nil } } }
}
