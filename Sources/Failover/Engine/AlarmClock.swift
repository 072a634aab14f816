/// A clock that can ring an alarm: call back once its time reaches an instant, with no task of
/// the caller's asleep for it. This is all the engine asks of its clock beyond `Clock` itself:
/// it keeps one alarm for every attempt timeout it watches (a `DeadlineTimer`), so how that
/// alarm waits is the clock's business, and the engine never asks which clock it has.
///
/// The default, which `ContinuousClock` and `SuspendingClock` use, is a detached task that
/// sleeps on the clock until the instant. A clock whose time is moved by hand (a test's manual
/// clock) rings the alarm on the caller that moves time past it instead, so no task runs
/// behind the test's back and a run stays deterministic.
///
/// Guarantees a conforming clock gives: `action` runs once, at or after `instant` (at once if
/// the instant has passed), on any thread; `action` must not block.
package protocol AlarmClock: Clock {
    /// Calls `action` once time reaches `instant`.
    func wake(at instant: Instant, _ action: @escaping @Sendable () -> Void)
}

extension AlarmClock {
    /// Sleeps in a detached task until `instant`, then calls `action` (also if the sleep is cut
    /// short: a detached task is never cancelled here).
    package func wake(at instant: Instant, _ action: @escaping @Sendable () -> Void) {
        Task.detached { [self] in
            try? await sleep(until: instant, tolerance: nil)
            action()
        }
    }
}

extension ContinuousClock: AlarmClock {}

extension SuspendingClock: AlarmClock {}
