import Completions
import Failover
import Foundation

/// A message on the telemetry topic (`schemas/telemetry.v1.json`): one ``Attempt`` per provider
/// call or skip, one ``JobFinished`` per finished job, one ``Circuit`` per breaker change, one
/// ``Shadow`` per shadow call, one ``Budget`` when a workload's budget window fills or reopens.
/// The wire field `event` tells them apart.
package enum TelemetryEvent: Sendable, Hashable {
    case attempt(Attempt)
    case job(JobFinished)
    case circuit(Circuit)
    case shadow(Shadow)
    case budget(Budget)
    case batch(Batch)

    /// The message key: the job id, or `provider/model` for a circuit event.
    package var key: String {
        switch self {
        case .attempt(let event): event.jobID
        case .job(let event): event.jobID
        case .circuit(let event): event.route.description
        case .shadow(let event): event.jobID
        case .budget(let event): event.workload
        case .batch(let event): event.batchID
        }
    }

    /// The `event` field: `attempt`, `job`, `circuit`, `shadow` or `budget`.
    package var name: String {
        switch self {
        case .attempt: "attempt"
        case .job: "job"
        case .circuit: "circuit"
        case .shadow: "shadow"
        case .budget: "budget"
        case .batch: "batch"
        }
    }
}

extension TelemetryEvent: JSONWritable {
    package func write(to writer: inout JSONWriter) {
        switch self {
        case .attempt(let event): event.write(to: &writer)
        case .job(let event): event.write(to: &writer)
        case .circuit(let event): event.write(to: &writer)
        case .shadow(let event): event.write(to: &writer)
        case .budget(let event): event.write(to: &writer)
        case .batch(let event): event.write(to: &writer)
        }
    }
}
