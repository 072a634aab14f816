/// One test a backup route must pass to stand in for the primary, named as the config and the
/// report spell it (the raw value). The cases are in the order reports list them.
///
/// A `max_` criterion is breached when the measured value is above its threshold, a `min_` one
/// when it is below; a value equal to the threshold passes, and so does one within a relative
/// ``equalityTolerance`` of it: means of costs drift in the last bits (twelve calls at $0.015
/// against twelve at $0.01 give a ratio of `1.5000000000000007`), and a cost ratio that is 1.5
/// on paper must not breach a maximum of 1.5.
package enum ComparisonCriterion: String, Sendable, Hashable, CaseIterable, Codable {
    /// The backup's p95 latency over the primary's (of `ok` answers).
    case maxLatencyP95Ratio = "max_latency_p95_ratio"
    /// The backup's mean cost per call over the primary's.
    case maxCostRatio = "max_cost_ratio"
    /// The mean ROUGE-L F1 of the backup's answers against the primary's.
    case minSimilarity = "min_similarity"
    /// The backup's share of calls that did not end `ok`.
    case maxErrorRate = "max_error_rate"
    /// The backup's share of `json_schema` answers that met their schema.
    case minSchemaValid = "min_schema_valid"

    /// Whether the threshold is an upper bound (`max_`) rather than a lower one (`min_`).
    package var isUpperBound: Bool {
        switch self {
        case .maxLatencyP95Ratio, .maxCostRatio, .maxErrorRate: true
        case .minSimilarity, .minSchemaValid: false
        }
    }

    /// A measure this close to its threshold, relative to the larger of the two, counts as equal.
    package static let equalityTolerance = 1e-9

    /// Whether `measured` breaches `threshold` for this criterion. A NaN measure breaches (it
    /// cannot be shown to pass).
    package func isBreached(measured: Double, threshold: Double) -> Bool {
        if measured.isNaN { return true }
        if measured.isFinite && threshold.isFinite
            && abs(measured - threshold) <= Self.equalityTolerance * max(abs(measured), abs(threshold))
        {
            return false
        }
        return isUpperBound ? measured > threshold : measured < threshold
    }
}
