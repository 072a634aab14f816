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

    /// One attempt per job, so each job makes exactly one call to the primary.
    private static let oneAttempt = FailoverPolicy(maxAttempts: 1)

    @Test(
        "pooled failures: with its own last call failed, a worker trips once its streak and the fleet's reach the threshold; with none of its own, never"
    )
    func pooledFailuresTripAtOneThreshold() async throws {
        let rig = Rig(primary: { _, _ in .fail(httpFailure(503)) })
        let threshold = EngineConfiguration(prices: .defaults).breaker.consecutiveFailures
        try #require(threshold > 2)
        rig.engine.fleetFailures(primary, count: threshold - 1)
        #expect(rig.engine.circuitState(of: primary) == .closed, "the fleet's word alone does not trip a route that has not failed here")
        #expect(rig.engine.isAvailable(primary))
        _ = try await rig.run(rig.job("first", policy: Self.oneAttempt))
        #expect(rig.primary.calls == 1)
        #expect(rig.engine.circuitState(of: primary) == .open, "one failure here and the fleet's \(threshold - 1) reach the threshold")
        #expect(rig.sink.circuits.map(\.state) == [.open])
        #expect(rig.engine.failureStreaks().isEmpty, "an open breaker has no streak to tell")
    }

    @Test("pooled failures: the fleet's word arriving after this worker's own failure trips it then")
    func pooledWordArrivingLaterTrips() async throws {
        let rig = Rig(primary: { _, _ in .fail(httpFailure(503)) })
        let threshold = EngineConfiguration(prices: .defaults).breaker.consecutiveFailures
        try #require(threshold > 2)
        _ = try await rig.run(rig.job("a", policy: Self.oneAttempt))
        #expect(rig.engine.failureStreaks() == [primary: FailureStreak(failures: 1)], "one failure, and no success here yet")
        rig.engine.fleetFailures(primary, count: threshold - 2)
        #expect(rig.engine.circuitState(of: primary) == .closed, "one short of the threshold")
        rig.engine.fleetFailures(primary, count: threshold - 1)
        #expect(rig.engine.circuitState(of: primary) == .open)
        #expect(rig.sink.circuits.map(\.state) == [.open])
    }

    @Test("pooled failures: a trip on the fleet's word cuts the calls in flight to the route; their jobs fail over at once")
    func pooledTripCutsCallsInFlight() async throws {
        // Call 1 fails (this worker's own streak), call 2 hangs until cut.
        let rig = Rig(primary: { call, _ in call == 1 ? .fail(httpFailure(503)) : .hang })
        let threshold = EngineConfiguration(prices: .defaults).breaker.consecutiveFailures
        _ = try await rig.run(rig.job("a", policy: Self.oneAttempt))
        let primary = primary
        let job = rig.job("b", policy: FailoverPolicy(attemptTimeout: .seconds(20)))
        let result = try #require(try await run(rig, job, after: .seconds(1)) { $0.fleetFailures(primary, count: threshold) })
        #expect(result.servedBy?.index == 1)
        #expect(result.latency == .seconds(1), "failed over when the fleet's word came, not at the 20 s attempt timeout")
        #expect(rig.engine.circuitState(of: primary) == .open)
        let cut = try #require(rig.sink.attempts.first { $0.jobID == "b" })
        #expect(cut.outcome == .timeout && cut.errorMessage?.contains("cut short") == true)
    }

    @Test("pooled failures: after a success here the fleet's streak counts for nothing until this worker fails again itself")
    func successHereEndsTheStreak() async throws {
        // Call 1 fails, call 2 succeeds, call 3 fails.
        let rig = Rig(primary: { call, _ in call == 2 ? .answer("primary answer") : .fail(httpFailure(503)) })
        let threshold = EngineConfiguration(prices: .defaults).breaker.consecutiveFailures
        _ = try await rig.run(rig.job("a", policy: Self.oneAttempt))
        _ = try await rig.run(rig.job("b", policy: Self.oneAttempt))
        #expect(rig.engine.failureStreaks().isEmpty, "a success here ends the streak")
        rig.engine.fleetFailures(primary, count: threshold)
        #expect(rig.engine.circuitState(of: primary) == .closed, "this worker's own fresh evidence says the route works")
        _ = try await rig.run(rig.job("c", policy: Self.oneAttempt))
        #expect(rig.engine.circuitState(of: primary) == .open, "its own failure agrees with the fleet's now")
    }

    /// Runs `job` and, `after` into it, holds the primary for 30 s (the fleet's word arriving).
    private func runHeld(_ rig: Rig, _ job: FailoverJob, after: Duration) async throws -> FailoverResult? {
        let primary = primary
        return try await run(rig, job, after: after) { engine in engine.holdRoute(primary, for: .seconds(30)) }
    }

    /// Runs `job` and, `after` into it, does `word` to the engine (the fleet's word arriving).
    private func run(
        _ rig: Rig, _ job: FailoverJob, after: Duration, word: @escaping @Sendable (FailoverEngine<ManualClock>) -> Void
    ) async throws -> FailoverResult? {
        let (engine, clock) = (rig.engine, rig.clock)
        return try await ManualExecutor.run(advancing: clock) {
            await withTaskGroup(of: FailoverResult?.self) { group in
                group.addTask { await engine.run(job) }
                group.addTask {
                    try? await clock.sleep(for: after)
                    word(engine)
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
        #expect(first.errorMessage?.contains("the fleet found this route down") == true, "\(first.errorMessage ?? "")")
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
