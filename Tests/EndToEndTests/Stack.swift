import Foundation
import Kafka
import Simulator
import Testing
import UnderstudyTesting

/// A broker, a primary and a backup simulator, and a config pointing at them: the rig of the
/// end-to-end tests. Use ``withStack(_:)`` so everything is stopped whatever happens.
struct Stack {
    let broker: TansuBroker
    let primary: SimulatedProvider
    let backup: SimulatedProvider
    var config: TestConfig

    /// Fake keys: the worker reads them from its environment, and they must appear nowhere.
    static let environment = ["TEST_PRIMARY_KEY": "sk-test-primary-0000", "TEST_BACKUP_KEY": "sk-test-backup-1111"]

    static func start() async throws -> Stack {
        let broker = try await TansuBroker.start()
        let primary = try await SimulatedProvider.start()
        let backup = try await SimulatedProvider.start()
        var config = TestConfig(bootstrapServers: broker.bootstrapServers)
        config.providers = [
            "claude-direct": "{type: anthropic, base_url: \"\(primary.baseURL)\", api_key_env: TEST_PRIMARY_KEY}",
            "claude-azure": "{type: anthropic, base_url: \"\(backup.baseURL)/anthropic\", api_key_env: TEST_BACKUP_KEY}",
        ]
        config.routes = ["claude-direct/claude-sonnet-4-5", "claude-azure/claude-sonnet-4-5"]
        return Stack(broker: broker, primary: primary, backup: backup, config: config)
    }

    func stop() async {
        await primary.stop()
        await backup.stop()
        await broker.stop()
    }

    var bootstrap: String { broker.bootstrapServers }

    /// Creates the topics (so a producer's auto-creation cannot race the worker's), then starts
    /// the real worker binary on this stack's config.
    func startWorker(
        name: String = "worker", environment: [String: String] = [:], softOpenFileLimit: Int? = nil, arguments: [String] = []
    ) async throws -> WorkerProcess {
        for topic in [config.topics.jobs, config.topics.results, config.topics.telemetry, config.topics.deadLetter] {
            try await broker.createTopic(topic, partitions: config.partitions)
        }
        return try WorkerProcess.start(
            config: config.yaml, environment: Self.environment.merging(environment) { $1 }, name: name, softOpenFileLimit: softOpenFileLimit,
            extraArguments: arguments
        )
    }

    func produceJobs(_ count: Int, prefix: String = "job", system: String = JobFactory.defaultSystem) async throws {
        try await JobFactory.produce(
            JobFactory.records(count: count, prefix: prefix, topic: config.topics.jobs, system: system), bootstrapServers: bootstrap)
    }

    func read(_ topic: String, count: Int? = nil, idle: Duration = .seconds(3)) async throws -> [KafkaMessage] {
        try await TopicReader.read(topic, bootstrapServers: bootstrap, count: count, idle: idle)
    }

    /// Reads results until `ids` distinct job ids are there (or nothing new for `idle`).
    func results(distinct ids: Int, idle: Duration = .seconds(10)) async throws -> [KafkaMessage] {
        let consumer = try KafkaConsumer(
            configuration: Rig.consumerConfiguration(bootstrapServers: bootstrap, groupID: Rig.unique("reader")),
            topics: [config.topics.results], logger: Rig.logger
        )
        var messages: [KafkaMessage] = []
        var seen = Set<String>()
        var lastArrival = ContinuousClock.now
        while seen.count < ids && ContinuousClock.now - lastArrival < idle {
            let batch = await Rig.collect(consumer, count: 10_000, timeout: .milliseconds(300))
            if !batch.isEmpty { lastArrival = ContinuousClock.now }
            messages += batch
            for message in batch { seen.insert(jobID(message)) }
        }
        await consumer.close()
        return messages
    }
}

/// Runs `body` with a fresh ``Stack``, stopping it afterwards whatever happens.
func withStack(_ body: (inout Stack) async throws -> Void) async throws {
    var stack = try await Stack.start()
    do {
        try await body(&stack)
    } catch {
        await stack.stop()
        throw error
    }
    await stack.stop()
}

/// A message's value as a JSON object (empty when it is not one).
func jsonObject(_ bytes: [UInt8]) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
}

/// The `job_id` of a result or telemetry message.
func jobID(_ message: KafkaMessage) -> String {
    jsonObject(message.value)["job_id"] as? String ?? ""
}

/// The end-to-end suites, in two lanes that run side by side, one suite at a time in each: each
/// starts brokers, simulators and worker processes, and on two cores more at once would time
/// each other out. ``EndToEnd`` holds the heavy ones (resilience, membership, hostile input,
/// provider batches); the lanes are kept about even (each about 5 to 6 minutes in CI).
@Suite(.serialized) enum EndToEnd {}

/// The second lane: pipeline, operations and the other commands (check, enqueue, redrive, demo,
/// compare, report, dashboard), tracing, prompt caching and budgets, whose assertions count what happened rather
/// than how fast.
@Suite(.serialized) enum EndToEndTools {}

/// The suites whose counts depend on timing under load: shared route health (calls to a
/// blackholed primary, a late worker, recovery) and shadow mode (a thousand calls in flight at
/// once). `scripts/test.sh` runs them alone, after the two lanes: beside another lane, a busy
/// machine skews what they count.
@Suite(.serialized) enum EndToEndAlone {}
