/// The limits a backup route must stay within, against the primary, to be judged fit to stand in
/// for it (see ``BackupVerdict``). Each default is written once, as the initialiser's default
/// argument; ``defaults`` is the value with all of them.
///
/// | criterion | property | default |
/// |-----------|----------|---------|
/// | `max_latency_p95_ratio` | ``maxLatencyP95Ratio`` | 2.0 |
/// | `max_cost_ratio` | ``maxCostRatio`` | 1.5 |
/// | `min_similarity` | ``minSimilarity`` | 0.6 |
/// | `max_error_rate` | ``maxErrorRate`` | 0.02 |
/// | `min_schema_valid` | ``minSchemaValid`` | 1.0 |
///
/// A plain value: it does not check its numbers (an infinite maximum or a zero minimum turns a
/// criterion off).
package struct ComparisonThresholds: Sendable, Hashable {
    /// The most the backup's p95 latency may be, as a multiple of the primary's.
    package var maxLatencyP95Ratio: Double
    /// The most the backup's mean cost may be, as a multiple of the primary's.
    package var maxCostRatio: Double
    /// The least mean ROUGE-L F1 of the backup's answers against the primary's.
    package var minSimilarity: Double
    /// The most share of the backup's calls that may fail.
    package var maxErrorRate: Double
    /// The least share of the backup's `json_schema` answers that must meet the schema.
    package var minSchemaValid: Double

    /// Every threshold at its default.
    package static let defaults = ComparisonThresholds()

    package init(
        maxLatencyP95Ratio: Double = 2.0,
        maxCostRatio: Double = 1.5,
        minSimilarity: Double = 0.6,
        maxErrorRate: Double = 0.02,
        minSchemaValid: Double = 1.0
    ) {
        self.maxLatencyP95Ratio = maxLatencyP95Ratio
        self.maxCostRatio = maxCostRatio
        self.minSimilarity = minSimilarity
        self.maxErrorRate = maxErrorRate
        self.minSchemaValid = minSchemaValid
    }

    /// The threshold of `criterion`.
    package subscript(criterion: ComparisonCriterion) -> Double {
        switch criterion {
        case .maxLatencyP95Ratio: maxLatencyP95Ratio
        case .maxCostRatio: maxCostRatio
        case .minSimilarity: minSimilarity
        case .maxErrorRate: maxErrorRate
        case .minSchemaValid: minSchemaValid
        }
    }
}
