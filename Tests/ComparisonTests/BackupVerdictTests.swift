import Completions
import Testing

@testable import Comparison

@Suite struct BackupVerdictTests {
    /// A route's summary: `ok` answers at `latency` ms and `cost` USD each, then `failures` timeouts.
    private func summary(
        provider: String = "openai", model: String = "gpt-4o", ok: Int, latency: Double, cost: Double? = nil,
        failures: Int = 0, schemaValid: [Bool] = []
    ) -> RouteSummary {
        var samples: [RouteSample] = []
        for index in 0..<ok {
            samples.append(
                RouteSample(
                    jobId: "j\(index)", provider: provider, model: model, outcome: .ok, latencyMs: latency, costUSD: cost,
                    output: "answer"))
        }
        for index in 0..<failures {
            samples.append(RouteSample(jobId: "f\(index)", provider: provider, model: model, outcome: .timeout, latencyMs: 30_000))
        }
        for (index, valid) in schemaValid.enumerated() {
            samples.append(
                RouteSample(
                    jobId: "s\(index)", provider: provider, model: model, outcome: .ok, latencyMs: latency, costUSD: cost,
                    output: "{}", schemaValid: valid))
        }
        return RouteSummary(provider: provider, model: model, samples: samples)
    }

    private var primary: RouteSummary { summary(ok: 100, latency: 1_000, cost: 0.01) }

    @Test func breachesAreNamedInOneSentence() {
        let backup = summary(provider: "claude-azure", model: "claude-sonnet-4-5", ok: 99, latency: 3_100, cost: 0.012, failures: 1)
        let verdict = BackupVerdict(primary: primary, backup: backup, similarities: [0.40, 0.42])
        #expect(!verdict.passed)
        #expect(verdict.isConclusive)
        #expect(verdict.breaches.map(\.criterion) == [.maxLatencyP95Ratio, .minSimilarity])
        #expect(
            verdict.sentence
                == "claude-azure/claude-sonnet-4-5 breached max_latency_p95_ratio (3.10 > 2.00), min_similarity (0.41 < 0.60)")
        #expect(verdict.check(.maxLatencyP95Ratio)?.measured == 3.1)
        #expect(verdict.check(.maxErrorRate)?.measured == 0.01)
        #expect(verdict.check(.maxErrorRate)?.status == .passed)
        #expect(verdict.check(.maxCostRatio)?.status == .passed)
        #expect(verdict.check(.minSchemaValid)?.status == .notApplicable)
        #expect(verdict.check(.minSchemaValid)?.passed == true)
        #expect(verdict.checks.map(\.criterion) == ComparisonCriterion.allCases)
    }

    @Test func aFitBackupPassesEveryCriterion() {
        let primary = summary(ok: 10, latency: 1_000, cost: 0.01, schemaValid: [true, true])
        let backup = summary(provider: "azure", ok: 10, latency: 1_500, cost: 0.015, schemaValid: [true, true])
        let verdict = BackupVerdict(primary: primary, backup: backup, similarities: [0.9, 0.7])
        #expect(verdict.passed)
        #expect(verdict.breaches.isEmpty)
        #expect(verdict.sentence == "azure/gpt-4o passed every criterion")
        #expect(verdict.checks.allSatisfy { $0.status == .passed })
    }

    @Test func notApplicableCriteriaPassAndAreNamed() {
        let backup = summary(provider: "azure", ok: 10, latency: 900)
        let verdict = BackupVerdict(primary: primary, backup: backup, similarities: [Double]())
        #expect(verdict.passed)
        #expect(verdict.check(.maxCostRatio)?.note == "no backup cost known")
        #expect(verdict.check(.minSimilarity)?.note == "no answer pair compared")
        #expect(verdict.check(.minSchemaValid)?.note == "no json_schema job")
        #expect(
            verdict.sentence
                == "azure/gpt-4o passed every applicable criterion (not applicable: max_cost_ratio, min_similarity, min_schema_valid)")
    }

    @Test func noOkPrimaryAnswerMakesLatencyNotApplicable() {
        let primary = summary(ok: 0, latency: 0, failures: 3)
        let backup = summary(provider: "azure", ok: 3, latency: 100)
        let verdict = BackupVerdict(primary: primary, backup: backup, similarities: [Double]())
        #expect(verdict.check(.maxLatencyP95Ratio)?.status == .notApplicable)
        #expect(verdict.check(.maxLatencyP95Ratio)?.note == "no ok primary answer")
        #expect(verdict.check(.maxLatencyP95Ratio)?.measured == nil)
        #expect(verdict.passed)
    }

    @Test func aBackupThatNeverAnsweredBreachesTheErrorRate() {
        let backup = summary(provider: "azure", ok: 0, latency: 0, failures: 4)
        let verdict = BackupVerdict(primary: primary, backup: backup, similarities: [Double]())
        #expect(verdict.check(.maxLatencyP95Ratio)?.note == "no ok backup answer")
        #expect(verdict.sentence == "azure/gpt-4o breached max_error_rate (1.00 > 0.02)")
    }

    @Test func aBackupWithoutSamplesCannotBeJudged() {
        let backup = summary(provider: "azure", ok: 0, latency: 0)
        let verdict = BackupVerdict(primary: primary, backup: backup, similarities: [Double]())
        #expect(!verdict.isConclusive)
        #expect(!verdict.passed)
        #expect(verdict.breaches.isEmpty)
        #expect(verdict.checks.allSatisfy { $0.passed })
        #expect(verdict.sentence == "azure/gpt-4o could not be judged: no criterion was applicable")
    }

    @Test func aFreePrimaryMakesAnyBackupCostABreach() {
        let primary = summary(ok: 5, latency: 100, cost: 0)
        let paid = BackupVerdict(primary: primary, backup: summary(provider: "azure", ok: 5, latency: 100, cost: 0.001), similarities: [1])
        #expect(paid.check(.maxCostRatio)?.measured == .infinity)
        #expect(paid.sentence == "azure/gpt-4o breached max_cost_ratio (inf > 1.50)")
        let free = BackupVerdict(primary: primary, backup: summary(provider: "azure", ok: 5, latency: 100, cost: 0), similarities: [1])
        #expect(free.check(.maxCostRatio)?.measured == 1)
        #expect(free.passed)
    }

    @Test func thresholdsAreInclusive() {
        // Error rate exactly 2 %, p95 ratio exactly 2, similarity exactly 0.6: all pass.
        let backup = summary(provider: "azure", ok: 98, latency: 2_000, cost: 0.015, failures: 2)
        let verdict = BackupVerdict(primary: primary, backup: backup, similarities: [0.6])
        #expect(verdict.passed)
        #expect(verdict.check(.maxErrorRate)?.description == "max_error_rate (0.02 <= 0.02)")
        #expect(verdict.check(.minSimilarity)?.description == "min_similarity (0.60 >= 0.60)")
    }

    @Test func closeValuesArePrintedWithEnoughDecimals() {
        let backup = summary(provider: "azure", ok: 10, latency: 1_000, cost: 0.01, schemaValid: Array(repeating: true, count: 99) + [false])
        let verdict = BackupVerdict(primary: primary, backup: backup, similarities: [0.599])
        #expect(verdict.sentence == "azure/gpt-4o breached min_similarity (0.599 < 0.600), min_schema_valid (0.99 < 1.00)")
    }

    @Test func nonFiniteSimilaritiesAreLeftOut() {
        let backup = summary(provider: "azure", ok: 10, latency: 1_000, cost: 0.01)
        let verdict = BackupVerdict(primary: primary, backup: backup, similarities: [.nan, 0.8, .infinity, 1.0])
        #expect(verdict.check(.minSimilarity)?.measured == 0.9)
        let none = BackupVerdict(primary: primary, backup: backup, similarities: [.nan])
        #expect(none.check(.minSimilarity)?.status == .notApplicable)
    }

    @Test func customThresholdsApply() {
        let backup = summary(provider: "azure", ok: 10, latency: 3_000, cost: 0.01)
        let strict = BackupVerdict(
            primary: primary, backup: backup, similarities: [0.7], thresholds: ComparisonThresholds(maxLatencyP95Ratio: .infinity, minSimilarity: 0.8)
        )
        #expect(strict.breaches.map(\.criterion) == [.minSimilarity])
        #expect(strict.check(.maxLatencyP95Ratio)?.threshold == .infinity)
        #expect(strict.check(.maxLatencyP95Ratio)?.passed == true)
    }

    @Test func aNaNMeasureBreaches() {
        let check = BackupVerdict.Check(criterion: .maxErrorRate, measured: .nan, threshold: 0.02)
        #expect(check.status == .breached)
        #expect(check.description == "max_error_rate (nan > 0.02)")
        let notMeasured = BackupVerdict.Check(criterion: .minSimilarity, measured: nil, threshold: 0.6)
        #expect(notMeasured.description == "min_similarity (not applicable: not measured)")
    }
}

@Suite struct ComparisonThresholdsTests {
    @Test func defaults() {
        let defaults = ComparisonThresholds.defaults
        #expect(defaults.maxLatencyP95Ratio == 2.0)
        #expect(defaults.maxCostRatio == 1.5)
        #expect(defaults.minSimilarity == 0.6)
        #expect(defaults.maxErrorRate == 0.02)
        #expect(defaults.minSchemaValid == 1.0)
        #expect(ComparisonCriterion.allCases.map { defaults[$0] } == [2.0, 1.5, 0.6, 0.02, 1.0])
    }

    @Test func criterionNamesAreSnakeCase() {
        #expect(
            ComparisonCriterion.allCases.map(\.rawValue) == [
                "max_latency_p95_ratio", "max_cost_ratio", "min_similarity", "max_error_rate", "min_schema_valid",
            ])
        #expect(ComparisonCriterion.maxCostRatio.isBreached(measured: 1.51, threshold: 1.5))
        #expect(!ComparisonCriterion.maxCostRatio.isBreached(measured: 1.5, threshold: 1.5))
        #expect(ComparisonCriterion.minSimilarity.isBreached(measured: 0.59, threshold: 0.6))
        #expect(!ComparisonCriterion.minSimilarity.isBreached(measured: 0.6, threshold: 0.6))
        // Floating-point noise at the threshold is not a breach.
        let backupMean = Array(repeating: 0.015, count: 12).reduce(0, +) / 12
        let primaryMean = Array(repeating: 0.01, count: 12).reduce(0, +) / 12
        #expect(backupMean / primaryMean > 1.5)
        #expect(!ComparisonCriterion.maxCostRatio.isBreached(measured: backupMean / primaryMean, threshold: 1.5))
        #expect(!ComparisonCriterion.minSimilarity.isBreached(measured: 0.6 - 1e-15, threshold: 0.6))
        #expect(ComparisonCriterion.minSimilarity.isBreached(measured: 0.6 - 1e-6, threshold: 0.6))
        #expect(!ComparisonCriterion.maxCostRatio.isBreached(measured: .infinity, threshold: .infinity))
        #expect(ComparisonCriterion.maxCostRatio.isBreached(measured: .infinity, threshold: 1e300))
        #expect(ComparisonCriterion.minSimilarity.isBreached(measured: .nan, threshold: 0))
    }
}

@Suite struct DecimalTextTests {
    @Test func fixedDecimals() {
        #expect(DecimalText.fixed(3.1, decimals: 2) == "3.10")
        #expect(DecimalText.fixed(0.125, decimals: 2) == "0.13")
        #expect(DecimalText.fixed(-1.5, decimals: 0) == "-2")
        #expect(DecimalText.fixed(-0.004, decimals: 2) == "0.00")
        #expect(DecimalText.fixed(-2.5, decimals: 1) == "-2.5")
        #expect(DecimalText.fixed(0.000001, decimals: 6) == "0.000001")
        #expect(DecimalText.fixed(12, decimals: 99) == "12.000000")
        #expect(DecimalText.fixed(12, decimals: -3) == "12")
    }

    @Test func neverTraps() {
        #expect(DecimalText.fixed(.nan, decimals: 2) == "nan")
        #expect(DecimalText.fixed(.infinity, decimals: 2) == "inf")
        #expect(DecimalText.fixed(-.infinity, decimals: 2) == "-inf")
        #expect(DecimalText.fixed(1e300, decimals: 2) == "1e+300")
        #expect(DecimalText.fixed(-.greatestFiniteMagnitude, decimals: 6) == (-Double.greatestFiniteMagnitude).description)
    }

    @Test func distinctAddsDecimalsOnlyWhenNeeded() {
        #expect(DecimalText.distinct(3.1, 2) == ("3.10", "2.00"))
        #expect(DecimalText.distinct(0.599, 0.6) == ("0.599", "0.600"))
        #expect(DecimalText.distinct(0.6, 0.6) == ("0.60", "0.60"))
        #expect(DecimalText.distinct(0.6 + 1e-12, 0.6) == ("0.600000", "0.600000"))
    }
}

@Suite struct RatioTests {
    @Test func definedForEveryInput() {
        #expect(Ratio.of(3, to: 2) == 1.5)
        #expect(Ratio.of(0, to: 0) == 1)
        #expect(Ratio.of(5, to: 0) == .infinity)
        #expect(Ratio.of(0, to: 5) == 0)
        #expect(Ratio.of(-1, to: 0) == 1)
        #expect(Ratio.of(.nan, to: 1).isNaN)
        #expect(Ratio.of(1, to: .nan).isNaN)
    }
}
