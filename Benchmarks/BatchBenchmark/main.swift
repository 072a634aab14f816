// Batch lane benchmark: a backlog of jobs with 12-hour deadlines, drained once realtime and once
// through provider batches (the simulator's Message Batches API), by the release-built
// `understudy run` binary against a Tansu broker, all on this machine.
//
//   swift build -c release --product understudy --traits OTLPTracing && swift build -c release --product BatchBenchmark
//   .build/release/BatchBenchmark [--jobs N] [--processing-ms MS]
//
// It reports, per mode: total cost_usd of the results, the cost ratio of batch to realtime
// (target 0.5), the share of jobs whose result came before their deadline (target 100%), the
// time from the worker's start to the last result, and the worker's CPU. The simulator's batch
// processing time stands in for a provider's (most real batches end within an hour; the
// simulator's default here is 20 s, so the run takes a minute, not an hour).
import Completions
import Foundation
import Kafka
import Simulator
import UnderstudyTesting

#if canImport(Glibc)
    import Glibc
#endif

struct Outcome {
    var results = 0
    var costUSD = 0.0
    var batchMode = 0
    var metDeadline = 0
    var drainSeconds = 0.0
    var cpuSeconds = 0.0
    var batches = 0
}

func cpuSeconds(_ pid: Int32) -> Double {
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return 0 }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
    return (user + system) / ticks
}

func run(jobs: Int, batch: Bool, processingMs: Int) async throws -> Outcome {
    let deadlineMs = 43_200_000
    let broker = try await TansuBroker.start()
    // Real (extractive) answers on both paths, so both modes are priced on the same usage.
    let provider = try await SimulatedProvider.start()
    provider.simulator.setBatchScript(BatchScript(processingMs: processingMs))
    var config = TestConfig(bootstrapServers: broker.bootstrapServers)
    config.partitions = 8
    config.providers = ["primary": "{type: anthropic, base_url: \"\(provider.baseURL)\", api_key_env: BENCH_KEY}"]
    config.routes = ["primary/claude-sonnet-4-5"]
    config.policy = "{max_attempts: 4, attempt_timeout_ms: 5000, deadline_ms: \(deadlineMs)}"
    config.limits = "{max_deadline_ms: 86400000}"
    if batch {
        config.batch =
            "{routes: [{provider: primary, model: claude-sonnet-4-5}], flush_after_jobs: 10000, flush_after_ms: 5000, poll_interval_ms: 1000}"
    }
    for topic in [config.topics.jobs, config.topics.results, config.topics.telemetry, config.topics.deadLetter] {
        try await broker.createTopic(topic, partitions: config.partitions)
    }
    try await JobFactory.produce(JobFactory.records(count: jobs, topic: config.topics.jobs), bootstrapServers: broker.bootstrapServers)
    let enqueuedBy = Date()
    let started = ContinuousClock.now
    let worker = try WorkerProcess.start(
        config: config.yaml, environment: ["BENCH_KEY": "bench-key", "UNDERSTUDY_LOG_LEVEL": "warning"], name: batch ? "batch" : "realtime")
    let reader = try KafkaConsumer(
        configuration: Rig.consumerConfiguration(bootstrapServers: broker.bootstrapServers, groupID: Rig.unique("bench")),
        topics: [config.topics.results], logger: Rig.logger)
    var outcome = Outcome()
    var seen = Set<String>()
    var last = ContinuousClock.now
    var iterator = reader.messages.makeAsyncIterator()
    let giveUp = ContinuousClock.now + .seconds(900)
    while seen.count < jobs, ContinuousClock.now < giveUp, let messages = await iterator.nextBatch(max: 4096) {
        for message in messages {
            guard let object = try? JSONParser.parse(message.value), let id = object["job_id"]?.stringValue, seen.insert(id).inserted
            else { continue }
            outcome.costUSD += object["cost_usd"]?.numberValue ?? 0
            if object["mode"]?.stringValue == "batch" { outcome.batchMode += 1 }
            // Every job was enqueued before `enqueuedBy`: completed by then plus its deadline is in time.
            if let text = object["completed_at"]?.stringValue, let completed = try? Date(text, strategy: .iso8601),
                object["status"]?.stringValue == "succeeded", completed.timeIntervalSince(enqueuedBy) * 1_000 < Double(deadlineMs)
            {
                outcome.metDeadline += 1
            }
        }
        last = ContinuousClock.now
    }
    outcome.results = seen.count
    let drain = last - started
    outcome.drainSeconds = Double(drain.components.seconds) + Double(drain.components.attoseconds) / 1e18
    outcome.cpuSeconds = cpuSeconds(worker.process.pid)
    outcome.batches = provider.simulator.batchTally.batches
    await reader.close()
    await worker.process.stop()
    await provider.stop()
    await broker.stop()
    return outcome
}

setenv("UNDERSTUDY_BIN_DIR", RigPaths.packageRoot.appendingPathComponent(".build/release").path, 0)
let arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String, _ fallback: Int, in arguments: [String]) -> Int {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count, let value = Int(arguments[index + 1]) else { return fallback }
    return max(1, value)
}
let jobs = option("--jobs", 20_000, in: arguments)
let processingMs = option("--processing-ms", 20_000, in: arguments)
print("understudy batch benchmark (release build; broker, simulator and worker share this machine)")
print(
    "reproduce: swift build -c release --product understudy --traits OTLPTracing && swift build -c release --product BatchBenchmark && "
        + ".build/release/BatchBenchmark --jobs \(jobs) --processing-ms \(processingMs)")
let realtime = try await run(jobs: jobs, batch: false, processingMs: processingMs)
let batched = try await run(jobs: jobs, batch: true, processingMs: processingMs)
print("mode      jobs    results  mode=batch  batches  cost USD    met deadline  drain s  worker CPU-s")
for (name, m) in [("realtime", realtime), ("batch", batched)] {
    let met = String(format: "%.2f%%", Double(m.metDeadline) / Double(max(1, jobs)) * 100)
    print(
        name.padding(toLength: 10, withPad: " ", startingAt: 0)
            + String(format: "%-8d%-9d%-12d%-9d%-11.4f", jobs, m.results, m.batchMode, m.batches, m.costUSD)
            + met.padding(toLength: 14, withPad: " ", startingAt: 0) + String(format: "%-9.1f%-8.1f", m.drainSeconds, m.cpuSeconds))
}
let ratio = realtime.costUSD > 0 ? batched.costUSD / realtime.costUSD : .nan
print(
    String(
        format: "cost ratio batch/realtime: %.3f (target 0.5); deadlines met in batch mode: %.2f%% (target 100%%)", ratio,
        Double(batched.metDeadline) / Double(max(1, jobs)) * 100))
