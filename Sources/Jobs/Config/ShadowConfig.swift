import Completions
import Failover

/// `workloads.NAME.shadow`: the share of a workload's live jobs the worker also sends to each
/// shadow route in the background, to keep comparing backups with what served the job.
///
/// Guarantees: `sampleRate` is in `0...1`, `maxInFlight` in `1...maxInFlightLimit`, and `routes`
/// is a non-empty list of at most ``maxRoutes`` routes of configured providers, none twice (the
/// workload's backups when the config names none).
package struct ShadowConfig: Sendable, Hashable {
    /// The largest `max_in_flight` accepted.
    package static let maxInFlightLimit = 1_024
    /// `max_in_flight` when the config leaves it out.
    package static let defaultMaxInFlight = 16
    /// The most shadow routes one workload lists (each sampled job is sent to every one).
    package static let maxRoutes = 16

    /// The share of live jobs shadowed (`sample_rate`), in `0...1`.
    package var sampleRate: Double
    /// The most shadow calls at once, per workload (`max_in_flight`).
    package var maxInFlight: Int
    /// The routes each sampled job is also sent to (`routes`).
    package var routes: [RouteKey]

    package init(sampleRate: Double, maxInFlight: Int = defaultMaxInFlight, routes: [RouteKey]) {
        self.sampleRate = sampleRate
        self.maxInFlight = maxInFlight
        self.routes = routes
    }

    /// Reads `shadow` of a workload whose approved routes are `workloadRoutes`.
    static func read(
        _ value: JSONValue, _ path: FieldPath, workloadRoutes: [RouteKey], providers: [String: ProviderConfig]
    ) throws(FieldError) -> ShadowConfig {
        let object = try ObjectReader(value, at: path)
        try object.rejectUnknown(["sample_rate", "max_in_flight", "routes"])
        let sampleRate = try object.required("sample_rate", Read.number(in: 0...1))
        let maxInFlight = try object.optional("max_in_flight", Read.integer(in: 1...maxInFlightLimit)) ?? defaultMaxInFlight
        let routes: [RouteKey]
        if let listed = try object.optional("routes", RouteKey.readList) {
            guard listed.count <= maxRoutes else {
                throw .invalid(path.appending("routes"), "expected at most \(maxRoutes) routes, got \(listed.count)")
            }
            for (index, route) in listed.enumerated() where providers[route.provider] == nil {
                throw .invalid(
                    path.appending("routes").appending(index: index).appending("provider"),
                    "\"\(route.provider)\" is not a provider defined under providers")
            }
            routes = listed
        } else {
            routes = Array(workloadRoutes.dropFirst())
            guard !routes.isEmpty else {
                throw .invalid(path.appending("routes"), "the workload has no backup to shadow; list the routes to shadow here")
            }
        }
        return ShadowConfig(sampleRate: sampleRate, maxInFlight: maxInFlight, routes: routes)
    }
}
