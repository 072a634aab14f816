// End-to-end pipeline benchmark: the release-built `understudy run` binary against a Tansu
// broker and in-process provider simulators, all on this machine.
//
//   swift build -c release --product understudy --traits OTLPTracing && swift build -c release --product PipelineBenchmark
//   .build/release/PipelineBenchmark [scenario ...]
//
// Scenarios: instant (providers answer at once), slow (2 s answers, max_in_flight 4000),
// blackhole (primary accepts and never answers, 2 s attempt timeout), overloaded (primary 529),
// and shadow-off / shadow-on: jobs produced at a steady 400 per second while the worker runs
// (not a backlog, so job latency means something), providers answering in 50 ms, without and
// with shadow traffic at rate 0.1 to the backup: shadow mode must leave p50 job latency within
// noise, and publish one shadow event per sampled job. instant-metrics is instant with the status
// server on, so metrics are kept (off otherwise): throughput and CPU within 5% of instant.
// instant-tracing is instant with spans exported over OTLP/HTTP (protobuf) to a local receiver at
// 1% sampling; it needs the binary built with the OTLPTracing trait (the command below does).
// instant-local is instant with shared route health off (it is on by default): the cost of
// sharing when nothing fails. fleet-shared and fleet-local: three workers, 30,000 jobs, the
// primary blackholed after a third of them (2 s attempt timeout, 2 s breaker cooldown), with and
// without shared route health: calls to the dead primary and attempts that timed out.
import Completions
import Foundation
import Kafka
import Simulator
import UnderstudyTesting
import Worker

#if canImport(Glibc)
    import Glibc
#endif

struct Scenario {
    var name: String
    var jobs: Int
    var maxInFlight: Int
    var primary: SimulatorMode
    var attemptTimeoutMs = 5_000
    /// `workloads.support-summaries.shadow`; empty: none.
    var shadow = ""
    /// Jobs per second produced while the worker runs; `nil`: all on the topic before it starts.
    var pacedPerSecond: Int? = nil
    /// Serve `/metrics` (`worker.http_listen` on a free port): metrics are kept only then.
    var metrics = false
    /// `worker.tracing.sample_ratio`, exporting to a local OTLP receiver; `nil`: no tracing.
    var tracingRatio: Double? = nil
    /// Worker processes in the group.
    var workers = 1
    /// `fleet.route_health.enabled` (on by default, as in the product).
    var routeHealth = true
    /// The share of jobs after which the primary is blackholed; `nil`: never.
    var blackholeAt: Double? = nil
    /// The `engine` section; empty: the defaults.
    var engine = ""
    var target: String
}

struct Measurement {
    var jobsPerSecond: Double
    /// From the 10% mark to the last result: the rate once start-up effects (group join, a
    /// breaker that has not opened yet) are over.
    var steadyJobsPerSecond: Double
    var p50: Int
    var p99: Int
    var cpuSecondsPer1000: Double
    var peakRSSMiB: Double
    var fallbacks: Int
    /// Shadow events published, and jobs the sampler picked (shadow scenarios).
    var shadowEvents = 0
    var sampled = 0
    /// The worker's own shadow counts from its closing log line (`shadow.sampled=...`).
    var shadowCounts = ""
    /// OTLP export requests the receiver got (tracing scenarios).
    var exports = 0
    /// Calls the primary got after it was blackholed, and attempts that timed out (fleet scenarios).
    var primaryCallsAfterBlackhole = 0
    var timedOut = 0
}

/// CPU seconds (user + system) and peak RSS of a process, from /proc.
func processUsage(_ pid: Int32) -> (cpu: Double, peakKiB: Double) {
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    var cpu = 0.0
    if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    {
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state is field 3; utime and stime are fields 14 and 15.
        if fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) { cpu = (user + system) / ticks }
    }
    var peak = 0.0
    if let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) {
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            peak = Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
    }
    return (cpu, peak)
}

func percentile(_ sorted: [Int], _ p: Double) -> Int {
    guard !sorted.isEmpty else { return 0 }
    return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p))]
}

func run(_ scenario: Scenario) async throws -> Measurement {
    let broker = try await TansuBroker.start()
    // Canned answers: the simulators neither parse nor summarize, so the run measures the worker.
    let primary = try await SimulatedProvider.start(mode: scenario.primary, cannedAnswers: true)
    let backup = try await SimulatedProvider.start(mode: SimulatorMode(latency: scenario.primary.latency), cannedAnswers: true)
    defer { _ = (broker, primary, backup) }
    var config = TestConfig(bootstrapServers: broker.bootstrapServers)
    config.partitions = 8
    config.maxInFlight = scenario.maxInFlight
    config.providers = [
        "primary": "{type: anthropic, base_url: \"\(primary.baseURL)\", api_key_env: BENCH_KEY}",
        "backup": "{type: anthropic, base_url: \"\(backup.baseURL)\", api_key_env: BENCH_KEY}",
    ]
    config.routes = ["primary/claude-sonnet-4-5", "backup/claude-sonnet-4-5"]
    config.policy = "{max_attempts: 4, attempt_timeout_ms: \(scenario.attemptTimeoutMs), deadline_ms: 120000}"
    config.shadow = scenario.shadow
    if scenario.metrics { config.httpListen = "127.0.0.1:0" }
    if !scenario.routeHealth { config.fleet = "{route_health: {enabled: false}}" }
    config.engine = scenario.engine
    var receiver: OTLPReceiver?
    if let ratio = scenario.tracingRatio {
        let started = try await OTLPReceiver.start()
        receiver = started
        config.tracing = "{endpoint: \"\(started.tracesURL)\", sample_ratio: \(ratio)}"
    }
    for topic in [config.topics.jobs, config.topics.results, config.topics.telemetry, config.topics.deadLetter] {
        try await broker.createTopic(topic, partitions: config.partitions)
    }
    let records = JobFactory.records(count: scenario.jobs, topic: config.topics.jobs)
    var pacer: Task<Void, any Error>?
    if scenario.pacedPerSecond == nil {
        // Jobs are on the topic before the worker starts, so the run measures the worker alone.
        try await JobFactory.produce(records, bootstrapServers: broker.bootstrapServers)
    }
    // Shadow scenarios log at info, both of them alike, for the worker's closing shadow counts.
    let level = scenario.name.hasPrefix("shadow") ? "info" : "warning"
    var workers: [WorkerProcess] = []
    for index in 0..<max(1, scenario.workers) {
        workers.append(
            try WorkerProcess.start(
                config: config.yaml, environment: ["BENCH_KEY": "bench-key", "UNDERSTUDY_LOG_LEVEL": level], name: "worker\(index)"))
    }
    let worker = workers[0]
    var blackholedAt: Int?
    if let rate = scenario.pacedPerSecond {
        let bootstrap = broker.bootstrapServers
        pacer = Task { try await produce(records, perSecond: rate, bootstrapServers: bootstrap) }
    }
    let reader = try KafkaConsumer(
        configuration: Rig.consumerConfiguration(bootstrapServers: broker.bootstrapServers, groupID: Rig.unique("bench")),
        topics: [config.topics.results], logger: Rig.logger
    )
    var seen = Set<String>()
    var arrivals: [ContinuousClock.Instant] = []
    var latencies: [Int] = []
    var fallbacks = 0
    var first: ContinuousClock.Instant?
    var last = ContinuousClock.now
    var iterator = reader.messages.makeAsyncIterator()
    let deadline = ContinuousClock.now + .seconds(600)
    while seen.count < scenario.jobs, ContinuousClock.now < deadline, let batch = await iterator.nextBatch(max: 4096) {
        if first == nil { first = ContinuousClock.now }
        for message in batch {
            guard let object = try? JSONParser.parse(message.value), let id = object["job_id"]?.stringValue else { continue }
            if seen.insert(id).inserted {
                if let share = scenario.blackholeAt, blackholedAt == nil, Double(seen.count) >= share * Double(scenario.jobs) {
                    primary.setMode(SimulatorMode(fault: .blackhole))
                    blackholedAt = primary.requests
                }
                arrivals.append(ContinuousClock.now)
                latencies.append(object["latency_ms"]?.intValue ?? 0)
                if object["fallback_used"] == .bool(true) { fallbacks += 1 }
            }
        }
        last = ContinuousClock.now
    }
    var usage = (cpu: 0.0, peakKiB: 0.0)
    for one in workers {
        let each = processUsage(one.process.pid)
        usage.cpu += each.cpu
        usage.peakKiB = max(usage.peakKiB, each.peakKiB)
    }
    let primaryCallsAfterBlackhole = blackholedAt.map { primary.requests - $0 } ?? 0
    var timedOut = 0
    if scenario.blackholeAt != nil {
        let telemetry = try await TopicReader.read(config.topics.telemetry, bootstrapServers: broker.bootstrapServers, idle: .seconds(3))
        // Attempts that waited out the attempt timeout; a call the fleet's hold cut short
        // ("cut short" in its message) failed over at once and is not counted.
        timedOut = telemetry.count {
            guard $0.value.starts(with: Array(#"{"event":"attempt""#.utf8)) else { return false }
            let text = String(decoding: $0.value, as: UTF8.self)
            return text.contains(#""outcome":"timeout""#) && !text.contains("cut short")
        }
    }
    await reader.close()
    try await pacer?.value
    var shadowEvents = 0
    var sampled = 0
    if !scenario.shadow.isEmpty {
        let telemetry = try await TopicReader.read(config.topics.telemetry, bootstrapServers: broker.bootstrapServers, idle: .seconds(3))
        shadowEvents = telemetry.count { $0.value.starts(with: Array(#"{"event":"shadow""#.utf8)) }
        sampled = (0..<scenario.jobs).count { ShadowSampler.isSampled("job-\($0)", rate: 0.1) }
    }
    for one in workers { await one.process.stop() }
    let exports = receiver?.requests ?? 0
    await receiver?.stop()
    await primary.stop()
    await backup.stop()
    await broker.stop()
    var shadowCounts = ""
    if !scenario.shadow.isEmpty, let line = worker.process.output().split(separator: "\n").last(where: { $0.contains("worker stopped") }) {
        shadowCounts = line.split(separator: " ").filter { $0.hasPrefix("shadow.") }.joined(separator: " ")
    }

    // Throughput from the first result to the last (the group join is not the worker's speed).
    let seconds = Double((last - (first ?? last)).components.attoseconds) / 1e18 + Double((last - (first ?? last)).components.seconds)
    latencies.sort()
    var steady = 0.0
    if arrivals.count > 10 {
        let start = arrivals[arrivals.count / 10]
        let span = arrivals[arrivals.count - 1] - start
        steady =
            Double(arrivals.count - arrivals.count / 10) / max(0.001, Double(span.components.seconds) + Double(span.components.attoseconds) / 1e18)
    }
    return Measurement(
        jobsPerSecond: Double(seen.count) / max(seconds, 0.001), steadyJobsPerSecond: steady, p50: percentile(latencies, 0.5),
        p99: percentile(latencies, 0.99),
        cpuSecondsPer1000: usage.cpu / Double(max(1, seen.count)) * 1000, peakRSSMiB: usage.peakKiB / 1024, fallbacks: fallbacks,
        shadowEvents: shadowEvents, sampled: sampled, shadowCounts: shadowCounts, exports: exports,
        primaryCallsAfterBlackhole: primaryCallsAfterBlackhole, timedOut: timedOut
    )
}

/// Produces `records` at `perSecond`, in a slice every 10 ms on a fixed schedule.
func produce(_ records: [KafkaRecord], perSecond: Int, bootstrapServers: String) async throws {
    let producer = try KafkaProducer(
        configuration: KafkaProducerConfiguration(common: KafkaConfiguration(bootstrapServers: bootstrapServers)), logger: Rig.logger)
    let perTick = max(1, perSecond / 100)
    let start = ContinuousClock.now
    var sent = 0
    var tick = 0
    while sent < records.count {
        let slice = Array(records[sent..<min(records.count, sent + perTick)])
        for result in await producer.send(slice) { _ = try result.get() }
        sent += slice.count
        tick += 1
        try await Task.sleep(until: start + .milliseconds(10 * tick))
    }
    await producer.close(timeout: .seconds(10))
}

setenv("UNDERSTUDY_BIN_DIR", RigPaths.packageRoot.appendingPathComponent(".build/release").path, 0)  // an A/B passes its own
let all: [String: Scenario] = [
    "instant": Scenario(name: "instant", jobs: 50_000, maxInFlight: 256, primary: .healthy, target: "≥ 5,000 jobs/s, ≤ 0.15 CPU-s per 1,000 jobs"),
    "slow": Scenario(
        name: "slow", jobs: 40_000, maxInFlight: 4_000, primary: SimulatorMode(latency: .init(ms: 2_000)),
        target: "≥ 1,800 jobs/s, peak RSS < 512 MiB"),
    "blackhole": Scenario(
        name: "blackhole", jobs: 20_000, maxInFlight: 256, primary: SimulatorMode(fault: .blackhole), attemptTimeoutMs: 2_000,
        target: "≥ 80% of instant"),
    "overloaded": Scenario(name: "overloaded", jobs: 20_000, maxInFlight: 256, primary: .error(529), target: "≥ 90% of instant"),
    "instant-metrics": Scenario(
        name: "instant-metrics", jobs: 50_000, maxInFlight: 256, primary: .healthy, metrics: true,
        target: "within 5% of instant (metrics off)"),
    "instant-local": Scenario(
        name: "instant-local", jobs: 50_000, maxInFlight: 256, primary: .healthy, routeHealth: false,
        target: "the baseline of instant (route health shared, the default): within noise"),
    "fleet-shared": Scenario(
        name: "fleet-shared", jobs: 30_000, maxInFlight: 256, primary: .healthy, attemptTimeoutMs: 2_000, workers: 3, blackholeAt: 1.0 / 3,
        engine: "{breaker_cooldown_ms: 2000, breaker_max_cooldown_ms: 2000}",
        target: "fewer primary calls and timeouts than fleet-local"),
    "fleet-local": Scenario(
        name: "fleet-local", jobs: 30_000, maxInFlight: 256, primary: .healthy, attemptTimeoutMs: 2_000, workers: 3, routeHealth: false,
        blackholeAt: 1.0 / 3, engine: "{breaker_cooldown_ms: 2000, breaker_max_cooldown_ms: 2000}",
        target: "the baseline of fleet-shared"),
    "instant-tracing": Scenario(
        name: "instant-tracing", jobs: 50_000, maxInFlight: 256, primary: .healthy, tracingRatio: 0.01,
        target: "within 5% of instant (no tracing)"),
    "shadow-off": Scenario(
        name: "shadow-off", jobs: 8_000, maxInFlight: 256, primary: SimulatorMode(latency: .init(ms: 50)), pacedPerSecond: 400,
        target: "the baseline of shadow-on"),
    "shadow-on": Scenario(
        name: "shadow-on", jobs: 8_000, maxInFlight: 256, primary: SimulatorMode(latency: .init(ms: 50)),
        shadow: "{sample_rate: 0.1, max_in_flight: 64}", pacedPerSecond: 400,
        target: "p50 within noise of shadow-off; shadow events = sampled jobs"),
]
// Arguments: scenario names (default: all four), and `--rounds N` (default 3). Each scenario runs
// N times; the table shows the round with the median steady rate, and every round's steady rate.
// One run varies by a fifth on this shared 2-core machine, so a single run cannot say whether a
// ratio target was met.
var arguments = Array(CommandLine.arguments.dropFirst())
var rounds = 3
if let flag = arguments.firstIndex(of: "--rounds"), flag + 1 < arguments.count, let value = Int(arguments[flag + 1]) {
    rounds = max(1, value)
    arguments.removeSubrange(flag...(flag + 1))
}
let requested = arguments.isEmpty ? ["instant", "slow", "blackhole", "overloaded"] : arguments
print("understudy pipeline benchmark (release build; broker, providers and worker share this machine; \(rounds) rounds per scenario, median shown)")
print(
    "reproduce: swift build -c release --product understudy --traits OTLPTracing && swift build -c release --product PipelineBenchmark && .build/release/PipelineBenchmark \(requested.joined(separator: " ")) --rounds \(rounds)"
)
print("scenario    jobs    in-flight  jobs/s    steady/s  p50 ms  p99 ms  CPU-s/1000  peak RSS MiB  via backup  target")
var instantRate: Double?
for name in requested {
    guard let scenario = all[name] else {
        print("unknown scenario \(name)")
        continue
    }
    var measurements: [Measurement] = []
    for _ in 0..<rounds { measurements.append(try await run(scenario)) }
    // Paced runs: the round with the median p50 latency (their rate is the producer's).
    if scenario.pacedPerSecond != nil {
        measurements.sort { $0.p50 < $1.p50 }
    } else {
        measurements.sort { $0.steadyJobsPerSecond < $1.steadyJobsPerSecond }
    }
    let m = measurements[measurements.count / 2]
    if name == "instant" { instantRate = m.steadyJobsPerSecond }
    var target = scenario.target
    if let instantRate, ["blackhole", "overloaded", "instant-metrics", "instant-tracing", "instant-local"].contains(name) {
        target += String(format: " (steady: %.0f%%)", m.steadyJobsPerSecond / instantRate * 100)
    }
    print(
        name.padding(toLength: 12, withPad: " ", startingAt: 0)
            + String(
                format: "%-8d%-11d%-10.0f%-10.0f%-8d%-8d%-12.3f%-14.1f%-12d", scenario.jobs, scenario.maxInFlight, m.jobsPerSecond,
                m.steadyJobsPerSecond, m.p50, m.p99, m.cpuSecondsPer1000, m.peakRSSMiB, m.fallbacks)
            + target
    )
    print(
        "            rounds, steady jobs/s: " + measurements.map { String(format: "%.0f", $0.steadyJobsPerSecond) }.joined(separator: ", ")
            + "; CPU-s/1000: " + measurements.map { String(format: "%.3f", $0.cpuSecondsPer1000) }.joined(separator: ", ")
            + "; p50 ms: " + measurements.map { "\($0.p50)" }.joined(separator: ", "))
    if scenario.blackholeAt != nil {
        print(
            "            primary calls after the blackhole per round: "
                + measurements.map { "\($0.primaryCallsAfterBlackhole)" }.joined(separator: ", ")
                + "; attempts timed out: " + measurements.map { "\($0.timedOut)" }.joined(separator: ", "))
    }
    if scenario.tracingRatio != nil {
        print("            OTLP export requests per round: " + measurements.map { "\($0.exports)" }.joined(separator: ", "))
    }
    if !scenario.shadow.isEmpty {
        // The sampler picks a fixed set of ids; over 8,000 jobs at 0.1 its size is binomial with
        // mean 800 and standard deviation 26.8 (4 sigma: 693 to 907).
        let bound = 4 * (Double(scenario.jobs) * 0.1 * 0.9).squareRoot()
        let inBounds = abs(Double(m.sampled) - Double(scenario.jobs) * 0.1) <= bound
        print(
            "            shadow events per round: " + measurements.map { "\($0.shadowEvents)" }.joined(separator: ", ")
                + "; jobs sampled: \(m.sampled) (binomial 4σ bounds \(Int(Double(scenario.jobs) * 0.1 - bound))...\(Int(Double(scenario.jobs) * 0.1 + bound)): "
                + (inBounds ? "within" : "OUTSIDE") + ")")
        print("            worker's counts per round: " + measurements.map(\.shadowCounts).joined(separator: " | "))
    }
}
