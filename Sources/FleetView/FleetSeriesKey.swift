/// The identity of one FleetView series: a workload and the route its numbers are counted
/// against. ``other`` is the one series every key past ``FleetWindow/maxSeries`` is folded into.
///
/// Ordered for display: by workload, then route, with ``other`` last.
package struct FleetSeriesKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The workload, as the events name it (cut to ``FleetWindow/maxNameBytes``).
    package var workload: String
    package var route: FleetRoute

    package init(workload: String, route: FleetRoute) {
        self.workload = workload
        self.route = route
    }

    /// The folded series: named `(other)`, for workloads and routes alike.
    package static let other = FleetSeriesKey(workload: "(other)", route: .other)

    /// True for ``other``.
    package var isOther: Bool { route == .other }

    /// `workload route`.
    package var description: String { "\(workload) \(route)" }

    package static func < (lhs: FleetSeriesKey, rhs: FleetSeriesKey) -> Bool {
        if lhs.isOther != rhs.isOther { return rhs.isOther }
        if lhs.workload != rhs.workload { return lhs.workload < rhs.workload }
        return lhs.route < rhs.route
    }
}
