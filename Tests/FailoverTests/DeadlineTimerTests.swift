import Completions
import FailoverTesting
import Foundation
import Testing

@testable import Failover

/// The engine's single attempt-timeout timer, on a manual clock: no sleeping, no timer tasks.
@Suite struct DeadlineTimerTests {
    private func timer(_ clock: ManualClock) -> DeadlineTimer {
        DeadlineTimer(now: { clock.elapsed }, alarm: { instant, fire in clock.wake(at: ManualClock.Instant(offset: instant), fire) })
    }

    @Test func deadlinesFireInOrderAndOnlyOnce() {
        let clock = ManualClock()
        let timer = timer(clock)
        let late = timer.arm(.seconds(5), task: nil)
        let early = timer.arm(.seconds(1), task: nil)
        let middle = timer.arm(.seconds(3), task: nil)
        #expect(clock.nextDeadline == ManualClock.Instant(offset: .seconds(1)))
        clock.advance(to: ManualClock.Instant(offset: .seconds(1)))
        #expect(timer.disarm(early))
        clock.advance(to: ManualClock.Instant(offset: .seconds(2)))
        #expect(!timer.disarm(middle))
        clock.advance(to: ManualClock.Instant(offset: .seconds(5)))
        #expect(timer.disarm(late))
        #expect(timer.counts.registered == 0)
    }

    @Test func aPastDeadlineFiresAtOnce() {
        let clock = ManualClock()
        clock.advance(by: .seconds(10))
        let timer = timer(clock)
        let id = timer.arm(.seconds(4), task: nil)
        #expect(timer.disarm(id))
    }

    @Test func finishedCallsDoNotPileUp() {
        let clock = ManualClock()
        let timer = timer(clock)
        for second in 1...10_000 {
            let id = timer.arm(.seconds(30 + second), task: nil)
            #expect(!timer.disarm(id))
        }
        #expect(timer.counts.registered == 0)
        #expect(timer.counts.heap <= 64)
        // The one alarm armed for the first deadline rings harmlessly.
        clock.advance(by: .seconds(100_000))
        #expect(clock.nextDeadline == nil)
    }

    @Test func concurrentCallsTimeOutEachAtItsOwnDeadline() async throws {
        let rig = Rig(primary: { _, _ in .hang })
        // The 1 s and 2 s deadlines arrive after the 3 s one: the timer re-arms for each.
        let jobs = [3, 1, 2].map { seconds in rig.job("t\(seconds)", policy: FailoverPolicy(attemptTimeout: .seconds(seconds))) }
        let results = try await rig.runAll(jobs)
        #expect(results.allSatisfy { $0.servedBy?.index == 1 })
        #expect(results.map(\.latency).sorted() == [.seconds(1), .seconds(2), .seconds(3)])
        #expect(rig.primary.cancelled == 3)
        #expect(rig.engine.timer.counts.registered == 0)
        #expect(rig.sink.attempts.filter { $0.outcome == .timeout }.map(\.latency).sorted() == [.seconds(1), .seconds(2), .seconds(3)])
    }

    @Test func aCallThatAnswersInTimeIsNotCut() async throws {
        let rig = Rig(primary: { _, _ in .answer("just in time", after: .seconds(5)) })
        let result = try await rig.run(rig.job(policy: FailoverPolicy(attemptTimeout: .seconds(5) + .nanoseconds(1))))
        #expect(result.servedBy?.index == 0)
        #expect(rig.primary.cancelled == 0)
        #expect(rig.engine.timer.counts.registered == 0)
    }
}

/// The first-pick fast path of the engine (no plan built) against the general path.
@Suite struct FastPathTests {
    @Test func skipsBeforeTheFirstHealthyRouteAreReportedInOrder() async throws {
        let rig = Rig(primary: { _, _ in .fail(httpFailure(401)) }, backup: { _, _ in .answer("backup") })
        _ = try await rig.run(rig.job("open-it"))
        var job = rig.job("after")
        job.routes = [
            RouteTarget(provider: "primary", model: "claude-sonnet-4-5", index: 0),
            RouteTarget(provider: "nope", model: "m", index: 1),
            RouteTarget(provider: "backup", model: "gpt-4o", index: 2),
            RouteTarget(provider: "nope", model: "n", index: 3),
        ]
        let result = try await rig.run(job)
        #expect(result.servedBy?.index == 2)
        #expect(result.attempts == 1)
        let events = rig.sink.attempts.filter { $0.jobID == "after" }
        #expect(events.map(\.routeIndex) == [0, 1, 2])
        #expect(events.map(\.outcome) == [.circuitOpen, .circuitOpen, .ok])
        #expect(rig.primary.calls == 1)
    }

    @Test func aSlowFirstRouteStillGoesBehindAHealthyOne() async throws {
        let rig = Rig(primary: { _, _ in .answer("fast") }, backup: { _, _ in .answer("slow", after: .seconds(3)) })
        let policy = FailoverPolicy(slowAfter: .seconds(1))
        var job = rig.job("warm", policy: policy)
        job.routes = [RouteTarget(provider: "backup", model: "gpt-4o", index: 0)]
        _ = try await rig.run(job)
        job.id = "demoted"
        job.routes = [
            RouteTarget(provider: "backup", model: "gpt-4o", index: 0), RouteTarget(provider: "primary", model: "claude-sonnet-4-5", index: 1),
        ]
        let result = try await rig.run(job)
        #expect(result.servedBy?.index == 1)
        #expect(rig.backup.calls == 1)
    }
}
