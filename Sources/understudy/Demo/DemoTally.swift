import Foundation

/// What the demo has read back from the results and telemetry topics so far: a value type that
/// takes message values and counts. The report and the progress bar are computed from it.
struct DemoTally: Sendable {
    /// The fields of a result (`schemas/result.v1.json`) the report needs.
    struct Result: Sendable, Decodable {
        struct ServedBy: Sendable, Decodable {
            var provider: String
            var routeIndex: Int
        }

        var jobId: String
        var status: String
        var servedBy: ServedBy?
        var latencyMs: Double
        var costUsd: Double?
    }

    /// The fields of a telemetry event (`schemas/telemetry.v1.json`) the report needs.
    private struct Event: Decodable {
        var event: String
        var provider: String?
        var model: String?
        var outcome: String?
        var decision: String?
        var state: String?
    }

    /// Result messages read (duplicates included).
    private(set) var resultMessages = 0
    /// The first result of each job, by job id.
    private(set) var results: [String: Result] = [:]
    /// Result or telemetry messages that did not decode.
    private(set) var unreadable = 0
    /// Attempts that failed and moved the job to its next route.
    private(set) var failedOver = 0
    /// Routes skipped because their breaker was open (also a fail-over, without a call).
    private(set) var skippedOpenBreaker = 0
    /// Times the primary's breaker opened.
    private(set) var primaryBreakerTrips = 0
    /// The last breaker state of each route (`provider/model`).
    private(set) var breakerStates: [String: String] = [:]

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()

    var duplicates: Int { resultMessages - results.count }
    var failovers: Int { failedOver + skippedOpenBreaker }
    /// Succeeded results served by a route other than the job's first.
    var servedByBackup: Int { results.values.count { $0.status == "succeeded" && ($0.servedBy?.routeIndex ?? 0) > 0 } }
    var servedByPrimary: Int { results.values.count { $0.status == "succeeded" && $0.servedBy?.routeIndex == 0 } }
    var failed: Int { results.values.count { $0.status != "succeeded" } }

    mutating func ingestResult(_ value: [UInt8]) {
        guard let result = try? Self.decoder.decode(Result.self, from: Data(value)) else {
            unreadable += 1
            return
        }
        resultMessages += 1
        if results[result.jobId] == nil { results[result.jobId] = result }
    }

    mutating func ingestTelemetry(_ value: [UInt8]) {
        guard let event = try? Self.decoder.decode(Event.self, from: Data(value)) else {
            unreadable += 1
            return
        }
        switch event.event {
        case "attempt" where event.decision == "fail_over":
            if event.outcome == "circuit_open" { skippedOpenBreaker += 1 } else { failedOver += 1 }
        case "circuit":
            let route = "\(event.provider ?? "?")/\(event.model ?? "?")"
            breakerStates[route] = event.state
            if route == DemoConfig.primaryRoute && event.state == "open" { primaryBreakerTrips += 1 }
        default:
            break
        }
    }
}
