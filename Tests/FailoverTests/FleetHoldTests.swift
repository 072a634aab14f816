import Completions
import Failover
import FailoverTesting
import Testing

/// Shared route health on the engine's side: a hold the fleet puts on a route, its limits, and a
/// close on another worker's word. Time is the manual clock's.
@Suite struct FleetHoldTests {
    let primary = RouteKey(provider: "primary", model: "claude-sonnet-4-5")

    @Test("a held route is skipped (no call) until the hold lapses, then called again")
    func holdSkipsUntilItLapses() async throws {
        let rig = Rig(primary: { _, _ in .answer("primary answer") })
        rig.engine.holdRoute(primary, for: .seconds(10))
        #expect(!rig.engine.isAvailable(primary))
        let held = try await rig.run(rig.job("held"))
        #expect(held.servedBy?.index == 1)
        #expect(rig.primary.calls == 0)
        #expect(rig.sink.attempts.contains { $0.jobID == "held" && $0.outcome == .circuitOpen && $0.routeIndex == 0 })
        rig.clock.advance(by: .seconds(10))
        #expect(rig.engine.isAvailable(primary))
        let free = try await rig.run(rig.job("free"))
        #expect(free.servedBy?.index == 0)
        #expect(rig.primary.calls == 1)
    }

    @Test("a route that just succeeded here is held at most one probe interval, whatever the fleet asks")
    func freshEvidenceCapsTheHold() async throws {
        let rig = Rig(primary: { _, _ in .answer("primary answer") })
        _ = try await rig.run(rig.job("ok"))
        let cooldown = EngineConfiguration(prices: .defaults).breaker.cooldown
        rig.engine.holdRoute(primary, for: .seconds(3_600))
        #expect(!rig.engine.isAvailable(primary))
        rig.clock.advance(by: cooldown - .milliseconds(1))
        #expect(!rig.engine.isAvailable(primary))
        rig.clock.advance(by: .milliseconds(1))
        #expect(rig.engine.isAvailable(primary), "held for one cooldown, not an hour")
    }

    @Test("lifting a hold with closeBreaker closes an open breaker here and reports it; without, the breaker stays open")
    func closeOnTheFleetsWord() async throws {
        let rig = Rig(primary: { _, _ in .fail(httpFailure(401)) })
        _ = try await rig.run(rig.job("auth"))
        #expect(rig.engine.circuitState(of: primary) == .open)
        rig.engine.holdRoute(primary, for: nil)
        #expect(rig.engine.circuitState(of: primary) == .open)
        rig.engine.holdRoute(primary, for: nil, closeBreaker: true)
        #expect(rig.engine.circuitState(of: primary) == .closed)
        #expect(rig.sink.circuits.last?.state == .closed)
        #expect(rig.sink.circuits.first?.state == .open && rig.sink.circuits.first?.cooldown != nil, "an open event says for how long")
    }
}
