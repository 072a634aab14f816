import Failover

/// What a FleetView series is counted against: one route (`provider/model`), the failed jobs no
/// route served, or the series folded together once ``FleetWindow/maxSeries`` was reached.
///
/// Ordered for display: routes by `provider/model`, then ``none``, then ``other``.
package enum FleetRoute: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// One route of the config.
    case route(RouteKey)
    /// Failed jobs without a `served_by` route.
    case none
    /// Every series past the window's ``FleetWindow/maxSeries``, counted as one.
    case other

    /// `provider/model`, `(no route)` or `(other)`.
    package var description: String {
        switch self {
        case .route(let key): key.description
        case .none: "(no route)"
        case .other: "(other)"
        }
    }

    /// The route, for ``route(_:)``.
    package var key: RouteKey? {
        if case .route(let key) = self { return key }
        return nil
    }

    /// `route`, `none` or `other`: the `kind` field of the documents.
    package var kind: String {
        switch self {
        case .route: "route"
        case .none: "none"
        case .other: "other"
        }
    }

    package static func < (lhs: FleetRoute, rhs: FleetRoute) -> Bool {
        switch (lhs, rhs) {
        case (.route(let left), .route(let right)):
            (left.provider, left.model) < (right.provider, right.model)
        case (.route, _): true
        case (.none, .other): true
        default: false
        }
    }
}
