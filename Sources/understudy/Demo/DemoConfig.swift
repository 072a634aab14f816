import Foundation
import Jobs

/// The demo's embedded config: the mock cluster, a primary and a backup Claude route on the two
/// simulators, and a workload whose short attempt timeout lets the primary's breaker open within
/// seconds of a hang. The API keys are random, fake, live only in ``environment`` and are never
/// printed.
struct DemoConfig: Sendable {
    static let workload = "support-summaries"
    static let model = "claude-sonnet-4-5"
    static let primary = "claude-direct"
    static let backup = "claude-azure"
    static let topics = KafkaConfig.Topics(
        jobs: "demo.jobs", results: "demo.results", telemetry: "demo.telemetry", deadLetter: "demo.jobs.dead-letter"
    )
    static let partitions = 6
    /// The four topics, which the demo creates on the mock cluster itself.
    static var topicNames: [String] { [topics.jobs, topics.results, topics.telemetry, topics.deadLetter] }

    let config: UnderstudyConfig
    /// What the provider catalog reads the keys from (in place of the process environment).
    let environment: [String: String]

    /// The demo's "breaker" display and tallies key on this route.
    static var primaryRoute: String { "\(primary)/\(model)" }

    init(bootstrapServers: String, primaryURL: String, backupURL: String) throws {
        let environment = [
            "DEMO_ANTHROPIC_API_KEY": "sk-ant-demo-\(UUID().uuidString)",
            "DEMO_AZURE_AI_API_KEY": "demo-\(UUID().uuidString)",
        ]
        let yaml = """
            kafka:
              bootstrap_servers: "\(bootstrapServers)"
              group_id: understudy-demo
              topics: {jobs: \(Self.topics.jobs), results: \(Self.topics.results), telemetry: \(Self.topics.telemetry), dead_letter: \(Self.topics.deadLetter)}
              create_topics: false          # the mock cluster has no CreateTopics: the demo makes them itself
              topic_partitions: \(Self.partitions)
              properties: {session.timeout.ms: "6000", heartbeat.interval.ms: "500"}
            worker:
              max_in_flight: 64
              shutdown_grace_seconds: 10
            providers:
              \(Self.primary): {type: anthropic, base_url: "\(primaryURL)", api_key_env: DEMO_ANTHROPIC_API_KEY}
              \(Self.backup): {type: anthropic, base_url: "\(backupURL)", api_key_env: DEMO_AZURE_AI_API_KEY}
            pricing:
              \(Self.model): {input_per_mtok: 3.0, output_per_mtok: 15.0}
            fleet:
              route_health: {enabled: false}   # one worker: no fleet to share breakers with
            engine:
              breaker_cooldown_ms: 2000
              breaker_max_cooldown_ms: 4000
            workloads:
              \(Self.workload):
                routes:
                  - {provider: \(Self.primary), model: \(Self.model)}
                  - {provider: \(Self.backup), model: \(Self.model)}
                policy: {max_attempts: 4, attempt_timeout_ms: 2000, deadline_ms: 60000}
            """
        do {
            config = try UnderstudyConfig.parse(yaml: yaml, environment: environment)
        } catch {
            throw DemoError("the embedded demo config is invalid: \(error.message)")
        }
        self.environment = environment
    }
}

/// Why the demo could not run (its message never holds a key).
struct DemoError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
