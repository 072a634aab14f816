import Completions

/// What one route did over the jobs of a comparison: how often it failed and how, how fast and
/// how costly its answers were, and how often its structured answers met their schema. The
/// input of ``BackupVerdict``.
///
/// Definitions (each says which samples it is over, and when it is `nil`):
/// - ``count``: every sample of the route; ``failures``: the samples whose outcome is not `ok`,
///   by outcome (a `cancelled` or `circuit_open` sample is a failure like any other);
///   ``errorRate``: failures / count, `nil` without samples.
/// - ``latency``: the latencies of the `ok` samples only (a timeout's latency is the timeout, not
///   the route's speed; failures show in the error rate), NaNs left out.
/// - ``totalCostUSD``: the sum of the known, finite costs of every sample (a failed call may
///   cost too); ``meanCostUSD``: that sum over ``costedCount``, `nil` when no sample has a cost.
/// - ``schemaValidShare``: valid / checked over the samples with a `schemaValid`, `nil` when no
///   sample has one (no `json_schema` job).
///
/// Guarantees: never traps; building it is one pass over the samples plus a sort of the
/// latencies (`n log n`), and it keeps the `ok` latencies (`n` doubles) for the percentiles.
package struct RouteSummary: Sendable, Hashable {
    /// The route's provider.
    package let provider: String
    /// The route's model.
    package let model: String
    /// Samples of the route.
    package let count: Int
    /// Samples whose outcome is not `ok`, by outcome; outcomes that never happened are absent.
    package let failures: [Outcome: Int]
    /// Latency percentiles of the `ok` samples, in milliseconds.
    package let latency: Percentiles
    /// The sum of the known costs, in US dollars (0 when none is known).
    package let totalCostUSD: Double
    /// Samples with a known, finite cost.
    package let costedCount: Int
    /// Samples of `json_schema` jobs (with a `schemaValid`).
    package let schemaCheckedCount: Int
    /// Of those, samples whose answer met the schema.
    package let schemaValidCount: Int

    /// Summarises the samples of the route `provider`/`model` among `samples`; samples of any
    /// other route are skipped.
    package init(provider: String, model: String, samples: some Sequence<RouteSample>) {
        self.provider = provider
        self.model = model
        var count = 0
        var failures: [Outcome: Int] = [:]
        var latencies: [Double] = []
        var totalCost = 0.0
        var costed = 0
        var checked = 0
        var valid = 0
        for sample in samples where sample.provider == provider && sample.model == model {
            count += 1
            if sample.outcome == .ok {
                latencies.append(sample.latencyMs)
            } else {
                failures[sample.outcome, default: 0] += 1
            }
            if let cost = sample.costUSD, cost.isFinite {
                totalCost += cost
                costed += 1
            }
            if let schemaValid = sample.schemaValid {
                checked += 1
                if schemaValid { valid += 1 }
            }
        }
        self.count = count
        self.failures = failures
        self.latency = Percentiles(latencies)
        self.totalCostUSD = totalCost
        self.costedCount = costed
        self.schemaCheckedCount = checked
        self.schemaValidCount = valid
    }

    /// One summary per route found in `samples`, ordered by provider, then model.
    package static func byRoute(_ samples: [RouteSample]) -> [RouteSummary] {
        // Grouped by the pair, not by `provider/model`: a `/` in a name must not merge two routes.
        var grouped: [RouteKey: [RouteSample]] = [:]
        for sample in samples {
            grouped[RouteKey(provider: sample.provider, model: sample.model), default: []].append(sample)
        }
        return grouped.sorted { $0.key < $1.key }.map { key, routeSamples in
            RouteSummary(provider: key.provider, model: key.model, samples: routeSamples)
        }
    }

    private struct RouteKey: Hashable, Comparable {
        var provider: String
        var model: String

        static func < (lhs: RouteKey, rhs: RouteKey) -> Bool {
            (lhs.provider, lhs.model) < (rhs.provider, rhs.model)
        }
    }

    /// The route as reports name it: `provider/model`.
    package var route: String { "\(provider)/\(model)" }

    /// Samples whose outcome is `ok`.
    package var okCount: Int { count - failureCount }

    /// Samples whose outcome is not `ok`.
    package var failureCount: Int { failures.values.reduce(0, +) }

    /// Failures / samples, in `0...1`; `nil` without samples.
    package var errorRate: Double? {
        count == 0 ? nil : Double(failureCount) / Double(count)
    }

    /// The median latency of the `ok` samples, in milliseconds.
    package var latencyP50: Double? { latency.p50 }
    /// The 95th percentile latency of the `ok` samples, in milliseconds.
    package var latencyP95: Double? { latency.p95 }
    /// The 99th percentile latency of the `ok` samples, in milliseconds.
    package var latencyP99: Double? { latency.p99 }

    /// The mean known cost per sample that has one, in US dollars; `nil` when none has.
    package var meanCostUSD: Double? {
        costedCount == 0 ? nil : totalCostUSD / Double(costedCount)
    }

    /// The share of `json_schema` answers that met the schema, in `0...1`; `nil` without such jobs.
    package var schemaValidShare: Double? {
        schemaCheckedCount == 0 ? nil : Double(schemaValidCount) / Double(schemaCheckedCount)
    }
}
