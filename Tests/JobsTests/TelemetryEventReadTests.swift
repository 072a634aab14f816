import Completions
import Failover
import Foundation
import Jobs
import Testing

@Suite struct TelemetryEventReadTests {
    private let at = Date(timeIntervalSince1970: 1_795_557_601.25)
    private let route = RouteKey(provider: "claude-direct", model: "claude-sonnet-4-5")

    @Test func roundTripsEveryKind() throws {
        let events: [TelemetryEvent] = [
            .attempt(
                TelemetryEvent.Attempt(
                    jobID: "job-1", workload: "summaries", attempt: 2, routeIndex: 1, route: route, outcome: .rateLimited, httpStatus: 429,
                    latencyMs: 412, retryAfterMs: 1_500, decision: .retry, at: at, costUSD: 0.000125,
                    usage: CompletionResponse.Usage(inputTokens: 1_200, outputTokens: 0), providerType: "anthropic",
                    providerErrorType: "rate_limit_error", errorMessage: "slow down \"please\"\n")),
            .attempt(
                TelemetryEvent.Attempt(
                    jobID: "job-2", workload: "w", attempt: 1, routeIndex: 0, route: route, outcome: .circuitOpen, latencyMs: 0,
                    decision: .failOver, at: at)),
            .job(
                TelemetryEvent.JobFinished(
                    jobID: "job-1", workload: "summaries", succeeded: true,
                    servedBy: JobResult.ServedBy(provider: "claude-azure", model: "claude-sonnet-4-5", routeIndex: 1), attempts: 2,
                    latencyMs: 2_300, costUSD: 0.0042, at: at, queueMs: 17)),
            .job(
                TelemetryEvent.JobFinished(
                    jobID: "job-3", workload: "summaries", succeeded: false, servedBy: nil, attempts: 4, latencyMs: 60_000, costUSD: 0,
                    at: at, errorClass: .attemptsExhausted)),
            .circuit(TelemetryEvent.Circuit(route: route, state: .open, at: at, cooldownMs: 5_000, worker: "pod-0-3f2a")),
            .circuit(TelemetryEvent.Circuit(route: route, state: .halfOpen, at: at)),
            .shadow(
                TelemetryEvent.Shadow(
                    jobID: "job-4", workload: "summaries",
                    primary: TelemetryEvent.Shadow.Side(route: route, outcome: .ok, latencyMs: 900, costUSD: 0.002),
                    backup: TelemetryEvent.Shadow.Side(
                        route: RouteKey(provider: "claude-azure", model: "claude-sonnet-4-5"), outcome: .timeout, latencyMs: 30_000, costUSD: nil),
                    measure: nil, at: at)),
        ]
        for event in events {
            let bytes = try event.jsonDocument()
            #expect(TelemetryEvent.read(bytes) == event, "\(String(decoding: bytes, as: UTF8.self))")
        }
    }

    @Test func refusesWhatTheSchemaDoesNot() {
        let base = #"{"event":"attempt","job_id":"j","workload":"w","attempt":1,"route_index":0,"provider":"p","model":"m","outcome":"ok","#
        let tail = #""decision":"done","at":"2026-11-24T22:00:01.000Z"}"#
        let valid = base + #""http_status":200,"latency_ms":5,"retry_after_ms":null,"# + tail
        #expect(TelemetryEvent.read(Array(valid.utf8)) != nil)
        let refused = [
            base.replacingOccurrences(of: #""attempt":1"#, with: #""attempt":0"#) + #""http_status":200,"latency_ms":5,"# + tail,
            base.replacingOccurrences(of: #""route_index":0"#, with: #""route_index":-1"#) + #""latency_ms":5,"# + tail,
            base.replacingOccurrences(of: #""outcome":"ok""#, with: #""outcome":"fine""#) + #""latency_ms":5,"# + tail,
            base + #""http_status":600,"latency_ms":5,"# + tail,
            base + #""http_status":"200","latency_ms":5,"# + tail,
            base + #""latency_ms":-5,"# + tail,
            base + #""latency_ms":1e300,"# + tail,
            base + #""latency_ms":5.5,"# + tail,
            base + #""latency_ms":5,"retry_after_ms":-1,"# + tail,
            base + #""latency_ms":5,"usage":{"input_tokens":-1,"output_tokens":0},"# + tail,
            base + #""latency_ms":5,"cost_usd":"free","# + tail,
            base + #""latency_ms":5,"# + tail.replacingOccurrences(of: "2026-11-24T22:00:01.000Z", with: "yesterday"),
            base + #""latency_ms":5,"# + tail.replacingOccurrences(of: #""done""#, with: #""shrug""#),
            #"{"event":"job","job_id":"j","workload":"w","status":"maybe","served_by":null,"attempts":1,"latency_ms":1,"cost_usd":0,"at":"2026-11-24T22:00:01Z"}"#,
            #"{"event":"job","job_id":"j","workload":"w","status":"failed","served_by":{"provider":"p"},"attempts":1,"latency_ms":1,"cost_usd":0,"at":"2026-11-24T22:00:01Z"}"#,
            #"{"event":"job","job_id":"j","workload":"w","status":"failed","served_by":null,"attempts":1,"latency_ms":1,"at":"2026-11-24T22:00:01Z"}"#,
            #"{"event":"circuit","provider":"p","model":"m","state":"ajar","at":"2026-11-24T22:00:01Z"}"#,
            #"{"event":"circuit","provider":"p","model":"m","state":"open","at":"2026-11-24T22:00:01Z","cooldown_ms":-1}"#,
            #"{"event":"shadow"}"#, #"{"event":"unknown"}"#, #"{"event":7}"#, "[]", "null", "", "{", #"{"event":"attempt"}"#,
        ]
        for text in refused { #expect(TelemetryEvent.read(Array(text.utf8)) == nil, "\(text)") }
        #expect(TelemetryEvent.read([0xFF, 0xFE]) == nil)
        #expect(TelemetryEvent.read(Array(repeating: UInt8(ascii: "["), count: 100_000)) == nil)
    }

    @Test func readsUnknownCostsLeniently() throws {
        let attempt =
            #"{"event":"attempt","job_id":"j","workload":"w","attempt":1,"route_index":0,"provider":"p","model":"m","outcome":"ok","latency_ms":5,"decision":"done","at":"2026-11-24T22:00:01Z","cost_usd":-2}"#
        guard case .attempt(let read) = try #require(TelemetryEvent.read(Array(attempt.utf8))) else {
            Issue.record("not an attempt")
            return
        }
        #expect(read.costUSD == nil)
        #expect(read.httpStatus == nil)
        let job =
            #"{"event":"job","job_id":"j","workload":"w","status":"succeeded","served_by":{"provider":"p","model":"m","route_index":0},"attempts":1,"latency_ms":1,"cost_usd":-1,"at":"2026-11-24T22:00:01Z"}"#
        guard case .job(let finished) = try #require(TelemetryEvent.read(Array(job.utf8))) else {
            Issue.record("not a job")
            return
        }
        #expect(finished.costUSD == 0)
        #expect(finished.servedBy?.routeIndex == 0)
    }
}
