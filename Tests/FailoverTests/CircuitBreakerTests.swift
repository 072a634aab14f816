import Failover
import Testing

@Suite struct CircuitBreakerTests {
    let configuration = CircuitBreaker.Configuration(
        consecutiveFailures: 5, failureRatio: 0.5, window: .seconds(30), minimumCalls: 10, cooldown: .seconds(10), maxCooldown: .seconds(35),
        halfOpenProbes: 1)

    @Test func opensAfterConsecutiveFailures() {
        var breaker = CircuitBreaker(configuration)
        for second in 0..<4 { #expect(breaker.recordFailure(probe: false, at: .seconds(second)) == nil) }
        #expect(breaker.recordFailure(probe: false, at: .seconds(4)) == .open)
        #expect(breaker.state == .open)
        #expect(breaker.acquire(at: .seconds(5)).permission == .rejected(until: .seconds(14)))
        #expect(breaker.availability(at: .seconds(13)) == .unavailable(until: .seconds(14)))
    }

    @Test func successResetsTheConsecutiveCount() {
        var breaker = CircuitBreaker(configuration)
        for second in 0..<4 { _ = breaker.recordFailure(probe: false, at: .seconds(second)) }
        _ = breaker.recordSuccess(probe: false, at: .seconds(4))
        #expect(breaker.recordFailure(probe: false, at: .seconds(5)) == nil)
        #expect(breaker.state == .closed)
    }

    @Test func opensOnFailureRatioWithMinimumCalls() {
        var ratioOnly = configuration
        ratioOnly.consecutiveFailures = 100
        var breaker = CircuitBreaker(ratioOnly)
        let pattern: [Bool] = [false, true, false, true, false, true, false, true, true]  // false = failure
        for (second, succeeded) in pattern.enumerated() {
            let change =
                succeeded
                ? breaker.recordSuccess(probe: false, at: .seconds(second)) : breaker.recordFailure(probe: false, at: .seconds(second))
            #expect(change == nil)
        }
        // The 10th call is the 5th failure: 5 of 10 reaches the 0.5 ratio with the minimum of 10 calls.
        #expect(breaker.recordFailure(probe: false, at: .seconds(9)) == .open)
    }

    @Test func ratioForgetsOldCalls() {
        var breaker = CircuitBreaker(configuration)
        for call in 0..<9 {
            _ = call.isMultiple(of: 2) ? breaker.recordFailure(probe: false, at: .zero) : breaker.recordSuccess(probe: false, at: .zero)
        }
        // A minute later the window is empty: one failure does not open it.
        #expect(breaker.recordFailure(probe: false, at: .seconds(60)) == nil)
    }

    @Test func halfOpenLetsOneProbeAndSuccessCloses() {
        var breaker = CircuitBreaker(configuration)
        breaker.trip(at: .zero)
        #expect(breaker.acquire(at: .seconds(9)).permission == .rejected(until: .seconds(10)))
        let first = breaker.acquire(at: .seconds(10))
        #expect(first.permission == .probe)
        #expect(first.change == .halfOpen)
        #expect(breaker.acquire(at: .seconds(10)).permission == .rejected(until: nil))
        #expect(breaker.recordSuccess(probe: true, at: .seconds(11)) == .closed)
        #expect(breaker.acquire(at: .seconds(11)).permission == .allowed)
        #expect(breaker.trips == 0)
    }

    @Test func failedProbeReopensWithGrowingCappedCooldown() {
        var breaker = CircuitBreaker(configuration)
        breaker.trip(at: .zero)
        #expect(breaker.openUntil == .seconds(10))
        _ = breaker.acquire(at: .seconds(10))
        #expect(breaker.recordFailure(probe: true, at: .seconds(10)) == .open)
        #expect(breaker.openUntil == .seconds(30))
        _ = breaker.acquire(at: .seconds(30))
        _ = breaker.recordFailure(probe: true, at: .seconds(30))
        #expect(breaker.openUntil == .seconds(65))  // 40 s capped at 35 s
    }

    @Test func neutralProbeFreesTheSlot() {
        var breaker = CircuitBreaker(configuration)
        breaker.trip(at: .zero)
        #expect(breaker.acquire(at: .seconds(10)).permission == .probe)
        breaker.recordNeutral(probe: true)
        #expect(breaker.acquire(at: .seconds(10)).permission == .probe)
    }

    @Test func coolDownOpensForExactlyThatLongWithoutGrowing() {
        var breaker = CircuitBreaker(configuration)
        #expect(breaker.coolDown(for: .seconds(3600), at: .seconds(5)) == .open)
        #expect(breaker.openUntil == .seconds(3605))
        #expect(breaker.trips == 0)
        #expect(breaker.coolDown(for: .seconds(1), at: .seconds(6)) == nil)
        #expect(breaker.openUntil == .seconds(3605))
    }

    @Test func lateResultsWhileOpenChangeNothing() {
        var breaker = CircuitBreaker(configuration)
        breaker.trip(at: .zero)
        #expect(breaker.recordSuccess(probe: false, at: .seconds(1)) == nil)
        #expect(breaker.recordFailure(probe: false, at: .seconds(1)) == nil)
        #expect(breaker.state == .open)
        #expect(breaker.openUntil == .seconds(10))
    }
}
