import Completions
import Failover
import Foundation

/// Reading a telemetry message back: the counterpart of ``TelemetryEvent/write(to:)`` for
/// FleetView's Kafka reader.
extension TelemetryEvent {
    /// Reads one message of the telemetry topic as the events' `write(to:)` write it: `attempt`,
    /// `job` and `circuit` here, `shadow` through ``TelemetryEvent/Shadow/read(_:)``. `nil` for
    /// anything else, or an event that does not hold what `telemetry.v1.json` says: a missing or
    /// mistyped required field, an unknown `outcome`, `decision`, `status` or `state`, an
    /// `attempt` below 1, a `route_index`, latency, `retry_after_ms`, `attempts`, `queue_ms`,
    /// `cooldown_ms` or token count below 0, an `http_status` outside 100...599, an `at` that is
    /// not RFC 3339. Lenient where the schema's own writers are: a nullable member that is
    /// absent reads as `null`, and a cost that is negative or not finite reads as unknown
    /// (`nil` for an attempt, 0 for a job, whose cost is not optional).
    ///
    /// Never traps: numbers are read through `JSONValue.intValue` (whole, below 2^53) and range
    /// checked; the parser bounds nesting.
    package static func read(_ bytes: [UInt8]) -> TelemetryEvent? {
        guard let value = try? JSONParser.parse(bytes), let object = value.objectValue else { return nil }
        switch object["event"]?.stringValue {
        case "attempt": return attempt(object).map(TelemetryEvent.attempt)
        case "job": return job(object).map(TelemetryEvent.job)
        case "circuit": return circuit(object).map(TelemetryEvent.circuit)
        case "shadow": return Shadow.read(bytes).map(TelemetryEvent.shadow)
        default: return nil
        }
    }

    private static func attempt(_ object: [String: JSONValue]) -> Attempt? {
        guard let jobID = object["job_id"]?.stringValue, let workload = object["workload"]?.stringValue,
            let attempt = whole(object["attempt"], atLeast: 1), let routeIndex = whole(object["route_index"], atLeast: 0),
            let provider = object["provider"]?.stringValue, let model = object["model"]?.stringValue,
            let outcome = object["outcome"]?.stringValue.flatMap(Outcome.init(rawValue:)),
            let httpStatus = optional(object["http_status"], { $0.intValue.flatMap { (100...599).contains($0) ? $0 : nil } }),
            let latency = whole(object["latency_ms"], atLeast: 0),
            let retryAfter = optional(object["retry_after_ms"], { whole($0, atLeast: 0) }),
            let decision = object["decision"]?.stringValue.flatMap(Decision.init(rawValue:)),
            let at = object["at"]?.stringValue.flatMap(RFC3339.date(from:)),
            let cost = optional(object["cost_usd"], { $0.numberValue }),
            let usage = optional(object["usage"], usage),
            let savings = optional(object["cache_savings_usd"], { $0.numberValue }),
            let providerType = optional(object["provider_type"], { $0.stringValue }),
            let providerErrorType = optional(object["provider_error_type"], { $0.stringValue }),
            let errorMessage = optional(object["error_message"], { $0.stringValue })
        else { return nil }
        return Attempt(
            jobID: jobID, workload: workload, attempt: attempt, routeIndex: routeIndex, route: RouteKey(provider: provider, model: model),
            outcome: outcome, httpStatus: httpStatus, latencyMs: latency, retryAfterMs: retryAfter, decision: decision, at: at,
            costUSD: cost.flatMap(knownCost), usage: usage, cacheSavingsUSD: savings.flatMap(knownSavings), providerType: providerType,
            providerErrorType: providerErrorType, errorMessage: errorMessage)
    }

    private static func job(_ object: [String: JSONValue]) -> JobFinished? {
        guard let jobID = object["job_id"]?.stringValue, let workload = object["workload"]?.stringValue,
            let status = object["status"]?.stringValue, status == "succeeded" || status == "failed",
            let servedBy = optional(object["served_by"], servedBy),
            let attempts = whole(object["attempts"], atLeast: 0), let latency = whole(object["latency_ms"], atLeast: 0),
            let cost = object["cost_usd"]?.numberValue,
            let at = object["at"]?.stringValue.flatMap(RFC3339.date(from:)),
            let errorClass = optional(object["error_class"], { $0.stringValue }),
            let queue = optional(object["queue_ms"], { whole($0, atLeast: 0) })
        else { return nil }
        return JobFinished(
            jobID: jobID, workload: workload, succeeded: status == "succeeded", servedBy: servedBy, attempts: attempts, latencyMs: latency,
            costUSD: knownCost(cost) ?? 0, at: at, errorClass: errorClass.map(JobResult.Failure.ErrorClass.init(rawValue:)), queueMs: queue)
    }

    private static func circuit(_ object: [String: JSONValue]) -> Circuit? {
        guard let provider = object["provider"]?.stringValue, let model = object["model"]?.stringValue,
            let state = object["state"]?.stringValue.flatMap(CircuitState.init(rawValue:)),
            let at = object["at"]?.stringValue.flatMap(RFC3339.date(from:)),
            let cooldown = optional(object["cooldown_ms"], { whole($0, atLeast: 0) }),
            let worker = optional(object["worker"], { $0.stringValue.flatMap { $0.utf8.count <= 256 ? $0 : nil } })
        else { return nil }
        return Circuit(route: RouteKey(provider: provider, model: model), state: state, at: at, cooldownMs: cooldown, worker: worker)
    }

    private static func usage(_ value: JSONValue) -> CompletionResponse.Usage? {
        guard let object = value.objectValue, let input = whole(object["input_tokens"], atLeast: 0),
            let output = whole(object["output_tokens"], atLeast: 0),
            let read = optional(object["cache_read_tokens"], { whole($0, atLeast: 0) }),
            let write = optional(object["cache_write_tokens"], { whole($0, atLeast: 0) })
        else { return nil }
        return CompletionResponse.Usage(inputTokens: input, outputTokens: output, cacheReadTokens: read ?? 0, cacheWriteTokens: write ?? 0)
    }

    private static func servedBy(_ value: JSONValue) -> JobResult.ServedBy? {
        guard let object = value.objectValue, let provider = object["provider"]?.stringValue, let model = object["model"]?.stringValue,
            let index = whole(object["route_index"], atLeast: 0)
        else { return nil }
        return JobResult.ServedBy(provider: provider, model: model, routeIndex: index)
    }

    /// A whole number of at least `minimum`, else `nil`.
    private static func whole(_ value: JSONValue?, atLeast minimum: Int) -> Int? {
        guard let number = value?.intValue, number >= minimum else { return nil }
        return number
    }

    /// A cost that is a cost: finite and not negative.
    private static func knownCost(_ cost: Double) -> Double? {
        cost.isFinite && cost >= 0 ? cost : nil
    }

    /// A saving, which may be negative, within what one call can plausibly be worth.
    private static func knownSavings(_ savings: Double) -> Double? {
        savings.isFinite && abs(savings) <= 1_000_000 ? savings : nil
    }

    /// An optional member: `.some(nil)` when absent or `null`, `.some(value)` when `read` accepts
    /// it, `nil` (the event is refused) when it does not.
    private static func optional<T>(_ value: JSONValue?, _ read: (JSONValue) -> T?) -> T?? {
        guard let value, value != .null else { return .some(nil) }
        guard let parsed = read(value) else { return nil }
        return .some(parsed)
    }
}
