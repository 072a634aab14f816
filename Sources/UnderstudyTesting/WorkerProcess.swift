import Foundation

/// The real `understudy run` binary, started with a config the test writes, ended by its PID.
package final class WorkerProcess: Sendable {
    package let process: ChildProcess
    package let configPath: String

    private init(process: ChildProcess, configPath: String) {
        self.process = process
        self.configPath = configPath
    }

    /// Writes `config` (YAML) to a temporary file and starts `understudy run` on it.
    package static func start(
        config: String, environment: [String: String] = [:], name: String = "worker", softOpenFileLimit: Int? = nil,
        extraArguments: [String] = []
    ) throws -> WorkerProcess {
        let directory = NSTemporaryDirectory() + Rig.unique("understudy")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/config.yaml"
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        return try start(
            configPath: path, environment: environment, name: name, softOpenFileLimit: softOpenFileLimit, extraArguments: extraArguments)
    }

    /// Starts `understudy run` on an existing config file (a restart). With `softOpenFileLimit`,
    /// the binary starts with that soft `RLIMIT_NOFILE` (set by a shell that then execs it, so the
    /// PID is the worker's), as a container runtime's default of 1024 would.
    package static func start(
        configPath: String, environment: [String: String] = [:], name: String = "worker", softOpenFileLimit: Int? = nil,
        extraArguments: [String] = []
    ) throws -> WorkerProcess {
        var merged = ProcessInfo.processInfo.environment
        merged["UNDERSTUDY_LOG_LEVEL"] = merged["UNDERSTUDY_LOG_LEVEL"] ?? "info"
        for (key, value) in environment { merged[key] = value }
        let log = (configPath as NSString).deletingLastPathComponent + "/\(name)-\(Rig.unique("run")).log"
        var executable = RigPaths.product("understudy")
        var arguments = ["run", "--config", configPath] + extraArguments
        if let softOpenFileLimit {
            arguments = ["-c", "ulimit -S -n \(softOpenFileLimit) && exec \"$0\" \"$@\"", executable] + arguments
            executable = "/bin/sh"
        }
        let process = try ChildProcess(executable: executable, arguments: arguments, environment: merged, logPath: log)
        return WorkerProcess(process: process, configPath: configPath)
    }

    package func output() -> String { process.output() }
}

/// A config for tests: Tansu, the given providers and workloads, short group timings.
package struct TestConfig {
    package var bootstrapServers: String
    package var group = Rig.unique("workers")
    package var topics = (jobs: Rig.unique("jobs"), results: Rig.unique("results"), telemetry: Rig.unique("telemetry"), deadLetter: Rig.unique("dlq"))
    package var partitions = 4
    package var delivery = "at_least_once"
    package var createTopics = true
    package var maxInFlight = 256
    package var commitIntervalMs = 100
    package var shutdownGraceSeconds = 30
    package var maxMessageBytes = 1_048_576
    /// `worker.http_listen`; empty: no status server.
    package var httpListen = ""
    /// `worker.tracing` (`{endpoint: ...}`); empty: no spans.
    package var tracing = ""
    /// `NAME: {type: ..., base_url: ...}` lines under `providers:`.
    package var providers: [String: String] = [:]
    /// The routes of workload `support-summaries`, as `provider/model`.
    package var routes: [String] = []
    package var policy = "{max_attempts: 4, attempt_timeout_ms: 5000, deadline_ms: 60000}"
    /// The `shadow` of workload `support-summaries` (`{sample_rate: ...}`); empty: none.
    package var shadow = ""
    /// The `validation` of workload `support-summaries` (`{judge: ...}`); empty: the defaults.
    package var validation = ""
    /// The `budget` of workload `support-summaries` (`{usd_per_window: ..., window_ms: ...}`); empty: none.
    package var budget = ""
    /// The `jobs_topic` of workload `support-summaries`; empty: none.
    package var jobsTopic = ""
    /// The workload's `batch` section, as YAML flow; empty: none.
    package var batch = ""
    /// The workload's `limits` section, as YAML flow; empty: none.
    package var limits = ""
    package var extraWorkloads = ""
    package var engine = ""
    /// The `fleet` section (`{route_health: {...}}`); empty: the defaults.
    package var fleet = ""
    /// More `kafka.properties` (values may use `${VAR}`).
    package var properties: [String: String] = [:]

    package init(bootstrapServers: String) {
        self.bootstrapServers = bootstrapServers
    }

    package var yaml: String {
        var text = """
            kafka:
              bootstrap_servers: "\(bootstrapServers)"
              group_id: \(group)
              topics: {jobs: \(topics.jobs), results: \(topics.results), telemetry: \(topics.telemetry), dead_letter: \(topics.deadLetter)}
              delivery: \(delivery)
              create_topics: \(createTopics)
              topic_partitions: \(partitions)
              properties: {session.timeout.ms: "6000", heartbeat.interval.ms: "500"\(properties.sorted(by: { $0.key < $1.key }).map { ", \($0.key): \"\($0.value)\"" }.joined())}
            worker:
              max_in_flight: \(maxInFlight)
              commit_interval_ms: \(commitIntervalMs)
              shutdown_grace_seconds: \(shutdownGraceSeconds)
              max_message_bytes: \(maxMessageBytes)\(httpListen.isEmpty ? "" : "\n  http_listen: \"\(httpListen)\"")\(tracing.isEmpty ? "" : "\n  tracing: \(tracing)")
            providers:

            """
        for (name, value) in providers.sorted(by: { $0.key < $1.key }) { text += "  \(name): \(value)\n" }
        text += "workloads:\n  support-summaries:\n    routes:\n"
        for route in routes {
            let parts = route.split(separator: "/", maxSplits: 1).map(String.init)
            text += "      - {provider: \(parts[0]), model: \(parts.count > 1 ? parts[1] : "")}\n"
        }
        text += "    policy: \(policy)\n"
        if !shadow.isEmpty { text += "    shadow: \(shadow)\n" }
        if !validation.isEmpty { text += "    validation: \(validation)\n" }
        if !budget.isEmpty { text += "    budget: \(budget)\n" }
        if !jobsTopic.isEmpty { text += "    jobs_topic: \(jobsTopic)\n" }
        if !batch.isEmpty { text += "    batch: \(batch)\n" }
        if !limits.isEmpty { text += "    limits: \(limits)\n" }
        text += extraWorkloads
        if !engine.isEmpty { text += "engine: \(engine)\n" }
        if !fleet.isEmpty { text += "fleet: \(fleet)\n" }
        return text
    }
}
