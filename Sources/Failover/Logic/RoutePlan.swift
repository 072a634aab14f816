/// The order in which a job tries its routes right now: the declared order, with routes that
/// cannot be called (breaker open, cooling down after a 429, no such provider) left out, and
/// slow routes moved behind the healthy ones. Every route keeps its declared `index`.
///
/// A value type with no I/O, built from each route's ``Standing``.
package struct RoutePlan: Sendable, Hashable {
    /// How one route stands at the moment of planning.
    package enum Standing: Sendable, Hashable {
        /// Callable and fast enough.
        case healthy
        /// Callable, but its recent latency exceeds its `slow_after`.
        case slow
        /// Not callable until `until` (`nil`: when the half-open probes in flight end).
        case unavailable(until: Duration?)
        /// No provider of that name is configured; never callable.
        case unknownProvider
    }

    /// Callable routes in the order to try them: healthy in declared order, then slow.
    package private(set) var ordered: [RouteTarget] = []
    /// Routes left out, in declared order, with their standing.
    package private(set) var skipped: [(route: RouteTarget, standing: Standing)] = []

    package init(routes: [RouteTarget], standing: (RouteTarget) -> Standing) {
        var slow: [RouteTarget] = []
        ordered.reserveCapacity(routes.count)
        for route in routes {
            let current = standing(route)
            switch current {
            case .healthy: ordered.append(route)
            case .slow: slow.append(route)
            case .unavailable, .unknownProvider: skipped.append((route, current))
            }
        }
        ordered.append(contentsOf: slow)
    }

    package static func == (lhs: RoutePlan, rhs: RoutePlan) -> Bool {
        lhs.ordered == rhs.ordered && lhs.skipped.elementsEqual(rhs.skipped) { $0.route == $1.route && $0.standing == $1.standing }
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(ordered)
    }

    /// The earliest time a skipped route may become callable: `nil` if none ever will (all
    /// skipped routes have no provider). A route waiting on probes counts as `now + poll`.
    package func earliestReturn(now: Duration, poll: Duration) -> Duration? {
        var earliest: Duration?
        for (_, standing) in skipped {
            guard case .unavailable(let until) = standing else { continue }
            let moment = until ?? (now + poll)
            earliest = min(earliest ?? moment, moment)
        }
        return earliest
    }
}
