import Failover
import Testing

@Suite struct RoutePlanTests {
    let routes = (0..<4).map { RouteTarget(provider: "p\($0)", model: "m", index: $0) }

    @Test func declaredOrderSkippingUnavailableAndDemotingSlow() {
        let plan = RoutePlan(routes: routes) { route in
            switch route.index {
            case 0: .slow
            case 1: .unavailable(until: .seconds(30))
            case 2: .healthy
            default: .unknownProvider
            }
        }
        #expect(plan.ordered.map(\.index) == [2, 0])
        #expect(plan.skipped.map(\.route.index) == [1, 3])
        #expect(plan.earliestReturn(now: .seconds(1), poll: .seconds(1)) == .seconds(30))
    }

    @Test func earliestReturnCountsProbesAsAPoll() {
        let plan = RoutePlan(routes: routes) { $0.index == 0 ? .unavailable(until: nil) : .unavailable(until: .seconds(60)) }
        #expect(plan.ordered.isEmpty)
        #expect(plan.earliestReturn(now: .seconds(10), poll: .seconds(1)) == .seconds(11))
        let none = RoutePlan(routes: routes) { _ in .unknownProvider }
        #expect(none.earliestReturn(now: .zero, poll: .seconds(1)) == nil)
    }
}

@Suite struct LatencyTrackerTests {
    @Test func ewmaAndP95() {
        var tracker = LatencyTracker(.init(smoothing: 0.5, sampleCount: 20, staleAfter: .seconds(60)))
        #expect(tracker.ewma == nil && tracker.p95 == nil)
        tracker.record(.seconds(1), at: .zero)
        tracker.record(.seconds(3), at: .zero)
        #expect(tracker.ewma == .seconds(2))
        for second in 1...20 { tracker.record(.seconds(second), at: .zero) }
        #expect(tracker.p95 == .seconds(19))
    }

    @Test func slownessRecoversWithFastAnswersOrStaleness() {
        var tracker = LatencyTracker(.init(smoothing: 0.5, sampleCount: 8, staleAfter: .seconds(60)))
        tracker.record(.seconds(4), at: .zero)
        #expect(tracker.isSlow(threshold: .seconds(1), at: .seconds(1)))
        #expect(!tracker.isSlow(threshold: .seconds(1), at: .seconds(61)))
        for _ in 0..<4 { tracker.record(.milliseconds(100), at: .seconds(2)) }
        #expect(!tracker.isSlow(threshold: .seconds(1), at: .seconds(2)))
    }
}
