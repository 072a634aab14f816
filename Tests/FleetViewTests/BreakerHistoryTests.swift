import Failover
import Foundation
import Testing

@testable import FleetView

/// Trips counted per worker's breaker, from `circuit` events that name their worker.
@Suite struct BreakerHistoryTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("three workers tripping one after another are three trips; one worker's open repeated is one; unnamed events count as one worker's")
    func tripsPerWorker() {
        var history = BreakerHistory(route: RouteKey(provider: "p", model: "m"))
        for (offset, worker) in ["w1", "w2", "w3"].enumerated() {
            history.record(.init(state: .open, at: t0 + Double(offset), cooldownMs: 1_000, worker: worker))
        }
        history.record(.init(state: .open, at: t0 + 4, worker: "w1"))
        #expect(history.trips(since: t0, until: t0 + 10) == 3)
        #expect(history.trips(since: t0 + 1, until: t0 + 10) == 2, "w1's repeat open is not a trip of its own")
        history.record(.init(state: .halfOpen, at: t0 + 5, worker: "w1"))
        history.record(.init(state: .open, at: t0 + 6, worker: "w1"))
        #expect(history.trips(since: t0, until: t0 + 10) == 4, "a failed probe trips it again")

        var unnamed = BreakerHistory(route: RouteKey(provider: "p", model: "m"))
        unnamed.record(.init(state: .open, at: t0))
        unnamed.record(.init(state: .open, at: t0 + 1))
        #expect(unnamed.trips(since: t0, until: t0 + 10) == 1)
    }
}
