// Engine overhead benchmark (issue 4). Reproduce with:
//   swift run -c release EngineBenchmark                      timings, allocations (if heaptrack is installed), 10,000 jobs
//   swift run -c release EngineBenchmark --allocations N MODE run N jobs of MODE (direct, healthy, open) and exit,
//                                                             for an allocation counter (heaptrack) to run it under
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
/// One id for every timed job, so the job's own construction (a string per id) is not timed.
let benchJob = FailoverJob(id: "job", workload: "bench", request: request, routes: [primary, backup])

func job(_ number: Int, policy: FailoverPolicy = FailoverPolicy()) -> FailoverJob {
    FailoverJob(id: "job-\(number)", workload: "bench", request: request, routes: [primary, backup], policy: policy)
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted[sorted.count / 2]
}

/// Median over `batches` of the mean time per iteration (µs) of `body`.
func measure(batches: Int = 41, perBatch: Int = 2_000, _ body: () async -> Void) async -> Double {
    let clock = ContinuousClock()
    for _ in 0..<perBatch { await body() }
    var samples: [Double] = []
    for _ in 0..<batches {
        let start = clock.now
        for _ in 0..<perBatch { await body() }
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

let direct = InMemoryProvider()
let healthy = FailoverEngine(providers: ["primary": direct, "backup": direct])

/// An engine whose primary's breaker an auth failure has opened: every job skips it and goes to the backup.
func openBreakerEngine() async -> FailoverEngine<ContinuousClock> {
    let engine = FailoverEngine(
        providers: [
            "primary": InMemoryProvider(failure: ProviderFailure(outcome: .authError, httpStatus: 401, message: "bad key")), "backup": direct,
        ],
        configuration: EngineConfiguration(breaker: .init(cooldown: .seconds(3600), maxCooldown: .seconds(3600))))
    _ = await engine.run(job(0))
    return engine
}
let openEngine = await openBreakerEngine()

/// One job of `mode`, the unit the timings and the allocation counts are per.
func runOne(_ mode: String) async {
    switch mode {
    case "direct": _ = try? await direct.complete(request, model: "claude-sonnet-4-5", timeout: .seconds(30))
    case "healthy": _ = await healthy.run(benchJob)
    case "open": _ = await openEngine.run(benchJob)
    default: break
    }
}

// `--allocations N MODE`: 200 warm-up jobs, then N jobs, then exit. Under an allocation counter,
// the difference between N and 0 jobs, divided by N, is allocations per job.
let arguments = CommandLine.arguments
if let flag = arguments.firstIndex(of: "--allocations") {
    let count = arguments.count > flag + 1 ? Int(arguments[flag + 1]) ?? 0 : 0
    let mode = arguments.count > flag + 2 ? arguments[flag + 2] : "healthy"
    await Task.detached {
        for _ in 0..<200 { await runOne(mode) }
        for _ in 0..<count { await runOne(mode) }
    }.value
    exit(0)
}

/// Runs `body` on a task of the global executor (off the main actor), so a timed call is just
/// the call, not two hops between the main thread and the pool.
func offMain(_ body: @escaping @Sendable () async -> Double) async -> Double {
    await Task.detached { await body() }.value
}

print("engine overhead (median of 41 batches x 2,000 sequential jobs, in-memory route answering at once)")
print("  timed on a pool task (no executor hops around each call):")
let directMicros = await offMain { await measure { await runOne("direct") } }
let engineMicros = await offMain { await measure { await runOne("healthy") } }
let openMicros = await offMain { await measure { await runOne("open") } }
print(String(format: "    direct provider call        %8.3f µs/job", directMicros))
print(String(format: "    engine, healthy primary     %8.2f µs/job  (+%.2f µs)", engineMicros, engineMicros - directMicros))
print(String(format: "    engine, primary breaker open%8.2f µs/job  (+%.2f µs)", openMicros, openMicros - directMicros))
print("  timed from the main actor (each call hops to the pool and back, as the first version of this benchmark did):")
let directMain = await measure { await runOne("direct") }
let engineMain = await measure { await runOne("healthy") }
let openMain = await measure { await runOne("open") }
print(String(format: "    direct provider call        %8.2f µs/job", directMain))
print(String(format: "    engine, healthy primary     %8.2f µs/job  (+%.2f µs)", engineMain, engineMain - directMain))
print(String(format: "    engine, primary breaker open%8.2f µs/job  (+%.2f µs)", openMain, openMain - directMain))

/// Heap allocations per job of `mode`, counted by heaptrack over 0 and `jobs` jobs; `nil` without
/// heaptrack. (valgrind 3.19's memcheck, which reports "total heap usage", dies with an internal
/// SIGSEGV on this binary; heaptrack counts every malloc/calloc/realloc/aligned alloc the same way.)
func allocationsPerJob(_ mode: String, jobs: Int = 2_000) -> Double? {
    func run(_ tool: String, _ toolArguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + toolArguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return process.terminationStatus == 0 ? output : nil
    }
    func totalAllocations(_ count: Int) -> Int? {
        let trace = NSTemporaryDirectory() + "engine-allocations-\(mode)-\(count)-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: trace + ".zst") }
        guard run("heaptrack", ["-o", trace, arguments[0], "--allocations", "\(count)", mode]) != nil,
            let report = run("heaptrack_print", ["-s", "0", "-p", "0", "-a", "0", "-T", "0", "-l", "0", "-n", "0", trace + ".zst"])
        else { return nil }
        // "calls to allocation functions: 64203 (72463/s)"
        guard let line = report.split(separator: "\n").first(where: { $0.hasPrefix("calls to allocation functions:") }),
            let field = line.split(separator: ":").last?.split(separator: " ").first
        else { return nil }
        return Int(field)
    }
    guard let base = totalAllocations(0), let loaded = totalAllocations(jobs) else { return nil }
    return Double(loaded - base) / Double(jobs)
}

print("heap allocations per job (heaptrack, 2,000 jobs minus 0 jobs, both after 200 warm-up jobs):")
for mode in ["direct", "healthy", "open"] {
    if let perJob = allocationsPerJob(mode) {
        print(String(format: "  %@ %6.2f allocations/job", mode.padding(toLength: 8, withPad: " ", startingAt: 0), perJob))
    } else {
        print("  \(mode): not measured (heaptrack not found, or its report not understood)")
    }
}
print("  reproduce: heaptrack -o /tmp/a \(arguments[0]) --allocations 2000 healthy && heaptrack_print /tmp/a.zst | grep 'calls to allocation'")
print("             (the same with --allocations 0; subtract and divide by 2,000)")

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
