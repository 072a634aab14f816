import Failover
import Foundation

/// The breaker changes of one route, in time order, and what they mean over a time range: the
/// state at a moment, the trips (changes to `open`), and the spans the breaker spent `open` or
/// `half_open` (for shading a timeline).
///
/// With several workers the history of a route interleaves every worker's breaker: "the state"
/// is the last change any worker reported, and a trip is a change to `open` of a breaker that
/// was not open, each worker's breaker apart (events name their worker; those of versions that
/// did not are taken as one worker's).
///
/// Guarantees: at most ``maxChanges`` changes are kept (the oldest go first; a change older than
/// all of them once full is dropped, and both count in ``droppedChanges``); changes may arrive
/// out of order and are placed by time (equal times keep their arrival order); no operation traps.
package struct BreakerHistory: Sendable, Hashable {
    /// One breaker change.
    package struct Change: Sendable, Hashable {
        package var state: CircuitState
        package var at: Date
        /// How long an `open` breaker stays open, when the event said.
        package var cooldownMs: Int?
        /// The worker whose breaker changed, when the event said.
        package var worker: String?

        package init(state: CircuitState, at: Date, cooldownMs: Int? = nil, worker: String? = nil) {
            self.state = state
            self.at = at
            self.cooldownMs = cooldownMs
            self.worker = worker
        }
    }

    /// A stretch of time the breaker spent in one state other than `closed`.
    package struct Span: Sendable, Hashable {
        /// `open` or `half_open`.
        package var state: CircuitState
        package var start: Date
        /// When the next change came; `nil` when none has (the state still holds).
        package var end: Date?

        package init(state: CircuitState, start: Date, end: Date?) {
            self.state = state
            self.start = start
            self.end = end
        }
    }

    /// The most changes kept per route.
    package static let maxChanges = 256

    package let route: RouteKey
    /// Changes in time order, at most ``maxChanges``.
    package private(set) var changes: [Change] = []
    /// Changes forgotten or refused because ``maxChanges`` were kept.
    package private(set) var droppedChanges = 0

    package init(route: RouteKey) {
        self.route = route
    }

    /// The latest change.
    package var current: Change? { changes.last }

    /// Keeps `change` in its place by time.
    package mutating func record(_ change: Change) {
        if changes.count >= Self.maxChanges {
            droppedChanges = SafeNumber.add(droppedChanges, 1)
            guard let first = changes.first, change.at >= first.at else { return }
            changes.removeFirst()
        }
        // After every change at or before this one: the common in-order case is the end.
        var index = changes.count
        while index > 0, changes[index - 1].at > change.at { index -= 1 }
        changes.insert(change, at: index)
    }

    /// The state at `date`: that of the last change at or before it; `nil` before the first.
    package func state(at date: Date) -> CircuitState? {
        changes.last { $0.at <= date }?.state
    }

    /// The state just before `date`: that of the last change before it, for the end of a range
    /// that excludes its upper bound; `nil` before the first.
    package func state(before date: Date) -> CircuitState? {
        changes.last { $0.at < date }?.state
    }

    /// Changes to `open` in `since..<until` of a breaker that was not open before (or whose
    /// first known change it is), each worker's breaker apart: three workers tripping are three
    /// trips, one worker's open repeated is one.
    package func trips(since: Date, until: Date) -> Int {
        var trips = 0
        var last: [String: CircuitState] = [:]
        for change in changes {
            let worker = change.worker ?? ""
            if change.state == .open, change.at >= since, change.at < until, last[worker] != .open { trips += 1 }
            last[worker] = change.state
        }
        return trips
    }

    /// The stretches in `since..<until` the breaker was `open` or `half_open`, clipped to the
    /// range, in time order; a span still going on at `until` has `end` `nil`.
    package func spans(since: Date, until: Date) -> [Span] {
        guard since < until else { return [] }
        var spans: [Span] = []
        for (index, change) in changes.enumerated() where change.state != .closed {
            let next = index + 1 < changes.count ? changes[index + 1].at : nil
            if let next, next <= since { continue }
            if change.at >= until { break }
            let start = max(change.at, since)
            let end = next.flatMap { $0 < until ? $0 : nil }
            if let end, end <= start { continue }
            spans.append(Span(state: change.state, start: start, end: end))
        }
        return spans
    }
}
