import ArgumentParser
import Comparison
import Completions
import Failover
import Foundation
import Jobs
import Kafka
import Logging
import Worker

/// `understudy compare --config FILE --workload NAME --sample JOBS.jsonl [--out DIR] [--routes a,b]`:
/// runs every sample job on each approved route of the workload (the primary and every backup,
/// or those `--routes` names), through the same adapters, pricing and output checks as the worker,
/// with no failover inside a comparison: each job runs on one route at a time, and a failure is
/// recorded by its outcome class. Writes `report.json`, `report.md` and `report.html` to `--out`, and exits
/// non-zero when a backup breaches one of the workload's `validation` thresholds, naming the route
/// and the criteria on its last line, so it can gate a deploy.
///
/// Concurrency is bounded (`--concurrency` jobs at once, and each provider's `max_concurrency`
/// through the engine), and the engine's breakers and Retry-After handling apply, so a comparison
/// never becomes an outage of its own. Ctrl-C (or SIGTERM) stops it and writes a report of what
/// finished, marked partial.
///
/// `--from-telemetry [--since 24h]` builds the same report from the `shadow` events the workers
/// published (``ShadowEvidence``), reading the telemetry topic to its end, so the live comparison
/// and the offline one read alike.
struct CompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Run sample jobs on every approved route of a workload and judge each backup against the primary."
    )

    /// The most sample jobs one comparison reads.
    static let maxJobs = 100_000
    /// The largest sample file read (it is read whole).
    static let maxSampleBytes = 1 << 30

    @Option(name: .long, help: "The YAML config file.")
    var config: String

    @Option(name: .long, help: "The workload whose routes to compare.")
    var workload: String

    @Option(name: .long, help: "Sample jobs, one JSON object per line (what `enqueue` reads).")
    var sample: String?

    @Flag(name: .long, help: "Judge the shadow events on the telemetry topic instead of running a sample.")
    var fromTelemetry = false

    @Option(name: .long, help: "With --from-telemetry: how far back to look (30m, 24h, 7d; at most 365d).")
    var since: String = "24h"

    @Option(name: .long, help: "With --from-telemetry: stop reading after this many seconds without a new message (0.1 to 3600).")
    var idleSeconds: Double = 5

    @Option(name: .long, help: "Where to write report.json and report.md.")
    var out: String = "compare-report"

    @Option(name: .long, help: "Only these backups (comma-separated provider/model or provider names); the primary always runs.")
    var routes: String?

    @Option(name: .long, help: "Jobs compared at once (1 to 1024).")
    var concurrency: Int = 16

    func run() async throws {
        let logger = CommandSupport.bootstrapLogging(level: "error")
        let config = try CommandSupport.loadConfig(self.config)
        guard let workload = config.workloads[self.workload] else {
            CommandSupport.printError(
                "--workload: \(self.workload) is not a workload of the config (it has \(config.workloads.keys.sorted().joined(separator: ", ")))")
            throw ExitCode(2)
        }
        guard (1...1024).contains(concurrency) else {
            CommandSupport.printError("--concurrency: expected 1 to 1024, got \(concurrency)")
            throw ExitCode(2)
        }
        let report: ComparisonReport
        switch (sample, fromTelemetry) {
        case (.some(let sample), false):
            report = try await compareSample(sample, config: config, workload: workload, logger: logger)
        case (.none, true):
            report = try await compareTelemetry(config: config, workload: workload, logger: logger)
        default:
            CommandSupport.printError("give either --sample FILE or --from-telemetry")
            throw ExitCode(2)
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try Data(report.json()).write(to: URL(fileURLWithPath: out).appendingPathComponent("report.json"))
        try Data(report.markdown().utf8).write(to: URL(fileURLWithPath: out).appendingPathComponent("report.md"))
        try Data(report.html().utf8).write(to: URL(fileURLWithPath: out).appendingPathComponent("report.html"))
        print("wrote \(out)/report.json, report.md and report.html")
        print(report.lastLine)
        if !report.passed { throw ExitCode(1) }
    }

    /// Runs the sample's jobs on every selected route.
    private func compareSample(
        _ sample: String, config: UnderstudyConfig, workload: WorkloadConfig, logger: Logger
    ) async throws -> ComparisonReport {
        let routes = try selectedRoutes(of: workload, candidates: Array(workload.routes.dropFirst()))
        let jobs = try readSample(sample, config: config, workload: workload.name)

        let catalog = try ProviderCatalog(config: config, environment: ProcessInfo.processInfo.environment, logger: logger)
        let engine = FailoverEngine(providers: catalog.providers, configuration: config.engineConfiguration, clock: ContinuousClock())
        let run = ComparisonRun(
            engine: engine, workload: workload.name, routes: routes, jobs: jobs, concurrency: concurrency, judge: workload.judge)
        print(
            "comparing \(routes.count - 1) backup(s) of \(workload.name) with \(routes[0]) on \(jobs.count) jobs"
                + (workload.judge.map { ", judged by \($0)" } ?? ""))
        let interrupted = await run.untilDoneOrInterrupted()
        await catalog.shutdown()

        if run.judgeFailures > 0 {
            CommandSupport.printError(
                "validation.judge: \(run.judgeFailures) pair(s) got no usable verdict from \(workload.judge?.description ?? "the judge")")
        }
        let jsonJobs = Set(jobs.filter(\.request.responseFormat.isJSON).map(\.id))
        return ComparisonReport(
            workload: workload.name, thresholds: workload.validation, routes: routes.map { ($0.provider, $0.model) },
            samples: run.samples, jsonJobs: jsonJobs, jobs: run.finishedJobs, partial: interrupted,
            judge: workload.judge?.description, judgements: run.judgements
        )
    }

    /// Reads the telemetry topic to its end and judges the workload's shadow events since `--since`.
    private func compareTelemetry(config: UnderstudyConfig, workload: WorkloadConfig, logger: Logger) async throws -> ComparisonReport {
        guard let window = CommandSupport.duration(since) else {
            CommandSupport.printError("--since: expected a whole number and a unit (30m, 24h, 7d) of at most 365d, got \(since)")
            throw ExitCode(2)
        }
        guard (0.1...3_600).contains(idleSeconds) else {
            CommandSupport.printError("--idle-seconds: expected 0.1 to 3600, got \(idleSeconds)")
            throw ExitCode(2)
        }
        let candidates = workload.shadow?.routes ?? Array(workload.routes.dropFirst())
        let routes = try selectedRoutes(of: workload, candidates: candidates)
        let cutoff = Date().addingTimeInterval(-window.seconds)
        var evidence = ShadowEvidence(workload: workload.name, primary: routes[0], backups: Array(routes.dropFirst()), since: cutoff)

        var settings = WorkerKafkaSettings(config: config).consumer
        settings.groupID = "\(config.kafka.groupID).compare.\(UUID().uuidString.lowercased())"
        settings.autoOffsetReset = "earliest"
        let consumer = try KafkaConsumer(configuration: settings, topics: [config.kafka.topics.telemetry], logger: logger)
        print("reading shadow events of \(workload.name) since \(RFC3339.string(from: cutoff)) from \(config.kafka.topics.telemetry)")
        let scan = TopicScan(consumer: consumer, idle: .milliseconds((idleSeconds * 1000).rounded()))
        let prefix = Array(#"{"event":"shadow""#.utf8)
        var read = 0
        while let batch = await scan.nextBatch(max: 5_000) {
            read += batch.count
            for message in batch where message.value.starts(with: prefix) {
                if let event = TelemetryEvent.Shadow.read(message.value) { evidence.add(event) }
            }
        }
        await consumer.close()
        print("read \(read) telemetry messages: \(evidence.counted) shadow events of \(evidence.jobs) jobs (\(evidence.leftOut) left out)")
        guard evidence.jobs > 0 else {
            CommandSupport.printError(
                "--from-telemetry: no shadow event of \(workload.name) served by \(routes[0]) since \(RFC3339.string(from: cutoff)); "
                    + "is workloads.\(workload.name).shadow set on the workers?")
            throw ExitCode(2)
        }
        return evidence.report(thresholds: workload.validation)
    }

    /// The workload's primary and the backups (among `candidates`) to compare with it.
    private func selectedRoutes(of workload: WorkloadConfig, candidates backups: [RouteKey]) throws -> [RouteKey] {
        guard !backups.isEmpty else {
            CommandSupport.printError("workloads.\(workload.name).routes: only one route; there is no backup to compare")
            throw ExitCode(2)
        }
        guard let filter = routes else { return [workload.routes[0]] + backups }
        let wanted = filter.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for name in wanted where !backups.contains(where: { $0.description == name || $0.provider == name }) {
            CommandSupport.printError(
                "--routes: \(name) is not a backup of workload \(workload.name) (its backups: \(backups.map(\.description).joined(separator: ", ")))")
            throw ExitCode(2)
        }
        let chosen = backups.filter { wanted.contains($0.description) || wanted.contains($0.provider) }
        return [workload.routes[0]] + chosen
    }

    /// The sample's jobs of this workload; a line that is not a valid job of it is reported by
    /// its line number and left out.
    private func readSample(_ sample: String, config: UnderstudyConfig, workload: String) throws -> [Job] {
        let size = (try? FileManager.default.attributesOfItem(atPath: sample))?[.size] as? Int
        if let size, size > Self.maxSampleBytes {
            CommandSupport.printError("--sample: \(sample) is \(size) bytes; at most \(Self.maxSampleBytes) are read (split it)")
            throw ExitCode(2)
        }
        guard let data = FileManager.default.contents(atPath: sample) else {
            CommandSupport.printError("--sample: cannot read \(sample)")
            throw ExitCode(2)
        }
        let decoder = JobDecoder(config: config)
        var jobs: [Job] = []
        var seen: Set<String> = []
        for (index, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let bytes = Array(line)
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            do {
                let job = try decoder.decode(bytes)
                guard job.workload == workload else {
                    CommandSupport.printError("--sample line \(index + 1): job \(job.id) belongs to workload \(job.workload), left out")
                    continue
                }
                guard seen.insert(job.id).inserted else {
                    CommandSupport.printError("--sample line \(index + 1): job id \(job.id) repeats an earlier line, left out")
                    continue
                }
                jobs.append(job)
            } catch {
                CommandSupport.printError("--sample line \(index + 1): \(error.code.rawValue): \(error.message)")
            }
            if jobs.count >= Self.maxJobs {
                CommandSupport.printError("--sample: only the first \(Self.maxJobs) jobs are compared")
                break
            }
        }
        guard !jobs.isEmpty else {
            CommandSupport.printError("--sample: no job of workload \(workload) to compare")
            throw ExitCode(2)
        }
        return jobs
    }
}
