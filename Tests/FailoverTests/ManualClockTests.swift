import Failover
import FailoverTesting
import Testing

@Suite struct ManualClockTests {
    @Test func sleepersWakeInDeadlineOrder() async throws {
        let clock = ManualClock()
        let order = try await ManualExecutor.run(advancing: clock) {
            await withTaskGroup(of: Int.self) { group in
                for seconds in [3, 1, 2] {
                    group.addTask {
                        try? await clock.sleep(until: ManualClock.Instant(offset: .seconds(seconds)), tolerance: nil)
                        return seconds
                    }
                }
                var order: [Int] = []
                for await value in group { order.append(value) }
                return order
            }
        }
        #expect(order == [1, 2, 3])
        #expect(clock.elapsed == .seconds(3))
        #expect(clock.sleeperCount == 0)
    }

    @Test func cancellationWakesASleeper() async throws {
        let clock = ManualClock()
        let task = Task { try await clock.sleep(until: ManualClock.Instant(offset: .seconds(100)), tolerance: nil) }
        while clock.sleeperCount == 0 { await Task.yield() }
        #expect(clock.pendingDeadlines == [ManualClock.Instant(offset: .seconds(100))])
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(clock.sleeperCount == 0)
        #expect(clock.elapsed == .zero)
    }

    @Test func pastDeadlinesReturnAtOnce() async throws {
        let clock = ManualClock()
        clock.advance(by: .seconds(5))
        try await clock.sleep(until: ManualClock.Instant(offset: .seconds(1)), tolerance: nil)
        #expect(clock.sleeperCount == 0)
    }

    @Test func stalledWorkIsReported() async {
        let clock = ManualClock()
        await #expect(throws: ManualExecutor.Stalled.self) {
            try await ManualExecutor.run(advancing: clock) {
                await withCheckedContinuation { (_: CheckedContinuation<Void, Never>) in }
            }
        }
    }
}
