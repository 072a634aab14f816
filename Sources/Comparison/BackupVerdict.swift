/// Whether one backup route is fit to stand in for the primary, criterion by criterion
/// (``ComparisonCriterion``, against ``ComparisonThresholds``), with a one-line sentence for the
/// report: `claude-azure/claude-sonnet-4-5 breached max_latency_p95_ratio (3.10 > 2.00),
/// min_similarity (0.41 < 0.60)`.
///
/// What each criterion measures, and when it is not applicable (a check that is not applicable
/// has no measured value, counts as passed, and is marked ``Status/notApplicable`` with a note):
///
/// | criterion | measured | not applicable when |
/// |-----------|----------|---------------------|
/// | `max_latency_p95_ratio` | backup p95 / primary p95, `ok` answers only | either route has no `ok` answer |
/// | `max_cost_ratio` | backup mean cost / primary mean cost, known costs only | either route has no known cost |
/// | `min_similarity` | mean of the given per-job similarities, NaNs and infinities left out | no similarity is given |
/// | `max_error_rate` | the backup's ``RouteSummary/errorRate`` | the backup has no sample |
/// | `min_schema_valid` | the backup's ``RouteSummary/schemaValidShare`` | the backup ran no `json_schema` job |
///
/// Ratios follow ``Ratio``: a primary measure of zero against a positive backup measure (a free
/// primary, a zero latency) is `+infinity`, which breaches any finite maximum; zero against zero
/// is 1. A NaN measure breaches.
///
/// Overall, ``passed`` requires no breach **and** at least one applicable criterion: a backup
/// with nothing measured (no sample at all) is not certified; ``isConclusive`` tells that case
/// apart and the sentence says the route could not be judged.
///
/// Guarantees: never traps; the work is one pass over the similarities.
package struct BackupVerdict: Sendable, Hashable {
    /// How one criterion came out.
    package enum Status: String, Sendable, Hashable, CaseIterable {
        case passed
        case breached
        /// The measure is undefined for these samples (see the table above); counts as passed.
        case notApplicable = "not_applicable"
    }

    /// One criterion's measure, threshold and result.
    package struct Check: Sendable, Hashable, CustomStringConvertible {
        package let criterion: ComparisonCriterion
        /// The measured value, `nil` when not applicable.
        package let measured: Double?
        package let threshold: Double
        package let status: Status
        /// Why the criterion is not applicable, `nil` otherwise.
        package let note: String?

        /// A check of `measured` against `threshold`, or a not-applicable one (with `note`)
        /// when `measured` is `nil`.
        package init(criterion: ComparisonCriterion, measured: Double?, threshold: Double, note: String? = nil) {
            self.criterion = criterion
            self.measured = measured
            self.threshold = threshold
            if let measured {
                status = criterion.isBreached(measured: measured, threshold: threshold) ? .breached : .passed
                self.note = nil
            } else {
                status = .notApplicable
                self.note = note ?? "not measured"
            }
        }

        /// Whether the check did not breach (a not-applicable check passes).
        package var passed: Bool { status != .breached }

        /// Whether the measure was defined.
        package var isApplicable: Bool { status != .notApplicable }

        /// `min_similarity (0.41 < 0.60)`, `max_error_rate (0.01 <= 0.02)`, or
        /// `min_schema_valid (not applicable: no json_schema job)`.
        package var description: String {
            guard let measured else { return "\(criterion.rawValue) (not applicable: \(note ?? "not measured"))" }
            let (value, limit) = DecimalText.distinct(measured, threshold)
            let relation =
                switch (criterion.isUpperBound, status == .breached) {
                case (true, true): ">"
                case (true, false): "<="
                case (false, true): "<"
                case (false, false): ">="
                }
            return "\(criterion.rawValue) (\(value) \(relation) \(limit))"
        }
    }

    /// The backup route's provider.
    package let provider: String
    /// The backup route's model.
    package let model: String
    /// One check per criterion, in ``ComparisonCriterion/allCases`` order.
    package let checks: [Check]

    /// Judges `backup` against `primary` under `thresholds`; `similarities` are the backup's
    /// per-job similarities to the primary's answers (ROUGE-L F1, ``TextSimilarity``).
    package init(
        primary: RouteSummary, backup: RouteSummary, similarities: some Sequence<Double>,
        thresholds: ComparisonThresholds = .defaults
    ) {
        var similaritySum = 0.0
        var similarityCount = 0
        for similarity in similarities where similarity.isFinite {
            similaritySum += similarity
            similarityCount += 1
        }
        let meanSimilarity = similarityCount == 0 ? nil : similaritySum / Double(similarityCount)

        let latencyRatio: Double?
        let latencyNote: String?
        switch (primary.latencyP95, backup.latencyP95) {
        case (let primaryP95?, let backupP95?): (latencyRatio, latencyNote) = (Ratio.of(backupP95, to: primaryP95), nil)
        case (nil, _): (latencyRatio, latencyNote) = (nil, "no ok primary answer")
        case (_, nil): (latencyRatio, latencyNote) = (nil, "no ok backup answer")
        }
        let costRatio: Double?
        let costNote: String?
        switch (primary.meanCostUSD, backup.meanCostUSD) {
        case (let primaryCost?, let backupCost?): (costRatio, costNote) = (Ratio.of(backupCost, to: primaryCost), nil)
        case (nil, _): (costRatio, costNote) = (nil, "no primary cost known")
        case (_, nil): (costRatio, costNote) = (nil, "no backup cost known")
        }

        self.init(
            provider: backup.provider, model: backup.model,
            checks: [
                Check(
                    criterion: .maxLatencyP95Ratio, measured: latencyRatio, threshold: thresholds.maxLatencyP95Ratio,
                    note: latencyNote),
                Check(criterion: .maxCostRatio, measured: costRatio, threshold: thresholds.maxCostRatio, note: costNote),
                Check(
                    criterion: .minSimilarity, measured: meanSimilarity, threshold: thresholds.minSimilarity,
                    note: "no answer pair compared"),
                Check(
                    criterion: .maxErrorRate, measured: backup.errorRate, threshold: thresholds.maxErrorRate,
                    note: "no backup sample"),
                Check(
                    criterion: .minSchemaValid, measured: backup.schemaValidShare, threshold: thresholds.minSchemaValid,
                    note: "no json_schema job"),
            ])
    }

    /// A verdict from checks already made (for tests and for reading a report back).
    package init(provider: String, model: String, checks: [Check]) {
        self.provider = provider
        self.model = model
        self.checks = checks
    }

    /// The backup route as reports name it: `provider/model`.
    package var route: String { "\(provider)/\(model)" }

    /// The checks that breached, in criterion order.
    package var breaches: [Check] { checks.filter { $0.status == .breached } }

    /// Whether at least one criterion was measured.
    package var isConclusive: Bool { checks.contains(where: \.isApplicable) }

    /// Whether the backup is fit: no breach, and at least one criterion measured.
    package var passed: Bool { isConclusive && breaches.isEmpty }

    /// The check of `criterion`, `nil` when the verdict has none.
    package func check(_ criterion: ComparisonCriterion) -> Check? {
        checks.first { $0.criterion == criterion }
    }

    /// One line for the report: which criteria the route breached, with the measured value and
    /// the threshold; or that it passed (naming the criteria that did not apply); or that it
    /// could not be judged.
    package var sentence: String {
        let breaches = breaches
        if !breaches.isEmpty {
            return "\(route) breached " + breaches.map(\.description).joined(separator: ", ")
        }
        guard isConclusive else { return "\(route) could not be judged: no criterion was applicable" }
        let notApplicable = checks.filter { !$0.isApplicable }.map(\.criterion.rawValue)
        if notApplicable.isEmpty { return "\(route) passed every criterion" }
        return "\(route) passed every applicable criterion (not applicable: \(notApplicable.joined(separator: ", ")))"
    }
}
