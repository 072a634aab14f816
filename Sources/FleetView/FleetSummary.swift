import Failover
import Foundation

/// The on-call report over a time range: per workload and per route, jobs, attempts, success
/// share, failovers in and out, call and job latency percentiles, cost and breaker trips, and
/// the dead letters by class. Built from a ``FleetWindow``; written as JSON (``json()``,
/// documented in `FleetSummary+JSON.swift`) or as an aligned table (``text()``).
///
/// The range covers the minutes that overlap `since..<until` (whole minutes: the window keeps
/// nothing finer), at most the window's ``FleetWindow/maxMinutes``; breaker trips and states are
/// read at the exact times.
///
/// Rows: one per workload (the `(other)` series, which mixes workloads, is a row of its own) and
/// one per route (the failed jobs no route served are the `(no route)` row; `(other)` again),
/// plus a route row for each route whose breaker changed in the range or was not closed at its
/// end, traffic or not. Rows are in display order (by name; `(no route)`, `(other)` last).
///
/// Guarantees: building is linear in series × minutes of the range and never traps; latency
/// percentiles are within ``LatencyHistogram/relativeErrorBound`` of the exact ones.
package struct FleetSummary: Sendable {
    /// One workload or one route over the range.
    package struct Row: Sendable, Hashable {
        /// What the row counts.
        package enum Kind: String, Sendable, Hashable {
            /// One workload, every route.
            case workload
            /// One route, every workload.
            case route
            /// The failed jobs no route served.
            case none
            /// The series folded together past ``FleetWindow/maxSeries``.
            case other
        }

        /// The workload, `provider/model`, `(no route)` or `(other)`.
        package var name: String
        package var kind: Kind
        /// The route of a ``Kind/route`` row.
        package var route: RouteKey?
        package var totals: FleetTotals
        /// For a route row with a breaker history: changes to `open` in the range.
        package var breakerTrips: Int?
        /// For a route row with a breaker history: the state at the end of the range (just before `until`).
        package var breakerState: CircuitState?

        package init(name: String, kind: Kind, route: RouteKey? = nil, totals: FleetTotals = FleetTotals()) {
            self.name = name
            self.kind = kind
            self.route = route
            self.totals = totals
        }

        package var counts: FleetCounts { totals.counts }
        /// Median call latency in milliseconds.
        package var attemptP50Ms: Double? { totals.attemptLatency.p50 }
        /// 95th percentile call latency in milliseconds.
        package var attemptP95Ms: Double? { totals.attemptLatency.p95 }
        /// Median job latency in milliseconds.
        package var jobP50Ms: Double? { totals.jobLatency.p50 }
        /// 95th percentile job latency in milliseconds.
        package var jobP95Ms: Double? { totals.jobLatency.p95 }
    }

    /// Dead letters of one class.
    package struct DeadLetterCount: Sendable, Hashable {
        package var errorClass: String
        package var count: Int

        package init(errorClass: String, count: Int) {
            self.errorClass = errorClass
            self.count = count
        }
    }

    package var since: Date
    package var until: Date
    /// The minutes counted; `nil` when the range is empty.
    package var minutes: ClosedRange<Int>?
    package var workloads: [Row]
    package var routes: [Row]
    /// Everything in the range added up.
    package var fleet: FleetTotals
    /// Dead letters by class, most first (then by class).
    package var deadLetters: [DeadLetterCount]
    /// What the window did not count (over its whole life, not only the range).
    package var drops: FleetWindow.Drops

    /// The report of `window` over `since..<until`.
    package init(window: FleetWindow, since: Date, until: Date) {
        self.since = since
        self.until = until
        minutes = window.minutes(since: since, until: until)
        drops = window.drops
        var byWorkload: [String?: Row] = [:]
        var byRoute: [FleetRoute: Row] = [:]
        var fleet = FleetTotals()
        if let minutes {
            window.forEachStats(in: minutes) { key, _, stats in
                let workload = key.isOther ? nil : key.workload
                byWorkload[workload, default: Row(name: key.workload, kind: key.isOther ? .other : .workload)].totals.add(stats)
                byRoute[key.route, default: Self.row(for: key.route)].totals.add(stats)
                fleet.add(stats)
            }
        }
        for route in window.breakerRoutes {
            guard let history = window.breaker(route) else { continue }
            let trips = history.trips(since: since, until: until)
            let state = history.state(before: until)
            let changed = history.changes.contains { $0.at >= since && $0.at < until }
            guard byRoute[.route(route)] != nil || changed || (state != nil && state != .closed) else { continue }
            byRoute[.route(route), default: Self.row(for: .route(route))].breakerTrips = trips
            byRoute[.route(route), default: Self.row(for: .route(route))].breakerState = state
        }
        workloads = byWorkload.sorted { left, right in
            switch (left.key, right.key) {
            case (let l?, let r?): l < r
            case (.some, nil): true
            default: false
            }
        }.map(\.value)
        routes = byRoute.sorted { $0.key < $1.key }.map(\.value)
        self.fleet = fleet
        let letters = minutes.map { window.deadLetters(in: $0) } ?? [:]
        deadLetters = letters.map { DeadLetterCount(errorClass: $0.key, count: $0.value) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.errorClass < $1.errorClass }
    }

    /// Dead letters of every class.
    package var deadLetterTotal: Int {
        deadLetters.reduce(0) { SafeNumber.add($0, $1.count) }
    }

    private static func row(for route: FleetRoute) -> Row {
        switch route {
        case .route(let key): Row(name: key.description, kind: .route, route: key)
        case .none: Row(name: route.description, kind: .none)
        case .other: Row(name: route.description, kind: .other)
        }
    }
}
