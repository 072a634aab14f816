import Failover
import FailoverTesting
import Synchronization
import Testing

/// The one thing the engine asks of its clock beyond `Clock`: an alarm. A real clock rings it
/// from a task of its own; the manual clock rings it only when a test moves time.
@Suite struct AlarmClockTests {
    @Test func aRealClockRingsItsAlarmOnceTheInstantPasses() async {
        let clock = ContinuousClock()
        let instant = clock.now.advanced(by: .milliseconds(20))
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            clock.wake(at: instant) { continuation.resume() }
        }
        #expect(clock.now >= instant)
    }

    @Test func theManualClockRingsItsAlarmOnlyWhenTimeIsMoved() {
        let clock = ManualClock()
        let rings = Rings()
        clock.wake(at: ManualClock.Instant(offset: .seconds(2))) { rings.count.withLock { $0 += 1 } }
        clock.advance(by: .seconds(1))
        #expect(rings.value == 0)
        clock.advance(by: .seconds(1))
        #expect(rings.value == 1)
    }
}

/// How often an alarm rang.
private final class Rings: Sendable {
    let count = Mutex(0)

    var value: Int { count.withLock { $0 } }
}
