import Comparison
import Failover
import Foundation
import Jobs

/// The shadow events of one workload, gathered from the telemetry topic so that
/// `understudy compare --from-telemetry` judges live traffic the way it judges a sample: the
/// same ``ComparisonReport``, built from the measures the worker published instead of answers.
///
/// Only events whose live job was served by the workload's primary count (a job a backup served
/// compares two backups, which is not the question); a job shadowed twice (a redelivery) counts
/// once per route, its latest event.
///
/// Guarantees: memory is bounded by ``maxJobs`` distinct jobs; later events of new jobs are
/// counted in ``leftOut`` instead.
package struct ShadowEvidence: Sendable {
    /// The most distinct jobs kept.
    package static let maxJobs = 200_000

    package let workload: String
    package let primary: RouteKey
    /// The backups the report covers, in order.
    package let backups: [RouteKey]
    /// Events not from before the cut-off are kept; older ones are skipped.
    package let since: Date

    private var primarySamples: [String: RouteSample] = [:]
    private var backupSamples: [RouteKey: [String: RouteSample]] = [:]
    private var measures: [RouteKey: [String: PairMeasure]] = [:]
    /// Events of this workload not counted: served by a backup, of another route, too old, or past ``maxJobs``.
    package private(set) var leftOut = 0
    /// Events counted.
    package private(set) var counted = 0

    package init(workload: String, primary: RouteKey, backups: [RouteKey], since: Date) {
        self.workload = workload
        self.primary = primary
        self.backups = backups
        self.since = since
    }

    /// Adds one event (of any workload: others are ignored).
    package mutating func add(_ event: TelemetryEvent.Shadow) {
        guard event.workload == workload else { return }
        guard event.at >= since, event.primary.route == primary, backups.contains(event.backup.route),
            primarySamples[event.jobID] != nil || primarySamples.count < Self.maxJobs
        else {
            leftOut += 1
            return
        }
        counted += 1
        primarySamples[event.jobID] = Self.sample(event.jobID, event.primary)
        backupSamples[event.backup.route, default: [:]][event.jobID] = Self.sample(event.jobID, event.backup)
        if let measure = event.measure {
            measures[event.backup.route, default: [:]][event.jobID] = measure
        } else {
            measures[event.backup.route]?[event.jobID] = nil
        }
    }

    /// Distinct live jobs counted.
    package var jobs: Int { primarySamples.count }

    /// The report over what was gathered.
    package func report(thresholds: ComparisonThresholds, partial: Bool = false) -> ComparisonReport {
        var samples = Array(primarySamples.values)
        for backup in backups {
            if let jobs = backupSamples[backup] { samples += jobs.values }
        }
        var byRoute: [String: [String: PairMeasure]] = [:]
        for (route, jobs) in measures { byRoute[route.description] = jobs }
        return ComparisonReport(
            workload: workload, thresholds: thresholds, routes: ([primary] + backups).map { ($0.provider, $0.model) },
            samples: samples, measures: byRoute, jobs: jobs, partial: partial)
    }

    private static func sample(_ job: String, _ side: TelemetryEvent.Shadow.Side) -> RouteSample {
        RouteSample(
            jobId: job, provider: side.route.provider, model: side.route.model, outcome: side.outcome, latencyMs: Double(side.latencyMs),
            costUSD: side.costUSD, schemaValid: side.schemaValid)
    }
}
