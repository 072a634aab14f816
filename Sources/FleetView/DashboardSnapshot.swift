import Completions
import Failover
import Foundation
import Jobs

/// What the live dashboard pushes to the browser in one server-sent event (`event: snapshot`,
/// `data:` ``json()``): per route, and per workload and route, one point per minute of the
/// look-back (jobs, success share, failovers, call latency p50/p95, cost), each route's breaker
/// state now, the dead letters, and the window's bounds.
///
/// The document (members in this order; times RFC 3339; `null` where a minute has nothing to
/// measure; every series' arrays have one entry per minute, oldest first):
///
/// ```
/// {"generated_at", "window": {"since", "until", "minutes", "minute_seconds": 60},
///  "latency_error_bound", "labels": ["HH:MM", ...],          // UTC start of each minute
///  "routes": [SERIES],                                       // every workload added up, per route
///  "workloads": [{"workload", "kind" (workload|other), "routes": [SERIES]}],
///  "breakers": [{"route", "provider", "model", "state" (open|half_open|closed), "since", "trips"}],
///  "dead_letters": {"per_minute": [n], "total", "by_class": [{"class", "count"}]},
///  "dropped": {"too_old", "too_new", "bad_time", "breaker_routes", "folded"}}
///
/// SERIES: {"route" ("provider/model", "(no route)", "(other)"), "kind" (route|none|other),
///  "provider", "model",                                     // null unless a route
///  "jobs", "jobs_failed", "attempts", "skipped", "success_share",
///  "failovers_out", "failovers_in", "p50_ms", "p95_ms", "cost_usd"}
/// ```
///
/// Guarantees: at most ``FleetWindow/maxSeries`` routes and as many workload series (the window
/// keeps no more), at most the look-back's minutes (itself at most ``FleetWindow/maxMinutes``);
/// series with nothing in the look-back are left out; the bytes hold no newline, so one SSE
/// `data:` line carries them; building never traps.
package struct DashboardSnapshot: Sendable {
    /// One minute of one series.
    package struct Point: Sendable, Hashable {
        package var jobs = 0
        package var jobsFailed = 0
        package var attempts = 0
        package var skipped = 0
        package var successShare: Double?
        package var failoversOut = 0
        package var failoversIn = 0
        package var p50Ms: Double?
        package var p95Ms: Double?
        package var costUSD = 0.0

        package init() {}

        init(_ totals: FleetTotals) {
            let counts = totals.counts
            jobs = counts.jobs
            jobsFailed = counts.jobsFailed
            attempts = counts.attempts
            skipped = counts.skippedAttempts
            successShare = counts.successShare
            failoversOut = counts.failoversOut
            failoversIn = counts.failoversIn
            p50Ms = totals.attemptLatency.p50
            p95Ms = totals.attemptLatency.p95
            costUSD = counts.costUSD
        }
    }

    /// One route's points (within one workload, or every workload added up).
    package struct Series: Sendable, Hashable {
        package var route: FleetRoute
        package var points: [Point]

        package init(route: FleetRoute, points: [Point]) {
            self.route = route
            self.points = points
        }
    }

    /// One workload's routes.
    package struct Workload: Sendable, Hashable {
        /// The workload, or `(other)` for the folded series.
        package var name: String
        package var isOther: Bool
        package var routes: [Series]
    }

    /// One route's breaker now.
    package struct Breaker: Sendable, Hashable {
        package var route: RouteKey
        package var state: CircuitState
        /// When it changed to ``state``.
        package var since: Date
        /// Changes to `open` in the look-back.
        package var trips: Int
    }

    /// The end of the look-back (the time the snapshot is of).
    package var generatedAt: Date
    /// The minutes shown; `nil` when the look-back is not a time range.
    package var minutes: ClosedRange<Int>?
    package var routes: [Series]
    package var workloads: [Workload]
    package var breakers: [Breaker]
    /// Dead letters per minute, every class added up.
    package var deadLettersPerMinute: [Int]
    /// Dead letters in the look-back by class, most first.
    package var deadLetters: [FleetSummary.DeadLetterCount]
    package var drops: FleetWindow.Drops

    /// The snapshot of `window` over the `lookBackMinutes` (clamped to 1 through the window's
    /// `maxMinutes`) minutes up to `until`, the minute holding `until` included.
    package init(window: FleetWindow, until: Date, lookBackMinutes: Int) {
        generatedAt = until
        drops = window.drops
        let span = min(max(lookBackMinutes, 1), window.maxMinutes)
        let since = until.addingTimeInterval(-Double(span) * 60)
        let minutes = window.minutes(since: since, until: until).map { range in
            // The look-back's minutes, counting the one `until` is in (a partial minute) as the last.
            range.count > span ? (range.upperBound - span + 1)...range.upperBound : range
        }
        self.minutes = minutes
        routes = []
        workloads = []
        breakers = []
        deadLettersPerMinute = []
        deadLetters = []
        guard let minutes else { return }
        let keys = window.seriesKeys
        var scratch = FleetTotals()
        func points(_ keys: [FleetSeriesKey]) -> [Point]? {
            var points: [Point] = []
            points.reserveCapacity(minutes.count)
            var any = false
            for minute in minutes {
                scratch.removeAll()
                for key in keys {
                    guard let stats = window.stats(key, minute: minute) else { continue }
                    scratch.add(stats)
                    any = true
                }
                points.append(Point(scratch))
            }
            return any ? points : nil
        }
        var byRoute: [FleetRoute: [FleetSeriesKey]] = [:]
        for key in keys { byRoute[key.route, default: []].append(key) }
        routes = byRoute.sorted { $0.key < $1.key }.compactMap { route, keys in
            points(keys).map { Series(route: route, points: $0) }
        }
        var byWorkload: [String?: Workload] = [:]
        for key in keys {
            guard let points = points([key]) else { continue }
            let name = key.isOther ? nil : key.workload
            byWorkload[name, default: Workload(name: key.workload, isOther: key.isOther, routes: [])].routes.append(
                Series(route: key.route, points: points))
        }
        workloads = byWorkload.values.sorted { left, right in
            left.isOther != right.isOther ? right.isOther : left.name < right.name
        }
        let windowStart = FleetWindow.start(ofMinute: minutes.lowerBound)
        breakers = window.breakerRoutes.compactMap { route in
            guard let history = window.breaker(route), let last = history.changes.last(where: { $0.at <= until }) else { return nil }
            return Breaker(route: route, state: last.state, since: last.at, trips: history.trips(since: windowStart, until: until))
        }
        deadLettersPerMinute = minutes.map { window.deadLetters(minute: $0).values.reduce(0) { SafeNumber.add($0, $1) } }
        deadLetters = window.deadLetters(in: minutes).map { FleetSummary.DeadLetterCount(errorClass: $0.key, count: $0.value) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.errorClass < $1.errorClass }
    }
}

extension DashboardSnapshot: JSONWritable {
    /// The document's bytes (UTF-8, one line).
    package func json() -> [UInt8] {
        var writer = JSONWriter(capacity: 16_384)
        write(to: &writer)
        return writer.bytes
    }

    package func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("generated_at", RFC3339.string(from: generatedAt))
        writer.key("window")
        writer.beginObject()
        if let minutes {
            writer.member("since", RFC3339.string(from: FleetWindow.start(ofMinute: minutes.lowerBound)))
            writer.member("until", RFC3339.string(from: FleetWindow.start(ofMinute: minutes.upperBound + 1)))
        } else {
            writer.member("since", RFC3339.string(from: generatedAt))
            writer.member("until", RFC3339.string(from: generatedAt))
        }
        writer.member("minutes", minutes?.count ?? 0)
        writer.member("minute_seconds", 60)
        writer.endObject()
        writer.member("latency_error_bound", LatencyHistogram.relativeErrorBound)
        writer.key("labels")
        writer.beginArray()
        if let minutes { for minute in minutes { writer.value(NumberText.clock(minute: minute)) } }
        writer.endArray()
        writer.key("routes")
        writer.beginArray()
        for series in routes { Self.write(series, to: &writer) }
        writer.endArray()
        writer.key("workloads")
        writer.beginArray()
        for workload in workloads {
            writer.beginObject()
            writer.member("workload", workload.name)
            writer.member("kind", workload.isOther ? "other" : "workload")
            writer.key("routes")
            writer.beginArray()
            for series in workload.routes { Self.write(series, to: &writer) }
            writer.endArray()
            writer.endObject()
        }
        writer.endArray()
        writer.key("breakers")
        writer.beginArray()
        for breaker in breakers {
            writer.beginObject()
            writer.member("route", breaker.route.description)
            writer.member("provider", breaker.route.provider)
            writer.member("model", breaker.route.model)
            writer.member("state", breaker.state.rawValue)
            writer.member("since", RFC3339.string(from: breaker.since))
            writer.member("trips", breaker.trips)
            writer.endObject()
        }
        writer.endArray()
        writer.key("dead_letters")
        writer.beginObject()
        writer.key("per_minute")
        writer.beginArray()
        for count in deadLettersPerMinute { writer.value(count) }
        writer.endArray()
        writer.member("total", deadLetters.reduce(0) { SafeNumber.add($0, $1.count) })
        FleetSummary.DeadLetterCount.write(deadLetters, to: &writer)
        writer.endObject()
        writer.key("dropped")
        drops.write(to: &writer)
        writer.endObject()
    }

    private static func write(_ series: Series, to writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("route", series.route.description)
        writer.member("kind", series.route.kind)
        writer.member("provider", orNull: series.route.key?.provider)
        writer.member("model", orNull: series.route.key?.model)
        writeInts("jobs", series.points.map(\.jobs), to: &writer)
        writeInts("jobs_failed", series.points.map(\.jobsFailed), to: &writer)
        writeInts("attempts", series.points.map(\.attempts), to: &writer)
        writeInts("skipped", series.points.map(\.skipped), to: &writer)
        writer.key("success_share")
        writer.beginArray()
        for point in series.points {
            if let share = point.successShare, share.isFinite { writer.value(SafeNumber.rounded(share, decimals: 4)) } else { writer.null() }
        }
        writer.endArray()
        writeInts("failovers_out", series.points.map(\.failoversOut), to: &writer)
        writeInts("failovers_in", series.points.map(\.failoversIn), to: &writer)
        writer.key("p50_ms")
        writer.beginArray()
        for point in series.points { writeMilliseconds(point.p50Ms, to: &writer) }
        writer.endArray()
        writer.key("p95_ms")
        writer.beginArray()
        for point in series.points { writeMilliseconds(point.p95Ms, to: &writer) }
        writer.endArray()
        writer.key("cost_usd")
        writer.beginArray()
        for point in series.points { writer.value(SafeNumber.rounded(point.costUSD, decimals: 6)) }
        writer.endArray()
        writer.endObject()
    }

    private static func writeInts(_ name: StaticString, _ values: [Int], to writer: inout JSONWriter) {
        writer.key(name)
        writer.beginArray()
        for value in values { writer.value(value) }
        writer.endArray()
    }

    private static func writeMilliseconds(_ value: Double?, to writer: inout JSONWriter) {
        if let value { writer.value(SafeNumber.rounded(value, clampedTo: 0...Int.max)) } else { writer.null() }
    }
}
