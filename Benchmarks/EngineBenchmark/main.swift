// Engine overhead benchmark (issue 4). Reproduce with:
//   swift run -c release EngineBenchmark
// (from a package that has the `EngineBenchmark` executable target over Benchmarks/EngineBenchmark).
import Completions
import Failover
import Foundation

/// A route that answers at once from memory, or after `latency` on the real clock.
struct InMemoryProvider: CompletionProvider {
    let kind = "in-memory"
    var latency: Duration = .zero
    var failure: ProviderFailure?
    let response = CompletionResponse(text: "a summary", finishReason: .stop, usage: .init(inputTokens: 120, outputTokens: 30))

    func complete(_ request: CompletionRequest, model: String, timeout: Duration) async throws -> CompletionResponse {
        if latency > .zero { try await Task.sleep(for: latency) }
        if let failure { throw failure }
        return response
    }
}

let request = CompletionRequest(messages: [.init(role: .user, content: "Summarise the ticket.")])
let primary = RouteTarget(provider: "primary", model: "claude-sonnet-4-5", index: 0)
let backup = RouteTarget(provider: "backup", model: "gpt-4o", index: 1)

func job(_ number: Int, policy: FailoverPolicy = FailoverPolicy()) -> FailoverJob {
    FailoverJob(id: "job-\(number)", workload: "bench", request: request, routes: [primary, backup], policy: policy)
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted[sorted.count / 2]
}

/// Median over `batches` of the mean time per iteration (µs) of `body`.
func measure(batches: Int = 41, perBatch: Int = 2_000, _ body: (Int) async -> Void) async -> Double {
    let clock = ContinuousClock()
    for warmup in 0..<perBatch { await body(warmup) }
    var samples: [Double] = []
    for batch in 0..<batches {
        let start = clock.now
        for iteration in 0..<perBatch { await body(batch * perBatch + iteration) }
        samples.append(start.duration(to: clock.now).seconds * 1e6 / Double(perBatch))
    }
    return median(samples)
}

func peakRSSKiB() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
    }
    return -1
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

let direct = InMemoryProvider()
let healthy = FailoverEngine(providers: ["primary": direct, "backup": direct])

let directMicros = await measure { _ in _ = try? await direct.complete(request, model: "claude-sonnet-4-5", timeout: .seconds(30)) }
let engineMicros = await measure { number in _ = await healthy.run(job(number)) }

// The primary's breaker opened by an auth failure: every job skips it and goes to the backup.
let openEngine = FailoverEngine(
    providers: ["primary": InMemoryProvider(failure: ProviderFailure(outcome: .authError, httpStatus: 401, message: "bad key")), "backup": direct],
    configuration: EngineConfiguration(breaker: .init(cooldown: .seconds(3600), maxCooldown: .seconds(3600))))
_ = await openEngine.run(job(0))
let openMicros = await measure { number in _ = await openEngine.run(job(number)) }

print("engine overhead (median of 41 batches x 2,000 sequential jobs, in-memory route answering at once)")
print(String(format: "  direct provider call        %8.2f µs/job", directMicros))
print(String(format: "  engine, healthy primary     %8.2f µs/job  (+%.2f µs)", engineMicros, engineMicros - directMicros))
print(String(format: "  engine, primary breaker open%8.2f µs/job  (+%.2f µs)", openMicros, openMicros - directMicros))
print("  allocations per job: not measured (glibc 2.36 has no malloc hooks; mallinfo2 reports bytes in use, not counts)")

// 10,000 concurrent jobs, 2 s route latency, real clock.
let slowEngine = FailoverEngine(providers: ["primary": InMemoryProvider(latency: .seconds(2)), "backup": direct])
let rssBefore = peakRSSKiB()
let clock = ContinuousClock()
let start = clock.now
let succeeded = await withTaskGroup(of: Bool.self) { group in
    for number in 0..<10_000 { group.addTask { await slowEngine.run(job(number)).status == .succeeded } }
    var count = 0
    for await ok in group where ok { count += 1 }
    return count
}
let elapsed = start.duration(to: clock.now)
print("10,000 concurrent jobs, 2 s route latency")
print(String(format: "  succeeded %d, wall %.2f s, peak RSS %d KiB (before the run %d KiB)", succeeded, elapsed.seconds, peakRSSKiB(), rssBefore))
print("reproduce: swift run -c release EngineBenchmark")
