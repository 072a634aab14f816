import Completions

/// What `understudy compare` found for one workload: each route's summary, and for each backup its
/// similarity to the primary job by job, how its answers' shape compares, how its `json_schema`
/// answers agree field by field, and its verdict against the workload's thresholds. Renders as
/// `report.json` (`schemas/compare-report.v1.json`) and `report.md`.
///
/// Similarity of one job's answers (both routes answered): for a `json_schema` job, the share of
/// the primary's fields the backup's answer agrees on (``FieldAgreement``; an answer that is not
/// JSON agrees on none); for text, ROUGE-L F1 (``TextSimilarity``). A job either route failed has
/// no similarity: the failure counts in the route's error rate instead.
///
/// Guarantees: built from samples alone, in one pass per route plus one per backup job; never
/// traps on any output text.
package struct ComparisonReport: Sendable {
    /// One backup route against the primary.
    package struct Backup: Sendable {
        package var summary: RouteSummary
        /// Per job that both routes answered: the similarity, by job id.
        package var similarities: [String: Double]
        /// Text jobs both routes answered: the shape of the backup's answers against the primary's.
        package var lengthRatio: Percentiles
        /// Text jobs both routes answered whose bullet and paragraph counts match the primary's.
        package var sameStructure: Int
        /// Text jobs both routes answered.
        package var textPairs: Int
        /// `json_schema` jobs both routes answered, field by field.
        package var fieldAgreement: FieldAgreementTally
        package var verdict: BackupVerdict
        /// The jobs whose answers were least alike, least first, at most ``ComparisonReport/maxWorstJobs``.
        package var worst: [Disagreement]
        /// The judge's verdict per job it judged (both routes answered), by job id; empty without a judge.
        package var judgements: [String: JudgeVerdict] = [:]

        /// How many judged jobs the judge found the answers to say the same thing on.
        package var judgedSame: Int { judgements.values.count(where: \.same) }

        /// The spread of the per-job similarities.
        package var similarity: Percentiles { Percentiles(Array(similarities.values)) }
    }

    /// One job's two answers, for the report to show side by side.
    package struct Disagreement: Sendable {
        package var jobID: String
        package var similarity: Double
        /// The primary's answer, cut to ``ComparisonReport/maxShownAnswerBytes``; `nil` when the
        /// report was built from telemetry, which keeps no answers.
        package var primary: String?
        /// The backup's answer, cut the same way.
        package var backup: String?
        /// The judge's verdict on the pair, when a judge ran.
        package var judgement: JudgeVerdict?
    }

    /// The most disagreeing jobs shown per backup.
    package static let maxWorstJobs = 5
    /// The most judge verdicts `report.json` lists per backup (disagreements first).
    package static let maxJudgementsListed = 1_000
    /// The most bytes of one answer shown in the report.
    package static let maxShownAnswerBytes = 2_048

    /// The name of the text similarity measure, as the report states it.
    package static let similarityMeasure = "rouge_l_f1"

    package var workload: String
    package var thresholds: ComparisonThresholds
    /// Sample jobs compared (each on every route).
    package var jobs: Int
    /// True when the run was interrupted: the report covers only the jobs that finished.
    package var partial: Bool
    package var primary: RouteSummary
    package var backups: [Backup]
    /// The route that judged whether answers say the same thing (`validation.judge`), `nil` without one.
    package var judge: String?

    /// Compares every route after the first (the primary) in `routes` with it, over `samples`,
    /// measuring each job's two answers (``PairMeasure``). `jsonJobs` are the ids of `json_schema` jobs.
    package init(
        workload: String, thresholds: ComparisonThresholds, routes: [(provider: String, model: String)], samples: [RouteSample],
        jsonJobs: Set<String>, jobs: Int, partial: Bool = false, judge: String? = nil,
        judgements: [String: [String: JudgeVerdict]] = [:]
    ) {
        var answers: [String: [String: String]] = [:]
        for sample in samples where sample.outcome == .ok {
            if let output = sample.output { answers[sample.route, default: [:]][sample.jobId] = output }
        }
        let primaryAnswers = routes.first.flatMap { answers["\($0.provider)/\($0.model)"] } ?? [:]
        var measures: [String: [String: PairMeasure]] = [:]
        for route in routes.dropFirst() {
            let name = "\(route.provider)/\(route.model)"
            for (job, answer) in answers[name] ?? [:] {
                guard let reference = primaryAnswers[job],
                    let measure = PairMeasure(primary: reference, backup: answer, isJSON: jsonJobs.contains(job))
                else { continue }
                measures[name, default: [:]][job] = measure
            }
        }
        self.init(
            workload: workload, thresholds: thresholds, routes: routes, samples: samples, measures: measures, answers: answers,
            jobs: jobs, partial: partial, judge: judge, judgements: judgements)
    }

    /// Compares every route after the first (the primary) in `routes` with it: each route's
    /// summary from `samples`, each backup's similarity and shape from `measures` (by backup route
    /// `provider/model`, then job id). `answers` (by route, then job id) are shown side by side for
    /// the worst-disagreeing jobs when present; `compare --from-telemetry` has none. `judgements`
    /// (by backup route, then job id) are what the `judge` route said about each pair.
    package init(
        workload: String, thresholds: ComparisonThresholds, routes: [(provider: String, model: String)], samples: [RouteSample],
        measures: [String: [String: PairMeasure]], answers: [String: [String: String]] = [:], jobs: Int, partial: Bool = false,
        judge: String? = nil, judgements: [String: [String: JudgeVerdict]] = [:]
    ) {
        self.judge = judge
        self.workload = workload
        self.thresholds = thresholds
        self.jobs = jobs
        self.partial = partial
        var byRoute: [String: [RouteSample]] = [:]
        for sample in samples { byRoute[sample.route, default: []].append(sample) }
        let summaries = routes.map { route in
            RouteSummary(provider: route.provider, model: route.model, samples: byRoute["\(route.provider)/\(route.model)"] ?? [])
        }
        let primary = summaries.first ?? RouteSummary(provider: "", model: "", samples: [])
        self.primary = primary
        let primaryAnswers = answers[primary.route] ?? [:]
        backups = summaries.dropFirst().map { summary in
            var backup = Backup(
                summary: summary, similarities: [:], lengthRatio: Percentiles([]), sameStructure: 0, textPairs: 0,
                fieldAgreement: FieldAgreementTally(), verdict: BackupVerdict(provider: summary.provider, model: summary.model, checks: []),
                worst: []
            )
            var ratios: [Double] = []
            for (job, measure) in measures[summary.route] ?? [:] {
                backup.similarities[job] = measure.similarity
                switch measure.shape {
                case .json(let fields, let truncated):
                    backup.fieldAgreement.add(fields, truncated: truncated)
                case .text(let lengthRatio, let sameStructure):
                    ratios.append(lengthRatio)
                    backup.textPairs += 1
                    if sameStructure { backup.sameStructure += 1 }
                }
            }
            backup.lengthRatio = Percentiles(ratios)
            let backupAnswers = answers[summary.route] ?? [:]
            backup.judgements = judgements[summary.route] ?? [:]
            let verdicts = backup.judgements
            backup.worst = backup.similarities.filter { $0.value < 1 }.sorted { ($0.value, $0.key) < ($1.value, $1.key) }
                .prefix(Self.maxWorstJobs).map { job, similarity in
                    Disagreement(
                        jobID: job, similarity: similarity, primary: primaryAnswers[job].map(Self.cut),
                        backup: backupAnswers[job].map(Self.cut), judgement: verdicts[job])
                }
            backup.verdict = BackupVerdict(
                primary: primary, backup: summary, similarities: backup.similarities.values, thresholds: thresholds)
            return backup
        }
    }

    /// `text` cut to ``maxShownAnswerBytes`` (marked with an ellipsis when cut).
    static func cut(_ text: String) -> String {
        guard text.utf8.count > maxShownAnswerBytes else { return text }
        return String(decoding: text.utf8.prefix(maxShownAnswerBytes), as: UTF8.self) + "…"
    }

    /// True when every backup passed.
    package var passed: Bool { !partial && backups.allSatisfy(\.verdict.passed) }

    /// The command's last line: which route breached what, or that every backup passed.
    package var lastLine: String {
        let prefix = partial ? "partial report: " : ""
        let failed = backups.filter { !$0.verdict.passed }
        if failed.isEmpty {
            return prefix + "every backup of \(workload) passed (\(backups.map(\.summary.route).joined(separator: ", ")))"
        }
        return prefix + failed.map(\.verdict.sentence).joined(separator: "; ")
    }

    // MARK: report.json

    /// `report.json`, as `schemas/compare-report.v1.json` describes it.
    package func json() -> [UInt8] {
        var writer = JSONWriter(capacity: 4096)
        writer.beginObject()
        writer.member("schema", "understudy.compare-report.v1")
        writer.member("workload", workload)
        writer.member("jobs", jobs)
        writer.member("partial", partial)
        writer.member("passed", passed)
        writer.member("similarity_measure", Self.similarityMeasure)
        writer.key("thresholds")
        writer.beginObject()
        for criterion in ComparisonCriterion.allCases {
            writer.key(criterion.rawValue)
            writer.value(thresholds[criterion])
        }
        writer.endObject()
        writer.key("primary")
        Self.write(primary, to: &writer)
        writer.key("backups")
        writer.beginArray()
        for backup in backups {
            writer.beginObject()
            writer.key("route")
            Self.write(backup.summary, to: &writer)
            writer.key("similarity")
            Self.write(backup.similarity, count: true, to: &writer)
            writer.key("shape")
            writer.beginObject()
            writer.member("text_pairs", backup.textPairs)
            writer.member("same_bullets_and_paragraphs", backup.sameStructure)
            writer.key("length_ratio")
            Self.write(backup.lengthRatio, count: false, to: &writer)
            writer.key("json_fields")
            writer.beginArray()
            for path in backup.fieldAgreement.paths.prefix(200) {
                writer.beginObject()
                writer.member("path", path.path)
                writer.member("jobs", path.jobs)
                writer.member("agreement", path.share)
                writer.endObject()
            }
            writer.endArray()
            writer.endObject()
            writer.key("verdict")
            writer.beginObject()
            writer.member("passed", backup.verdict.passed)
            writer.member("sentence", backup.verdict.sentence)
            writer.key("checks")
            writer.beginArray()
            for check in backup.verdict.checks {
                writer.beginObject()
                writer.member("criterion", check.criterion.rawValue)
                writer.member("status", check.status.rawValue)
                writer.key("measured")
                if let measured = check.measured, measured.isFinite { writer.value(measured) } else { writer.null() }
                writer.member("threshold", check.threshold)
                writer.member("note", ifPresent: check.note)
                writer.endObject()
            }
            writer.endArray()
            writer.endObject()
            writer.key("worst_jobs")
            writer.beginArray()
            for (job, similarity) in backup.similarities.sorted(by: { ($0.value, $0.key) < ($1.value, $1.key) }).prefix(10) {
                writer.beginObject()
                writer.member("job_id", job)
                writer.member("similarity", similarity)
                if let verdict = backup.judgements[job] {
                    writer.member("judge_same", verdict.same)
                    writer.member("judge_reason", verdict.reason)
                }
                writer.endObject()
            }
            writer.endArray()
            if let judge {
                writer.key("judge")
                writer.beginObject()
                writer.member("route", judge)
                writer.member("judged", backup.judgements.count)
                writer.member("same", backup.judgedSame)
                writer.key("jobs")
                writer.beginArray()
                // Disagreements first, then by job id; bounded so the report stays readable.
                let ordered = backup.judgements.sorted { ($0.value.same ? 1 : 0, $0.key) < ($1.value.same ? 1 : 0, $1.key) }
                for (job, verdict) in ordered.prefix(Self.maxJudgementsListed) {
                    writer.beginObject()
                    writer.member("job_id", job)
                    writer.member("same", verdict.same)
                    writer.member("reason", verdict.reason)
                    writer.endObject()
                }
                writer.endArray()
                writer.endObject()
            }
            writer.endObject()
        }
        writer.endArray()
        writer.member("last_line", lastLine)
        writer.endObject()
        return writer.bytes
    }

    private static func write(_ summary: RouteSummary, to writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("provider", summary.provider)
        writer.member("model", summary.model)
        writer.member("calls", summary.count)
        writer.member("ok", summary.okCount)
        writer.key("error_rate")
        optional(summary.errorRate, to: &writer)
        writer.key("failures")
        writer.beginObject()
        for (outcome, count) in summary.failures.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            writer.key(outcome.rawValue)
            writer.value(count)
        }
        writer.endObject()
        writer.key("latency_ms")
        write(summary.latency, count: false, to: &writer)
        writer.member("cost_usd_total", summary.totalCostUSD)
        writer.key("cost_usd_per_job")
        optional(summary.meanCostUSD, to: &writer)
        writer.key("schema_valid")
        optional(summary.schemaValidShare, to: &writer)
        writer.endObject()
    }

    private static func write(_ percentiles: Percentiles, count: Bool, to writer: inout JSONWriter) {
        writer.beginObject()
        if count { writer.member("jobs", percentiles.count) }
        writer.key("p50")
        optional(percentiles.p50, to: &writer)
        writer.key("p95")
        optional(percentiles.p95, to: &writer)
        writer.key("p99")
        optional(percentiles.p99, to: &writer)
        writer.endObject()
    }

    private static func optional(_ value: Double?, to writer: inout JSONWriter) {
        if let value, value.isFinite { writer.value(value) } else { writer.null() }
    }

    // MARK: report.md

    /// `report.md`: a table per backup with a verdict per criterion, for a pull request.
    package func markdown() -> String {
        var lines: [String] = []
        lines.append("# understudy compare: \(workload)")
        lines.append("")
        lines.append(
            "\(jobs) sample jobs on every route; primary `\(primary.route)`. Similarity is \(Self.similarityMeasure) for text, "
                + "field agreement for `json_schema` jobs." + (partial ? " **Partial: the run was interrupted.**" : ""))
        lines.append("")
        lines.append("| route | calls | error rate | p50 / p95 / p99 ms | cost per job (USD) |")
        lines.append("|---|---|---|---|---|")
        for summary in [primary] + backups.map(\.summary) {
            lines.append(
                "| `\(summary.route)` | \(summary.count) | \(Self.text(summary.errorRate)) | "
                    + "\(Self.text(summary.latencyP50, digits: 0)) / \(Self.text(summary.latencyP95, digits: 0)) / "
                    + "\(Self.text(summary.latencyP99, digits: 0)) | \(Self.text(summary.meanCostUSD, digits: 6)) |")
        }
        for backup in backups {
            lines.append("")
            lines.append("## `\(backup.summary.route)`: \(backup.verdict.passed ? "pass" : "FAIL")")
            lines.append("")
            lines.append("| criterion | measured | threshold | verdict |")
            lines.append("|---|---|---|---|")
            for check in backup.verdict.checks {
                let status =
                    switch check.status {
                    case .passed: "pass"
                    case .breached: "**breached**"
                    case .notApplicable: "n/a (\(check.note ?? "not measured"))"
                    }
                lines.append("| `\(check.criterion.rawValue)` | \(Self.text(check.measured)) | \(Self.text(check.threshold)) | \(status) |")
            }
            lines.append("")
            lines.append(
                "Shape: \(backup.sameStructure) of \(backup.textPairs) text answers have the primary's bullets and paragraphs; "
                    + "length ratio p50 \(Self.text(backup.lengthRatio.p50)).")
            if let judge {
                lines.append("")
                lines.append(
                    "Judge `\(judge)`: the answers say the same thing on \(backup.judgedSame) of \(backup.judgements.count) judged jobs.")
            }
        }
        lines.append("")
        lines.append(lastLine)
        lines.append("")
        return lines.joined(separator: "\n")
    }

    /// A number for the Markdown table (`—` when undefined).
    private static func text(_ value: Double?, digits: Int = 2) -> String {
        guard let value, value.isFinite else { return value == nil ? "—" : "∞" }
        return DecimalText.fixed(value, decimals: digits)
    }
}
