import Completions
import Failover
import Foundation
import Jobs

/// What the rest of the fleet says of each route, from the route-health topic: the latest word
/// of every other worker, and the verdict for this one. Pure: time is passed in.
///
/// The verdict for a route at `now`, from the other workers' words that have not lapsed:
/// - the newest word is `closed`: no hold, and a breaker here that opened before that closes
///   (another worker's probe succeeded since);
/// - else, for each newer `open`: hold until its `open_until` plus `probeGrace` (time for that
///   worker's probe to report), for each `half_open` (a probe in flight): until `probeGrace`
///   after it began; each capped by when the word lapses, so a worker that stopped publishing
///   stops counting. Words are ordered by `since` (when the state began), not by heartbeats;
/// - nothing left: no hold;
/// - but when this worker's own breaker is open too and its id is the smallest of the openers',
///   no hold: it is the one that probes (the others wait for its word).
///
/// Apart from the verdict, ``fleetFailures(for:now:)`` pools the other workers' `failing` words
/// (their closed breakers' failures in a row): never read as a state, and cleared by that
/// worker's next state word (its breaker opened or closed, so its streak is over).
///
/// Guarantees: keeps at most ``maxRoutes`` routes and ``maxWorkersPerRoute`` workers per route,
/// for the state words and the failing words each (lapsed words are pruned first); this
/// worker's own words are ignored.
struct RouteHealthView: Sendable {
    static let maxRoutes = 4_096
    static let maxWorkersPerRoute = 1_024

    /// What this worker should do about a route.
    enum Verdict: Sendable, Hashable {
        /// Keep off the route for this long.
        case hold(Duration)
        /// No hold; with `closedAt` (the newest word is another worker's close, then), an open
        /// breaker here that opened before that closes too.
        case release(closedAt: Date?)
    }

    let me: String
    let probeGrace: Duration
    private(set) var words: [RouteKey: [String: RouteHealthMessage]] = [:]
    /// The latest `failing` word of each other worker, per route.
    private(set) var streaks: [RouteKey: [String: RouteHealthMessage]] = [:]
    /// The latest `failing` word with 0 failures (a success ended a streak) of each other
    /// worker, per route: kept apart, so the worker's next streak does not hide the success.
    private(set) var successes: [RouteKey: [String: RouteHealthMessage]] = [:]

    init(me: String, probeGrace: Duration) {
        self.me = me
        self.probeGrace = probeGrace
    }

    /// Takes `message` in; false when it was ours, older than what we have from its sender, or
    /// over the bounds.
    @discardableResult
    mutating func add(_ message: RouteHealthMessage) -> Bool {
        guard message.worker != me else { return false }
        if message.reason == .failing {
            if let state = words[message.route]?[message.worker], state.at > message.at { return false }
            if message.failures == 0 { _ = keep(message, in: \.successes) }
            return keep(message, in: \.streaks)
        }
        guard keep(message, in: \.words) else { return false }
        // Its breaker opened or closed: its streak is over.
        if let streak = streaks[message.route]?[message.worker], streak.at <= message.at {
            streaks[message.route]?[message.worker] = nil
            if streaks[message.route]?.isEmpty == true { streaks[message.route] = nil }
        }
        return true
    }

    /// Keeps `message` in `table` unless it is older than what `table` has from its sender or
    /// over the bounds.
    private mutating func keep(_ message: RouteHealthMessage, in table: WritableKeyPath<Self, [RouteKey: [String: RouteHealthMessage]]>) -> Bool {
        if let known = self[keyPath: table][message.route]?[message.worker], known.at > message.at { return false }
        if self[keyPath: table][message.route] == nil, self[keyPath: table].count >= Self.maxRoutes { prune(now: message.at) }
        if self[keyPath: table][message.route] == nil, self[keyPath: table].count >= Self.maxRoutes { return false }
        if self[keyPath: table][message.route]?[message.worker] == nil, (self[keyPath: table][message.route]?.count ?? 0) >= Self.maxWorkersPerRoute {
            return false
        }
        self[keyPath: table][message.route, default: [:]][message.worker] = message
        return true
    }

    /// The failures in a row the other live workers report on `route`, since the newest success
    /// anyone reported (a streak a success ended, or `ownSuccess`, this worker's last): their
    /// `failing` words' counts, summed over the streaks that began after it. The fleet's
    /// evidence for this worker's breaker: consecutive failures fleet-wide, not every worker's
    /// streak whatever succeeded in between (a route failing one call in three must not trip
    /// because ten workers each have a short streak).
    func fleetFailures(for route: RouteKey, now: Date, after ownSuccess: Date? = nil) -> Int {
        let live = (streaks[route] ?? [:]).values.filter { $0.expiresAt > now }
        var newestSuccess = ownSuccess ?? .distantPast
        for word in (successes[route] ?? [:]).values where word.expiresAt > now { newestSuccess = max(newestSuccess, word.at) }
        return live.reduce(0) { sum, word in
            let failures = min(word.failures ?? 0, RouteHealthMessage.maxFailures)
            return failures > 0 && word.since > newestSuccess ? sum + failures : sum
        }
    }

    /// The routes anyone spoke of.
    var routes: [RouteKey] { Array(words.keys) }

    /// The verdict for `route` at `now`. `localOpen`: this worker's own breaker for the route is
    /// open or half-open.
    func verdict(for route: RouteKey, now: Date, localOpen: Bool = false) -> Verdict {
        let live = (words[route] ?? [:]).values.filter { $0.expiresAt > now }
        // Ordered by when each state began: a heartbeat repeats a state, it does not renew it.
        guard let newest = live.max(by: { $0.since < $1.since }) else { return .release(closedAt: nil) }
        if newest.state == .closed { return .release(closedAt: newest.since) }
        let lastClose = live.filter { $0.state == .closed }.map(\.since).max() ?? .distantPast
        // One prober per route: of the workers whose breaker is open, the one with the smallest
        // id probes and the others wait for its word. A worker that stops publishing lapses, and
        // the next one takes over.
        let openers = live.filter { $0.since > lastClose && $0.state != .closed }.map(\.worker)
        if localOpen, let first = openers.min(), me < first { return .release(closedAt: nil) }
        var until: Date?
        for word in live where word.since > lastClose {
            let end: Date
            switch word.state {
            case .open: end = min((word.openUntil ?? word.since).addingTimeInterval(probeGrace.seconds), word.expiresAt)
            // A probe reports within the grace, or it was cut short (a cancelled hedge) and that
            // worker waits for its next call: either way the others stop waiting then.
            case .halfOpen: end = min(word.since.addingTimeInterval(probeGrace.seconds), word.expiresAt)
            case .closed: continue
            }
            if end > now { until = max(until ?? end, end) }
        }
        guard let until else { return .release(closedAt: nil) }
        let seconds = until.timeIntervalSince(now)
        return .hold(.milliseconds(Int64(min(seconds, 86_400) * 1_000)))
    }

    /// Forgets words that lapsed before `now`.
    mutating func prune(now: Date) {
        Self.prune(&words, now: now)
        Self.prune(&streaks, now: now)
        Self.prune(&successes, now: now)
    }

    private static func prune(_ table: inout [RouteKey: [String: RouteHealthMessage]], now: Date) {
        for (route, byWorker) in table {
            let kept = byWorker.filter { $0.value.expiresAt > now }
            table[route] = kept.isEmpty ? nil : kept
        }
    }
}
