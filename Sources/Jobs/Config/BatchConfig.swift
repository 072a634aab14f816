import Completions
import Failover

/// `workloads.NAME.batch`: jobs of a workload that can wait go to a provider's batch API (half
/// the realtime price), and fall back to the workload's realtime routes when a batch is late,
/// fails or expires.
///
/// Guarantees: `routes` is a non-empty list of at most ``maxRoutes`` routes of configured
/// providers whose type has a batch API (`anthropic`, `openai`, `azure-openai`), none twice;
/// `realtimeMarginMs` is below `minDeadlineMs`, so a job that enters a batch always has its
/// margin left for realtime; every count and interval has a bound.
package struct BatchConfig: Sendable, Hashable {
    /// Provider types with a batch API.
    package static let batchTypes: [ProviderConfig.ProviderType] = [.anthropic, .openai, .azureOpenAI]
    /// The most batch routes one workload lists.
    package static let maxRoutes = 8
    /// The largest `flush_after_jobs` accepted (Anthropic's per-batch limit; each provider's own
    /// lower limit applies on top).
    package static let maxFlushAfterJobs = 100_000

    /// Whether the workload's jobs go to batches at all (`enabled`).
    package var enabled: Bool
    /// The batch routes, in order of preference (`routes`); jobs go to the first.
    package var routes: [RouteKey]
    /// Only a job whose deadline exceeds this goes to a batch (`min_deadline_ms`).
    package var minDeadlineMs: Int
    /// A waiting group is submitted once it holds this many jobs (`flush_after_jobs`).
    package var flushAfterJobs: Int
    /// ... or once its oldest job has waited this long (`flush_after_ms`).
    package var flushAfterMs: Int
    /// A job still in a running batch this long before its deadline runs realtime (`realtime_margin_ms`).
    package var realtimeMarginMs: Int
    /// How often a running batch is polled (`poll_interval_ms`); failed polls back off from it.
    package var pollIntervalMs: Int

    package init(
        enabled: Bool = true, routes: [RouteKey], minDeadlineMs: Int = 7_200_000, flushAfterJobs: Int = 10_000, flushAfterMs: Int = 60_000,
        realtimeMarginMs: Int = 900_000, pollIntervalMs: Int = 30_000
    ) {
        self.enabled = enabled
        self.routes = routes
        self.minDeadlineMs = minDeadlineMs
        self.flushAfterJobs = flushAfterJobs
        self.flushAfterMs = flushAfterMs
        self.realtimeMarginMs = realtimeMarginMs
        self.pollIntervalMs = pollIntervalMs
    }

    /// Whether a job with this deadline goes to a batch.
    package func admits(deadlineMs: Int) -> Bool {
        enabled && deadlineMs > minDeadlineMs
    }

    /// Reads `batch` of a workload.
    static func read(_ value: JSONValue, _ path: FieldPath, providers: [String: ProviderConfig]) throws(FieldError) -> BatchConfig {
        let object = try ObjectReader(value, at: path)
        try object.rejectUnknown([
            "enabled", "routes", "min_deadline_ms", "flush_after_jobs", "flush_after_ms", "realtime_margin_ms", "poll_interval_ms",
        ])
        let routes = try object.required("routes", RouteKey.readList)
        guard routes.count <= maxRoutes else {
            throw .invalid(path.appending("routes"), "expected at most \(maxRoutes) routes, got \(routes.count)")
        }
        for (index, route) in routes.enumerated() {
            let at = path.appending("routes").appending(index: index)
            guard let provider = providers[route.provider] else {
                throw .invalid(at.appending("provider"), "\"\(route.provider)\" is not a provider defined under providers")
            }
            guard batchTypes.contains(provider.type) else {
                throw .invalid(
                    at.appending("provider"),
                    "provider \"\(route.provider)\" is of type \(provider.type.rawValue), which has no batch API; expected one of "
                        + batchTypes.map(\.rawValue).joined(separator: ", "))
            }
            if routes[..<index].contains(route) {
                throw .invalid(at, "route \(route.provider)/\(route.model) is listed twice")
            }
        }
        let d = BatchConfig(routes: routes)
        let minDeadlineMs = try object.optional("min_deadline_ms", Read.integer(in: 1...JobLimits.hardMaxDeadlineMs)) ?? d.minDeadlineMs
        let margin = try object.optional("realtime_margin_ms", Read.integer(in: 0...JobLimits.hardMaxDeadlineMs)) ?? d.realtimeMarginMs
        guard margin < minDeadlineMs else {
            throw .invalid(
                path.appending("realtime_margin_ms"),
                "\(margin) must be below \(path.appending("min_deadline_ms")) (\(minDeadlineMs)): a batched job needs its margin left for realtime")
        }
        return BatchConfig(
            enabled: try object.optional("enabled", Read.bool) ?? true,
            routes: routes,
            minDeadlineMs: minDeadlineMs,
            flushAfterJobs: try object.optional("flush_after_jobs", Read.integer(in: 1...maxFlushAfterJobs)) ?? d.flushAfterJobs,
            flushAfterMs: try object.optional("flush_after_ms", Read.integer(in: 10...86_400_000)) ?? d.flushAfterMs,
            realtimeMarginMs: margin,
            pollIntervalMs: try object.optional("poll_interval_ms", Read.integer(in: 10...3_600_000)) ?? d.pollIntervalMs
        )
    }
}
