import Completions
import Jobs

/// One series over one minute: its ``FleetCounts`` and the latencies of its calls and of its
/// finished jobs. What ``FleetWindow`` keeps per slot; reused in place when the slot moves on to
/// a newer minute, so a slot allocates only the first time it is used.
///
/// Latencies: a call's latency is recorded unless it was a `circuit_open` skip or `cancelled`
/// (its latency says when it was cut, not how the route answered); a job's latency is recorded
/// for every finished job. Negative latencies are not recorded.
package struct FleetStats: Sendable, Hashable {
    package private(set) var counts = FleetCounts()
    /// Latencies of calls that ended on their own.
    package private(set) var attemptLatency = LatencyHistogram()
    /// Latencies of finished jobs, from when the worker started them.
    package private(set) var jobLatency = LatencyHistogram()

    package init() {}

    /// Counts one attempt event.
    package mutating func record(_ attempt: TelemetryEvent.Attempt) {
        counts.record(attempt)
        switch attempt.outcome {
        case .circuitOpen, .cancelled: break
        default: attemptLatency.record(ms: attempt.latencyMs)
        }
    }

    /// Counts one finished job.
    package mutating func record(_ job: TelemetryEvent.JobFinished) {
        counts.record(job)
        jobLatency.record(ms: job.latencyMs)
    }

    /// Forgets everything, keeping the memory.
    package mutating func removeAll() {
        counts.removeAll()
        attemptLatency.removeAll()
        jobLatency.removeAll()
    }
}
