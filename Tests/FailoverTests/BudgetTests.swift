import Failover
import Testing

@Suite struct RetryBudgetTests {
    @Test func floorAllowsRetriesWithoutTraffic() {
        var budget = RetryBudget(.init(ratio: 0.2, minimumPerSecond: 1, window: .seconds(10)))
        let granted = (0..<20).filter { _ in budget.tryRetry(at: .seconds(1)) }.count
        #expect(granted == 10)
    }

    @Test func ratioOfRequestsOnTopOfTheFloor() {
        var budget = RetryBudget(.init(ratio: 0.2, minimumPerSecond: 0, window: .seconds(10)))
        for _ in 0..<100 { budget.recordRequest(at: .seconds(1)) }
        let granted = (0..<100).filter { _ in budget.tryRetry(at: .seconds(2)) }.count
        #expect(granted == 20)
        #expect(!budget.canRetry(at: .seconds(2)))
        #expect(budget.spent(at: .seconds(2)) == 20)
    }

    @Test func windowSlides() {
        var budget = RetryBudget(.init(ratio: 0.2, minimumPerSecond: 0, window: .seconds(10)))
        for _ in 0..<10 { budget.recordRequest(at: .zero) }
        let first = budget.tryRetry(at: .zero)
        let second = budget.tryRetry(at: .zero)
        let third = budget.tryRetry(at: .zero)
        #expect(first && second && !third)
        // Eleven seconds later both requests and retries have left the window.
        #expect(!budget.canRetry(at: .seconds(11)))
        for _ in 0..<5 { budget.recordRequest(at: .seconds(11)) }
        let fourth = budget.tryRetry(at: .seconds(11))
        let fifth = budget.tryRetry(at: .seconds(11))
        #expect(fourth && !fifth)
    }

    @Test func hedgeBudgetIsTenPercent() {
        var budget = HedgeBudget(.init(ratio: 0.1, minimumPerSecond: 0, window: .seconds(10)))
        for _ in 0..<200 { budget.recordRequest(at: .seconds(1)) }
        #expect((0..<100).filter { _ in budget.tryHedge(at: .seconds(1)) }.count == 20)
    }
}

@Suite struct BackoffTests {
    let backoff = Backoff(base: .milliseconds(200), cap: .seconds(10))

    @Test func ceilingDoublesUpToTheCap() {
        #expect(
            (0..<8).map { backoff.ceiling(retry: $0) } == [
                .milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(1600), .milliseconds(3200), .milliseconds(6400),
                .seconds(10), .seconds(10),
            ])
        #expect(backoff.ceiling(retry: 500) == .seconds(10))
    }

    @Test func fullJitterSpansZeroToTheCeiling() {
        #expect(backoff.delay(retry: 2, jitter: 0) == .zero)
        #expect(backoff.delay(retry: 2, jitter: 0.5) == .milliseconds(400))
        #expect(backoff.delay(retry: 2, jitter: 0.999) < .milliseconds(800))
        #expect(backoff.delay(retry: 2, jitter: 7) == .milliseconds(800))
    }
}
