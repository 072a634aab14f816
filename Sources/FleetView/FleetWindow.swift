import Completions
import Failover
import Foundation
import Jobs

/// Telemetry added up per minute, per workload and route: what the on-call report
/// (``FleetSummary``), the timeline (``FleetTimeline``) and the live dashboard
/// (``DashboardSnapshot``) are read from. A value type with no clock, lock or I/O: feed it events
/// with ``ingest(_:)`` and ``ingestDeadLetter(errorClass:at:)``, and, when it runs live, the wall
/// clock with ``advance(to:)``.
///
/// What it keeps (see ``FleetCounts`` for how each event counts):
/// - per minute (`⌊at / 60 s⌋`) and series (``FleetSeriesKey``: workload and route), a
///   ``FleetStats``: attempts by outcome and decision, failovers out and in, finished jobs, cost,
///   tokens, and latency histograms of calls and jobs. Attempts count against their route; a
///   finished job against its `served_by` route, or ``FleetRoute/none`` when it has none.
/// - per route, the breaker changes of `circuit` events (``BreakerHistory``).
/// - per minute, dead letters by error class (``DeadLetterTally``).
/// `shadow` events are not counted.
///
/// Failovers in: a succeeded job whose `served_by.route_index` is above 0 counts one failover
/// into the route that served it (the contract's `fallback_used`), in the minute it finished.
/// Failovers out count attempts (calls and skips) whose decision was `fail_over`, against the
/// route they left. So out and in do not add up: a job that fails over twice counts two out and
/// one in, a job that fails over and then fails counts out without in, and a job served by a
/// later route because the earlier ones were demoted as slow counts in without out.
///
/// Bounds and guarantees:
/// - Minutes: the newest ``maxMinutes`` minutes up to the newest seen (by an event or by
///   ``advance(to:)``) are kept; each series holds one slot per kept minute and reuses a slot when
///   its minute leaves the window, so ingesting allocates only the first time a slot is used.
///   An event older than the kept minutes is dropped and counted in ``drops`` (`tooOld`); an
///   older event still within them is counted in its own minute. An event newer than the newest
///   moves the window on (older minutes fall out), unless ``advance(to:)`` gave a clock and the
///   event is more than ``maxFutureSkew`` ahead of it (dropped, `tooNew`). Without a clock one
///   event dated far in the future moves the window past everything kept: live use should call
///   ``advance(to:)``.
/// - Series: at most ``maxSeries``, ``FleetSeriesKey/other`` included: the first
///   `maxSeries - 1` distinct (workload, route) keys get a series each, and every later key is
///   folded into the one series named `(other)` (counted in `folded`), unless a series with no
///   minute left in the window gives its place up.
/// - Breakers: at most ``maxSeries`` routes (a route whose last change is `closed` and older than
///   the window gives its place up; otherwise a new route's changes are dropped and counted in
///   `breakerRoutes`), each at most ``BreakerHistory/maxChanges`` changes.
/// - Names (workloads, providers, models, dead-letter classes) are cut to ``maxNameBytes`` bytes:
///   names that agree that far share a series.
/// - Never traps on any event: timestamps that are not finite or beyond ±2^53 minutes are
///   dropped (`badTime`), negative latencies are not recorded, latencies from
///   ``LatencyHistogram/maxTrackedMs`` on share the last bucket, costs that are negative, not
///   finite or above ``maxCostUSD`` are left out, counts saturate.
/// - Memory: at most ``maxSeries`` × ``maxMinutes`` slots of about 300 bytes, plus, for each slot
///   that recorded a latency, 644 bytes per histogram (calls, jobs): under 120 MB with the
///   defaults and every slot full, a few MB for a handful of routes.
/// - Cost: ``ingest(_:)`` is a hash of the series key and constant work, amortised O(1); a new
///   key once the series are full scans them for a free place at most once per new minute.
package struct FleetWindow: Sendable {
    /// Events that were not counted, by reason.
    package struct Drops: Sendable, Hashable {
        /// Older than the kept minutes.
        package var tooOld = 0
        /// More than ``FleetWindow/maxFutureSkew`` ahead of the clock given to ``FleetWindow/advance(to:)``.
        package var tooNew = 0
        /// A timestamp that is not finite or too far from 1970 to be a minute.
        package var badTime = 0
        /// Breaker changes of a route beyond the ``FleetWindow/maxSeries`` routes kept.
        package var breakerRoutes = 0
        /// Not a drop: events counted in the `(other)` series because the series were full.
        package var folded = 0

        package init() {}
    }

    /// Minutes kept by default: one day.
    package static let defaultMaxMinutes = 1_440
    /// Series kept by default, `(other)` included.
    package static let defaultMaxSeries = 64
    /// Distinct dead-letter classes kept; later ones count as `(other)`.
    package static let maxDeadLetterClasses = 32
    /// The longest name kept, in UTF-8 bytes.
    package static let maxNameBytes = 200
    /// How far ahead of the clock (``advance(to:)``) an event may be dated: 5 minutes.
    package static let maxFutureSkew: TimeInterval = 300
    /// The largest cost one attempt may add, in US dollars; a larger one is left out as absurd.
    package static let maxCostUSD = 100_000.0

    /// The most minutes a window may be asked to keep: 100,000 (about 69 days).
    package static let maxMinutesLimit = 100_000
    /// The most series a window may be asked to keep.
    package static let maxSeriesLimit = 4_096

    /// How many minutes are kept (1 through ``maxMinutesLimit``).
    package let maxMinutes: Int
    /// How many series are kept, `(other)` included (1 through ``maxSeriesLimit``).
    package let maxSeries: Int
    /// Events not counted, by reason.
    package private(set) var drops = Drops()
    /// The newest minute seen, by an event or ``advance(to:)``.
    package private(set) var newestMinute: Int?

    private struct Series: Sendable {
        var key: FleetSeriesKey
        /// Per slot, the minute it holds (`Int.min`: none).
        var tags: [Int]
        var slots: [FleetStats]
        /// The newest minute recorded.
        var lastMinute = Int.min
    }

    private var index: [FleetSeriesKey: Int] = [:]
    private var series: [Series] = []
    private var breakers: [RouteKey: BreakerHistory] = [:]
    private var deadLetters: DeadLetterTally
    /// Events after this minute are refused (from the clock given to ``advance(to:)``).
    private var futureLimit: Int?
    /// The newest minute when a scan for a series to give its place up last found none.
    private var fruitlessScan: Int?

    /// An empty window keeping `maxMinutes` minutes and `maxSeries` series, each clamped to
    /// 1 through ``maxMinutesLimit`` and ``maxSeriesLimit``.
    package init(maxMinutes: Int = defaultMaxMinutes, maxSeries: Int = defaultMaxSeries) {
        self.maxMinutes = min(max(1, maxMinutes), Self.maxMinutesLimit)
        self.maxSeries = min(max(1, maxSeries), Self.maxSeriesLimit)
        deadLetters = DeadLetterTally(minutes: self.maxMinutes)
    }

    // MARK: Ingest

    /// Counts one telemetry event (`shadow`, `budget` and `batch` events are not counted).
    package mutating func ingest(_ event: TelemetryEvent) {
        switch event {
        case .attempt(let attempt):
            guard let minute = place(attempt.at) else { return }
            let key = FleetSeriesKey(workload: Self.cut(attempt.workload), route: .route(Self.cut(attempt.route)))
            update(seriesIndex(for: key), minute: minute) { $0.record(attempt) }
        case .job(let job):
            guard let minute = place(job.at) else { return }
            let route: FleetRoute =
                if let servedBy = job.servedBy {
                    .route(RouteKey(provider: Self.cut(servedBy.provider), model: Self.cut(servedBy.model)))
                } else {
                    .none
                }
            update(seriesIndex(for: FleetSeriesKey(workload: Self.cut(job.workload), route: route)), minute: minute) { $0.record(job) }
        case .circuit(let circuit):
            guard place(circuit.at) != nil else { return }
            record(
                BreakerHistory.Change(state: circuit.state, at: circuit.at, cooldownMs: circuit.cooldownMs, worker: circuit.worker),
                for: Self.cut(circuit.route))
        case .shadow, .budget, .batch:
            break
        }
    }

    /// Counts one dead letter of `errorClass` (the `understudy.error.class` header) at `at`.
    package mutating func ingestDeadLetter(errorClass: String, at: Date) {
        guard let minute = place(at) else { return }
        let name = deadLetters.name(for: errorClass)
        deadLetters.record(name, minute: minute)
    }

    /// Tells the window the time: the window moves on to `now`'s minute (older minutes fall out as
    /// if an event had come), and from now on events more than ``maxFutureSkew`` after the latest
    /// `now` given are dropped. A `now` earlier than one given before changes nothing.
    package mutating func advance(to now: Date) {
        guard let minute = Self.minute(of: now) else { return }
        if minute > newestMinute ?? Int.min { newestMinute = minute }
        if let limit = Self.minute(seconds: now.timeIntervalSince1970 + Self.maxFutureSkew) {
            futureLimit = max(futureLimit ?? limit, limit)
        }
    }

    // MARK: Reading

    /// The minutes kept: the ``maxMinutes`` up to ``newestMinute``; `nil` before anything was seen.
    package var keptMinutes: ClosedRange<Int>? {
        newestMinute.map { ($0 - maxMinutes + 1)...$0 }
    }

    /// Every series, in display order.
    package var seriesKeys: [FleetSeriesKey] {
        series.map(\.key).sorted()
    }

    /// The numbers of series `key` in `minute`; `nil` when nothing was counted there or the
    /// minute is not kept.
    package func stats(_ key: FleetSeriesKey, minute: Int) -> FleetStats? {
        guard let position = index[key] else { return nil }
        return stats(at: position, minute: minute)
    }

    /// Calls `body` with every series that counted something in `minutes` (at most the kept
    /// ones), once per series and minute, series in storage order, minutes ascending.
    package func forEachStats(in minutes: ClosedRange<Int>, _ body: (FleetSeriesKey, Int, FleetStats) -> Void) {
        guard let kept = keptMinutes, let range = Self.overlap(minutes, kept) else { return }
        for position in series.indices {
            for minute in range {
                if let stats = stats(at: position, minute: minute) { body(series[position].key, minute, stats) }
            }
        }
    }

    /// The routes with breaker changes, in display order.
    package var breakerRoutes: [RouteKey] {
        breakers.keys.sorted { ($0.provider, $0.model) < ($1.provider, $1.model) }
    }

    /// The breaker changes of `route`.
    package func breaker(_ route: RouteKey) -> BreakerHistory? {
        breakers[route]
    }

    /// Dead letters in `minutes` (at most the kept ones) by class.
    package func deadLetters(in minutes: ClosedRange<Int>) -> [String: Int] {
        guard let kept = keptMinutes, let range = Self.overlap(minutes, kept) else { return [:] }
        return deadLetters.counts(minutes: range)
    }

    /// Dead letters in `minute` by class.
    package func deadLetters(minute: Int) -> [String: Int] {
        guard let kept = keptMinutes, kept.contains(minute) else { return [:] }
        return deadLetters.counts(minute: minute)
    }

    /// The minutes that overlap `since..<until`, at most the last ``maxMinutes`` of them; `nil`
    /// when the range is empty or a bound is not a time. Minutes need not be kept.
    package func minutes(since: Date, until: Date) -> ClosedRange<Int>? {
        guard since < until, let first = Self.minute(of: since),
            let end = SafeNumber.floor((until.timeIntervalSince1970 / 60).rounded(.up))
        else { return nil }
        let last = end - 1
        guard last >= first else { return nil }
        return max(first, last - maxMinutes + 1)...last
    }

    /// The minute `date` falls in (`⌊seconds since 1970 / 60⌋`), `nil` when it is not finite or
    /// beyond ±2^53 minutes.
    package static func minute(of date: Date) -> Int? {
        minute(seconds: date.timeIntervalSince1970)
    }

    /// The start of `minute`.
    package static func start(ofMinute minute: Int) -> Date {
        Date(timeIntervalSince1970: Double(minute) * 60)
    }

    // MARK: Shared with the module

    /// `name` cut to ``maxNameBytes`` UTF-8 bytes, on a character boundary.
    static func cut(_ name: String) -> String {
        guard name.utf8.count > maxNameBytes else { return name }
        var bytes = 0
        var cut = ""
        for character in name {
            bytes += character.utf8.count
            guard bytes <= maxNameBytes else { break }
            cut.append(character)
        }
        return cut
    }

    static func cut(_ route: RouteKey) -> RouteKey {
        RouteKey(provider: cut(route.provider), model: cut(route.model))
    }

    /// The slot of `minute` in a ring of `count` slots.
    static func slot(_ minute: Int, of count: Int) -> Int {
        let remainder = minute % count
        return remainder < 0 ? remainder + count : remainder
    }

    // MARK: Private

    private static func minute(seconds: Double) -> Int? {
        SafeNumber.floor(seconds / 60)
    }

    private static func overlap(_ a: ClosedRange<Int>, _ b: ClosedRange<Int>) -> ClosedRange<Int>? {
        let low = max(a.lowerBound, b.lowerBound)
        let high = min(a.upperBound, b.upperBound)
        return low <= high ? low...high : nil
    }

    /// The minute of `date` if it is to be counted; else counts the drop and returns `nil`.
    private mutating func place(_ date: Date) -> Int? {
        guard let minute = Self.minute(of: date) else {
            drops.badTime = SafeNumber.add(drops.badTime, 1)
            return nil
        }
        if let futureLimit, minute > futureLimit {
            drops.tooNew = SafeNumber.add(drops.tooNew, 1)
            return nil
        }
        guard let newest = newestMinute, minute <= newest else {
            newestMinute = minute
            return minute
        }
        guard minute > newest - maxMinutes else {
            drops.tooOld = SafeNumber.add(drops.tooOld, 1)
            return nil
        }
        return minute
    }

    private func stats(at position: Int, minute: Int) -> FleetStats? {
        guard let kept = keptMinutes, kept.contains(minute) else { return nil }
        let slot = Self.slot(minute, of: maxMinutes)
        return series[position].tags[slot] == minute ? series[position].slots[slot] : nil
    }

    private mutating func update(_ position: Int, minute: Int, _ body: (inout FleetStats) -> Void) {
        let slot = Self.slot(minute, of: maxMinutes)
        if series[position].tags[slot] != minute {
            series[position].tags[slot] = minute
            series[position].slots[slot].removeAll()
        }
        body(&series[position].slots[slot])
        if minute > series[position].lastMinute { series[position].lastMinute = minute }
    }

    /// The series of `key`: its own, a new one, one given up by a series with nothing left in the
    /// window, or `(other)`.
    private mutating func seriesIndex(for key: FleetSeriesKey) -> Int {
        if let position = index[key] { return position }
        if key.isOther { return add(key) }
        let own = series.count - (index[.other] == nil ? 0 : 1)
        if own < maxSeries - 1 { return add(key) }
        if let position = freePlace() {
            index[series[position].key] = nil
            series[position].key = key
            for slot in series[position].tags.indices { series[position].tags[slot] = Int.min }
            series[position].lastMinute = Int.min
            index[key] = position
            return position
        }
        drops.folded = SafeNumber.add(drops.folded, 1)
        return index[.other] ?? add(.other)
    }

    private mutating func add(_ key: FleetSeriesKey) -> Int {
        series.append(Series(key: key, tags: Array(repeating: Int.min, count: maxMinutes), slots: Array(repeating: FleetStats(), count: maxMinutes)))
        index[key] = series.count - 1
        return series.count - 1
    }

    /// A series (not `(other)`) with no minute left in the window; scans at most once per newest
    /// minute when there is none.
    private mutating func freePlace() -> Int? {
        guard let kept = keptMinutes, fruitlessScan != kept.upperBound else { return nil }
        if let position = series.indices.first(where: { !series[$0].key.isOther && series[$0].lastMinute < kept.lowerBound }) {
            return position
        }
        fruitlessScan = kept.upperBound
        return nil
    }

    private mutating func record(_ change: BreakerHistory.Change, for route: RouteKey) {
        if breakers[route] == nil, breakers.count >= maxSeries {
            // A route whose breaker closed before the window gives its place up.
            let lowest = keptMinutes.map { Self.start(ofMinute: $0.lowerBound) } ?? change.at
            guard
                let stale = breakers.first(where: { _, history in
                    guard let current = history.current else { return true }
                    return current.state == .closed && current.at < lowest
                })?.key
            else {
                drops.breakerRoutes = SafeNumber.add(drops.breakerRoutes, 1)
                return
            }
            breakers[stale] = nil
        }
        breakers[route, default: BreakerHistory(route: route)].record(change)
    }
}
