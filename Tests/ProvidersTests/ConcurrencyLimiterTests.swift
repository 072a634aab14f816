import Synchronization
import Testing

@testable import Providers

@Suite struct ConcurrencyLimiterTests {
    @Test func neverMoreThanTheLimitInFlight() async throws {
        let limiter = ConcurrencyLimiter(limit: 3)
        let peak = Peak()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    try await limiter.withSlot {
                        peak.state.withLock { $0.now += 1; $0.max = max($0.max, $0.now) }
                        try await Task.sleep(for: .milliseconds(5))
                        peak.state.withLock { $0.now -= 1 }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(peak.state.withLock { $0.max } == 3)
        #expect(limiter.inFlight == 0)
    }

    @Test func aCancelledWaiterLeavesWithoutTakingASlot() async throws {
        let limiter = ConcurrencyLimiter(limit: 1)
        let (release, releaseContinuation) = AsyncStream.makeStream(of: Void.self)
        let holder = Task { try await limiter.withSlot { for await _ in release { break } } }
        while limiter.inFlight == 0 { await Task.yield() }
        let waiter = Task { try await limiter.withSlot { 1 } }
        try await Task.sleep(for: .milliseconds(20))
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        releaseContinuation.yield()
        try await holder.value
        #expect(limiter.inFlight == 0)
        #expect(try await limiter.withSlot { 2 } == 2)
    }
}

final class Peak: Sendable {
    let state = Mutex((now: 0, max: 0))
}
