import Completions
import Failover
import Foundation

/// A message on the telemetry topic (`schemas/telemetry.v1.json`): one ``Attempt`` per provider
/// call or skip, one ``JobFinished`` per finished job, one ``Circuit`` per breaker change. The
/// wire field `event` tells them apart.
public enum TelemetryEvent: Sendable, Hashable {
    case attempt(Attempt)
    case job(JobFinished)
    case circuit(Circuit)

    /// The message key: the job id, or `provider/model` for a circuit event.
    public var key: String {
        switch self {
        case .attempt(let event): event.jobID
        case .job(let event): event.jobID
        case .circuit(let event): event.route.description
        }
    }

    /// The `event` field: `attempt`, `job` or `circuit`.
    public var name: String {
        switch self {
        case .attempt: "attempt"
        case .job: "job"
        case .circuit: "circuit"
        }
    }
}

extension TelemetryEvent: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        switch self {
        case .attempt(let event): event.write(to: &writer)
        case .job(let event): event.write(to: &writer)
        case .circuit(let event): event.write(to: &writer)
        }
    }
}
