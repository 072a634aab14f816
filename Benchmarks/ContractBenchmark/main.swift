import Completions
// The per-job cost of the contract: decoding a job message and encoding its result and
// telemetry, which the worker pays for every job.
//
//   swift run -c release ContractBenchmark [iterations]
import Failover
import Foundation
import Jobs

let iterations = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 20_000
let config = try UnderstudyConfig.parse(
    yaml: """
        kafka: {bootstrap_servers: "127.0.0.1:9092", topics: {jobs: j, results: r, telemetry: t, dead_letter: d}}
        providers: {primary: {type: extractive}, backup: {type: extractive}}
        workloads:
          support-summaries:
            routes: [{provider: primary, model: m}, {provider: backup, model: m}]
        """,
    environment: [:]
)
let decoder = JobDecoder(config: config)
let ticket = String(repeating: "The invoice export shows the wrong currency for EU customers. ", count: 8)
let job = Array(
    """
    {"id":"ticket-8812","workload":"support-summaries","input":{"system":"Summarize the ticket for a support lead in 3 bullets.","messages":[{"role":"user","content":"\(ticket)"}],"max_tokens":300,"temperature":0},"metadata":{"tenant":"acme"}}
    """.utf8
)

func measure(_ name: String, _ body: () throws -> Void) rethrows {
    let start = ContinuousClock.now
    for _ in 0..<iterations { try body() }
    let elapsed = ContinuousClock.now - start
    let micros = Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12
    print(name.padding(toLength: 34, withPad: " ", startingAt: 0) + String(format: "%8.2f µs", micros / Double(iterations)))
}

print("contract cost per job (\(iterations) iterations; reproduce: swift run -c release ContractBenchmark \(iterations))")
var decoded: Job?
try measure("decode job (\(job.count) bytes)") { decoded = try decoder.decode(job) }
guard let decoded else { fatalError("no job") }
let result = JobResult(
    jobID: decoded.id, workload: decoded.workload,
    status: .succeeded(
        .init(text: String(repeating: "- a summary line\n", count: 5), finishReason: .stop),
        servedBy: .init(provider: "backup", model: "m", routeIndex: 1)),
    attempts: 2, usage: .init(inputTokens: 812, outputTokens: 96), costUSD: 0.003876, latencyMs: 2143, queueMs: 12,
    metadata: decoded.metadata, completedAt: Date()
)
try measure("encode result") { _ = try WireJSON.encodeBytes(result) }
let attempt = TelemetryEvent.attempt(
    .init(
        jobID: decoded.id, workload: decoded.workload, attempt: 1, routeIndex: 0, route: RouteKey(provider: "primary", model: "m"),
        outcome: .overloaded, httpStatus: 529, latencyMs: 312, decision: .failOver, at: Date()
    )
)
try measure("encode attempt event") { _ = try WireJSON.encodeBytes(attempt) }
try measure("encode job event") { _ = try WireJSON.encodeBytes(TelemetryEvent.job(.init(result))) }
