import Foundation

/// The real `understudy run` binary, started with a config the test writes, ended by its PID.
public final class WorkerProcess: Sendable {
    public let process: ChildProcess
    public let configPath: String

    private init(process: ChildProcess, configPath: String) {
        self.process = process
        self.configPath = configPath
    }

    /// Writes `config` (YAML) to a temporary file and starts `understudy run` on it.
    public static func start(
        config: String, environment: [String: String] = [:], name: String = "worker", softOpenFileLimit: Int? = nil
    ) throws -> WorkerProcess {
        let directory = NSTemporaryDirectory() + Rig.unique("understudy")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/config.yaml"
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        return try start(configPath: path, environment: environment, name: name, softOpenFileLimit: softOpenFileLimit)
    }

    /// Starts `understudy run` on an existing config file (a restart). With `softOpenFileLimit`,
    /// the binary starts with that soft `RLIMIT_NOFILE` (set by a shell that then execs it, so the
    /// PID is the worker's), as a container runtime's default of 1024 would.
    public static func start(
        configPath: String, environment: [String: String] = [:], name: String = "worker", softOpenFileLimit: Int? = nil
    ) throws -> WorkerProcess {
        var merged = ProcessInfo.processInfo.environment
        merged["UNDERSTUDY_LOG_LEVEL"] = merged["UNDERSTUDY_LOG_LEVEL"] ?? "info"
        for (key, value) in environment { merged[key] = value }
        let log = (configPath as NSString).deletingLastPathComponent + "/\(name)-\(Rig.unique("run")).log"
        var executable = RigPaths.product("understudy")
        var arguments = ["run", "--config", configPath]
        if let softOpenFileLimit {
            arguments = ["-c", "ulimit -S -n \(softOpenFileLimit) && exec \"$0\" \"$@\"", executable] + arguments
            executable = "/bin/sh"
        }
        let process = try ChildProcess(executable: executable, arguments: arguments, environment: merged, logPath: log)
        return WorkerProcess(process: process, configPath: configPath)
    }

    public func output() -> String { process.output() }
}

/// A config for tests: Tansu, the given providers and workloads, short group timings.
public struct TestConfig {
    public var bootstrapServers: String
    public var group = Rig.unique("workers")
    public var topics = (jobs: Rig.unique("jobs"), results: Rig.unique("results"), telemetry: Rig.unique("telemetry"), deadLetter: Rig.unique("dlq"))
    public var partitions = 4
    public var delivery = "at_least_once"
    public var createTopics = true
    public var maxInFlight = 256
    public var commitIntervalMs = 100
    public var shutdownGraceSeconds = 30
    public var maxMessageBytes = 1_048_576
    /// `NAME: {type: ..., base_url: ...}` lines under `providers:`.
    public var providers: [String: String] = [:]
    /// The routes of workload `support-summaries`, as `provider/model`.
    public var routes: [String] = []
    public var policy = "{max_attempts: 4, attempt_timeout_ms: 5000, deadline_ms: 60000}"
    public var extraWorkloads = ""
    public var engine = ""
    /// More `kafka.properties` (values may use `${VAR}`).
    public var properties: [String: String] = [:]

    public init(bootstrapServers: String) {
        self.bootstrapServers = bootstrapServers
    }

    public var yaml: String {
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
              max_message_bytes: \(maxMessageBytes)
            providers:

            """
        for (name, value) in providers.sorted(by: { $0.key < $1.key }) { text += "  \(name): \(value)\n" }
        text += "workloads:\n  support-summaries:\n    routes:\n"
        for route in routes {
            let parts = route.split(separator: "/", maxSplits: 1).map(String.init)
            text += "      - {provider: \(parts[0]), model: \(parts.count > 1 ? parts[1] : "")}\n"
        }
        text += "    policy: \(policy)\n"
        text += extraWorkloads
        if !engine.isEmpty { text += "engine: \(engine)\n" }
        return text
    }
}
