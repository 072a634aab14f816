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

    /// Runs `job` and, `after` into it, holds the primary for 30 s (the fleet's word arriving).
    private func runHeld(_ rig: Rig, _ job: FailoverJob, after: Duration) async throws -> FailoverResult? {
        let (engine, clock, primary) = (rig.engine, rig.clock, primary)
        return try await ManualExecutor.run(advancing: clock) {
            await withTaskGroup(of: FailoverResult?.self) { group in
                group.addTask { await engine.run(job) }
                group.addTask {
                    try? await clock.sleep(for: after)
                    engine.holdRoute(primary, for: .seconds(30))
                    return nil
                }
                var result: FailoverResult?
                for await next in group where next != nil { result = next }
                return result
            }
        }
    }

    @Test("a hold that begins cuts the calls in flight to the route: they end as timeouts at once and the job fails over")
    func holdCutsCallsInFlight() async throws {
        let rig = Rig(primary: { _, _ in .hang })
        let result = try #require(try await runHeld(rig, rig.job(policy: FailoverPolicy(attemptTimeout: .seconds(20))), after: .seconds(1)))
        #expect(result.status == .succeeded)
        #expect(result.servedBy?.index == 1)
        #expect(result.latency == .seconds(1), "failed over when the fleet spoke, not at the 20 s attempt timeout")
        #expect(rig.primary.cancelled == 1)
        let first = try #require(rig.sink.attempts.first)
        #expect(first.outcome == .timeout)
        #expect(first.latency == .seconds(1))
        #expect(first.errorMessage?.contains("the fleet holds this route") == true, "\(first.errorMessage ?? "")")
    }

    @Test("a route that succeeded here within one cooldown keeps its calls in flight when the fleet holds it")
    func freshEvidenceKeepsCallsInFlight() async throws {
        let rig = Rig(primary: { call, _ in call == 1 ? .answer("primary answer") : .answer("slow primary answer", after: .seconds(3)) })
        _ = try await rig.run(rig.job("ok"))
        let result = try #require(try await runHeld(rig, rig.job("slow", policy: FailoverPolicy(attemptTimeout: .seconds(20))), after: .seconds(1)))
        #expect(result.servedBy?.index == 0)
        #expect(result.latency == .seconds(3))
        #expect(rig.primary.cancelled == 0)
    }
}
