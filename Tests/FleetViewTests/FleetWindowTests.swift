import Completions
import Failover
import FleetView
import Foundation
import Jobs
import Testing

@Suite struct FleetWindowTests {
    private let primary = FleetSeriesKey(workload: OutageScenario.workload, route: .route(OutageScenario.primary))
    private let backup = FleetSeriesKey(workload: OutageScenario.workload, route: .route(OutageScenario.backup))

    @Test func outageMinuteByMinute() throws {
        let window = OutageScenario.window()
        let first = OutageScenario.firstMinute
        #expect(window.keptMinutes?.upperBound == first + 9)
        #expect(window.seriesKeys == [backup, primary])
        for minute in 0..<OutageScenario.minutes {
            let primaryCounts = window.stats(primary, minute: first + minute)?.counts ?? FleetCounts()
            let backupCounts = window.stats(backup, minute: first + minute)?.counts ?? FleetCounts()
            switch minute {
            case 3:
                #expect(primaryCounts.attempts == 5)
                #expect(primaryCounts.count(.timeout) == 5)
                #expect(primaryCounts.skippedAttempts == 5)
                #expect(primaryCounts.count(.circuitOpen) == 5)
            case 5:
                #expect(primaryCounts.attempts == 1)
                #expect(primaryCounts.skippedAttempts == 9)
            case 4, 6:
                #expect(primaryCounts.attempts == 0)
                #expect(primaryCounts.skippedAttempts == 10)
            default:
                #expect(primaryCounts.attempts == 10)
                #expect(primaryCounts.okAttempts == 10)
                #expect(primaryCounts.jobsSucceeded == 10)
                #expect(abs(primaryCounts.costUSD - 0.02) < 1e-9)
                #expect(primaryCounts.inputTokens == 1_000)
                #expect(primaryCounts.outputTokens == 500)
            }
            if OutageScenario.isOutage(minute) {
                #expect(primaryCounts.okAttempts == 0)
                #expect(primaryCounts.failoversOut == 10)
                #expect(primaryCounts.jobs == 0)
                #expect(backupCounts.okAttempts == 10)
                #expect(backupCounts.jobsSucceeded == 10)
                #expect(backupCounts.failoversIn == 10)
                #expect(backupCounts.failoversOut == 0)
                #expect(abs(backupCounts.costUSD - 0.03) < 1e-9)
            } else {
                #expect(primaryCounts.failoversOut == 0)
                #expect(backupCounts.isEmpty)
            }
        }
        let history = try #require(window.breaker(OutageScenario.primary))
        #expect(history.changes.count == 5)
        #expect(history.trips(since: OutageScenario.start, until: OutageScenario.end) == 2)
        #expect(history.state(at: OutageScenario.at(minute: 4, second: 0)) == .open)
        #expect(history.state(at: OutageScenario.at(minute: 8, second: 0)) == .closed)
        let spans = history.spans(since: OutageScenario.start, until: OutageScenario.end)
        #expect(spans.map(\.state) == [.open, .halfOpen, .open, .halfOpen])
        #expect(spans.first?.start == OutageScenario.at(minute: 3, second: 22))
        #expect(spans.last?.end == OutageScenario.at(minute: 7, second: 0))
        #expect(window.deadLetters(minute: first + 4) == ["invalid_json": 3])
        #expect(window.deadLetters(minute: first + 8) == ["schema_violation": 1])
        #expect(window.drops == FleetWindow.Drops())
    }

    @Test func outOfOrderEventsLandInTheirMinuteOrAreDropped() {
        var window = FleetWindow(maxMinutes: 5)
        let base = OutageScenario.start
        for minute in 0..<10 { window.ingest(.attempt(attempt(route: OutageScenario.primary, at: base.addingTimeInterval(Double(minute) * 60)))) }
        let first = OutageScenario.firstMinute
        #expect(window.keptMinutes == (first + 5)...(first + 9))
        #expect(window.stats(primary, minute: first + 4) == nil)
        #expect(window.stats(primary, minute: first + 5)?.counts.attempts == 1)
        // Older than the window: dropped and counted.
        window.ingest(.attempt(attempt(route: OutageScenario.primary, at: base.addingTimeInterval(120))))
        #expect(window.drops.tooOld == 1)
        // Out of order but kept: its own minute.
        window.ingest(.attempt(attempt(route: OutageScenario.primary, at: base.addingTimeInterval(6 * 60 + 30))))
        #expect(window.stats(primary, minute: first + 6)?.counts.attempts == 2)
        #expect(window.stats(primary, minute: first + 9)?.counts.attempts == 1)
        // A newer minute pushes the oldest out, and its slot is reused for the new one.
        window.ingest(.attempt(attempt(route: OutageScenario.primary, at: base.addingTimeInterval(10 * 60 + 1))))
        #expect(window.keptMinutes == (first + 6)...(first + 10))
        #expect(window.stats(primary, minute: first + 5) == nil)
        #expect(window.stats(primary, minute: first + 10)?.counts.attempts == 1)
    }

    @Test func moreThanMaxMinutesKeepsTheNewest() {
        var window = FleetWindow(maxMinutes: 60)
        let base = OutageScenario.start
        for minute in 0..<200 {
            window.ingest(.attempt(attempt(route: OutageScenario.primary, at: base.addingTimeInterval(Double(minute) * 60 + 5))))
        }
        let first = OutageScenario.firstMinute
        var kept = 0
        for minute in first..<(first + 200) where window.stats(primary, minute: minute) != nil { kept += 1 }
        #expect(kept == 60)
        #expect(window.stats(primary, minute: first + 139) == nil)
        #expect(window.stats(primary, minute: first + 140) != nil)
        let summary = FleetSummary(window: window, since: base, until: base.addingTimeInterval(200 * 60))
        #expect(summary.minutes?.count == 60)
        #expect(summary.routes.first?.counts.attempts == 60)
    }

    @Test func moreThanMaxSeriesFoldIntoOther() throws {
        var window = FleetWindow(maxMinutes: 30, maxSeries: 8)
        let at = OutageScenario.start.addingTimeInterval(10)
        for number in 0..<20 {
            window.ingest(.attempt(attempt(route: RouteKey(provider: "p\(number < 10 ? "0" : "")\(number)", model: "m"), at: at)))
        }
        let keys = window.seriesKeys
        #expect(keys.count == 8)
        #expect(keys.last == .other)
        #expect(keys.filter { !$0.isOther }.count == 7)
        #expect(window.drops.folded == 13)
        let other = try #require(window.stats(.other, minute: OutageScenario.firstMinute))
        #expect(other.counts.attempts == 13)
        // A series already kept stays its own.
        window.ingest(.attempt(attempt(route: RouteKey(provider: "p00", model: "m"), at: at)))
        #expect(window.drops.folded == 13)
        let summary = FleetSummary(window: window, since: OutageScenario.start, until: OutageScenario.start.addingTimeInterval(60))
        #expect(summary.routes.count == 8)
        #expect(summary.routes.last?.kind == .other)
        #expect(summary.workloads.map(\.kind) == [.workload, .other])
        // Once a series has nothing left in the window it gives its place up to a new key.
        let later = at.addingTimeInterval(31 * 60)
        window.ingest(.attempt(attempt(route: RouteKey(provider: "fresh", model: "m"), at: later)))
        #expect(window.drops.folded == 13)
        #expect(window.seriesKeys.contains(FleetSeriesKey(workload: "w", route: .route(RouteKey(provider: "fresh", model: "m")))))
        #expect(window.seriesKeys.count == 8)
    }

    @Test func hostileValuesDoNotTrap() throws {
        var window = FleetWindow(maxMinutes: 30, maxSeries: 6)
        let at = OutageScenario.start.addingTimeInterval(30)
        let hostileDates = [
            Date.distantPast, Date.distantFuture, Date(timeIntervalSince1970: .nan), Date(timeIntervalSince1970: .infinity),
            Date(timeIntervalSince1970: -.infinity), Date(timeIntervalSince1970: 1e300), Date(timeIntervalSince1970: -1e300),
        ]
        var hostile = attempt(route: OutageScenario.primary, at: at)
        hostile.latencyMs = Int.max
        hostile.costUSD = .nan
        hostile.usage = CompletionResponse.Usage(inputTokens: Int.max, outputTokens: Int.max)
        window.ingest(.attempt(hostile))
        window.ingest(.attempt(hostile))
        hostile.latencyMs = -5
        hostile.costUSD = -3
        window.ingest(.attempt(hostile))
        hostile.costUSD = .infinity
        hostile.usage?.inputTokens = -7
        window.ingest(.attempt(hostile))
        hostile.costUSD = 1e300
        window.ingest(.attempt(hostile))
        var job = TelemetryEvent.JobFinished(
            jobID: "j", workload: "w", succeeded: false, servedBy: nil, attempts: -1, latencyMs: Int.min, costUSD: -.infinity, at: at)
        window.ingest(.job(job))
        job.servedBy = JobResult.ServedBy(provider: "", model: "", routeIndex: Int.min)
        job.succeeded = true
        window.ingest(.job(job))
        window.ingest(.circuit(TelemetryEvent.Circuit(route: OutageScenario.primary, state: .open, at: at, cooldownMs: Int.min)))
        window.ingestDeadLetter(errorClass: String(repeating: "x", count: 10_000), at: at)
        let counts = try #require(window.stats(primary, minute: OutageScenario.firstMinute)).counts
        #expect(counts.attempts == 5)
        #expect(counts.costUSD == 0)
        #expect(counts.inputTokens == Int.max)
        let latency = try #require(window.stats(primary, minute: OutageScenario.firstMinute)).attemptLatency
        #expect(latency.total == 2)
        let ranges = [
            (Date.distantPast, Date.distantFuture), (at, at), (Date(timeIntervalSince1970: .nan), at), (at, Date(timeIntervalSince1970: 1e300)),
        ]
        // Before any clock: far-off dates that are still times move the window; unreadable ones are dropped.
        var unclocked = window
        for date in hostileDates {
            unclocked.ingest(.attempt(attempt(route: OutageScenario.primary, at: date)))
            unclocked.ingestDeadLetter(errorClass: "invalid_json", at: date)
            unclocked.ingest(.circuit(TelemetryEvent.Circuit(route: OutageScenario.backup, state: .halfOpen, at: date)))
        }
        #expect(unclocked.drops.badTime == 15)
        for (since, until) in ranges { exercise(unclocked, since: since, until: until) }
        // With a clock, dates far ahead of it are dropped.
        window.advance(to: at)
        for date in hostileDates {
            window.ingest(.attempt(attempt(route: OutageScenario.primary, at: date)))
        }
        #expect(window.drops.tooNew == 1)
        #expect(window.drops.tooOld == 1)
        #expect(window.drops.badTime == 5)
        #expect(window.stats(primary, minute: OutageScenario.firstMinute)?.counts.attempts == 5)
        for (since, until) in ranges { exercise(window, since: since, until: until) }
        // Hostile names: long, with markup, controls and bidirectional overrides.
        let names = [String(repeating: "é", count: 5_000), "<script>alert('x')</script>&amp;", "a\u{1}b\u{1B}[31mred\u{202E}txt", "\u{FFFF}\u{0}"]
        for name in names {
            window.ingest(.attempt(attempt(route: RouteKey(provider: name, model: name), at: at, workload: name)))
        }
        #expect(window.seriesKeys.count <= 6)
        #expect(window.seriesKeys.allSatisfy { $0.workload.utf8.count <= FleetWindow.maxNameBytes })
        exercise(window, since: OutageScenario.start, until: OutageScenario.start.addingTimeInterval(120))
        let text = FleetSummary(window: window, since: OutageScenario.start, until: OutageScenario.start.addingTimeInterval(120)).text()
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        #expect(!text.contains("\u{202E}"))
    }

    @Test func anAbsurdLatencyReadsAsTheLastBucket() throws {
        var window = FleetWindow()
        var event = attempt(route: OutageScenario.primary, at: OutageScenario.start)
        event.latencyMs = Int.max
        window.ingest(.attempt(event))
        let summary = FleetSummary(window: window, since: OutageScenario.start, until: OutageScenario.start.addingTimeInterval(60))
        #expect(summary.routes.first?.attemptP95Ms == Double(LatencyHistogram.maxTrackedMs))
    }

    @Test func aClockMovesTheWindowWithoutEvents() {
        var window = FleetWindow(maxMinutes: 10)
        window.ingest(.attempt(attempt(route: OutageScenario.primary, at: OutageScenario.start)))
        window.advance(to: OutageScenario.start.addingTimeInterval(30 * 60))
        #expect(window.stats(primary, minute: OutageScenario.firstMinute) == nil)
        window.ingest(.attempt(attempt(route: OutageScenario.primary, at: OutageScenario.start.addingTimeInterval(34 * 60))))
        #expect(window.drops.tooNew == 0)
        window.ingest(.attempt(attempt(route: OutageScenario.primary, at: OutageScenario.start.addingTimeInterval(36 * 60))))
        #expect(window.drops.tooNew == 1)
    }

    @Test func breakerHistoryIsBoundedAndOrdered() {
        var history = BreakerHistory(route: OutageScenario.primary)
        let base = OutageScenario.start
        for second in stride(from: 600, to: 0, by: -1) {
            history.record(BreakerHistory.Change(state: second % 2 == 0 ? .open : .closed, at: base.addingTimeInterval(Double(second))))
        }
        #expect(history.changes.count == BreakerHistory.maxChanges)
        #expect(history.droppedChanges == 600 - BreakerHistory.maxChanges)
        #expect(zip(history.changes, history.changes.dropFirst()).allSatisfy { $0.at <= $1.at })
        #expect(history.current?.at == base.addingTimeInterval(600))
    }

    @Test func breakerRoutesAreBounded() {
        var window = FleetWindow(maxMinutes: 10, maxSeries: 4)
        let at = OutageScenario.start
        for number in 0..<6 {
            window.ingest(.circuit(TelemetryEvent.Circuit(route: RouteKey(provider: "p\(number)", model: "m"), state: .open, at: at)))
        }
        #expect(window.breakerRoutes.count == 4)
        #expect(window.drops.breakerRoutes == 2)
    }

    private func exercise(_ window: FleetWindow, since: Date, until: Date) {
        let summary = FleetSummary(window: window, since: since, until: until)
        _ = summary.json()
        _ = summary.text()
        _ = FleetTimeline.svg(window: window, since: since, until: until)
        for lookBack in [Int.min, -1, 0, 1, 60, Int.max] {
            _ = DashboardSnapshot(window: window, until: until, lookBackMinutes: lookBack).json()
        }
    }

    private func attempt(route: RouteKey, at: Date, workload: String = "w") -> TelemetryEvent.Attempt {
        TelemetryEvent.Attempt(
            jobID: "job", workload: workload == "w" && route == OutageScenario.primary ? OutageScenario.workload : workload, attempt: 1,
            routeIndex: 0, route: route, outcome: .ok, latencyMs: 900, decision: .done, at: at, costUSD: 0.001)
    }
}
