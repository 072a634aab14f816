import Foundation
import Kafka
import Simulator
import Testing
import UnderstudyTesting

/// The real `understudy run` binary against Tansu and simulated providers over real HTTP.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct PipelineTests {
    /// A broker, a primary and a backup simulator, and a config pointing at them.
    struct Stack {
        let broker: TansuBroker
        let primary: SimulatedProvider
        let backup: SimulatedProvider
        var config: TestConfig

        static func start() async throws -> Stack {
            let broker = try await TansuBroker.start()
            let primary = try await SimulatedProvider.start()
            let backup = try await SimulatedProvider.start()
            var config = TestConfig(bootstrapServers: broker.bootstrapServers)
            config.providers = [
                "claude-direct": "{type: anthropic, base_url: \"\(primary.baseURL)\", api_key_env: TEST_PRIMARY_KEY}",
                "claude-azure": "{type: anthropic, base_url: \"\(backup.baseURL)\", api_key_env: TEST_BACKUP_KEY}",
            ]
            config.routes = ["claude-direct/claude-sonnet-4-5", "claude-azure/claude-sonnet-4-5"]
            return Stack(broker: broker, primary: primary, backup: backup, config: config)
        }

        static let environment = ["TEST_PRIMARY_KEY": "sk-test-primary-0000", "TEST_BACKUP_KEY": "sk-test-backup-1111"]

        func stop() async {
            await primary.stop()
            await backup.stop()
            await broker.stop()
        }

        func results(count: Int) async throws -> [KafkaMessage] {
            try await TopicReader.read(config.topics.results, bootstrapServers: broker.bootstrapServers, count: count)
        }
    }

    static func jsonObject(_ bytes: [UInt8]) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
    }

    @Test("1,000 jobs in, 1,000 results out, each job exactly once, every message valid against its schema")
    func thousandJobs() async throws {
        let stack = try await Stack.start()
        do {
            let worker = try WorkerProcess.start(config: stack.config.yaml, environment: Stack.environment)
            try await JobFactory.produce(JobFactory.records(count: 1_000, topic: stack.config.topics.jobs), bootstrapServers: stack.broker.bootstrapServers)
            let results = try await stack.results(count: 1_000)
            #expect(await worker.process.stop() == 0, "clean exit on SIGTERM")

            let ids = results.map { Self.jsonObject($0.value)["job_id"] as? String ?? "" }
            #expect(results.count == 1_000)
            #expect(Set(ids).count == 1_000, "each job exactly once")
            #expect(results.allSatisfy { Self.jsonObject($0.value)["status"] as? String == "succeeded" })
            #expect(results.allSatisfy { $0.key.map { String(decoding: $0, as: UTF8.self) } == Self.jsonObject($0.value)["job_id"] as? String })
            #expect(try SchemaCheck.failures(results.map(\.value), schema: "result") == [])
            let telemetry = try await TopicReader.read(stack.config.topics.telemetry, bootstrapServers: stack.broker.bootstrapServers, count: 2_000)
            #expect(telemetry.count >= 2_000, "an attempt and a job event per job")
            #expect(try SchemaCheck.failures(telemetry.map(\.value), schema: "telemetry") == [])
            #expect(stack.backup.requests == 0, "a healthy primary serves everything")
        } catch {
            await stack.stop()
            throw error
        }
        await stack.stop()
    }

    @Test("primary answering 503 for the whole batch: every job succeeds through the backup, and telemetry shows why")
    func primaryDown() async throws {
        let stack = try await Stack.start()
        do {
            stack.primary.setMode(.error(503))
            let worker = try WorkerProcess.start(config: stack.config.yaml, environment: Stack.environment)
            try await JobFactory.produce(JobFactory.records(count: 200, topic: stack.config.topics.jobs), bootstrapServers: stack.broker.bootstrapServers)
            let results = try await stack.results(count: 200)
            await worker.process.stop()

            #expect(results.count == 200)
            for result in results.map({ Self.jsonObject($0.value) }) {
                #expect(result["status"] as? String == "succeeded")
                #expect(result["fallback_used"] as? Bool == true)
                #expect((result["served_by"] as? [String: Any])?["provider"] as? String == "claude-azure")
                #expect((result["served_by"] as? [String: Any])?["route_index"] as? Int == 1)
            }
            let telemetry = try await TopicReader.read(stack.config.topics.telemetry, bootstrapServers: stack.broker.bootstrapServers).map { Self.jsonObject($0.value) }
            let failed = telemetry.filter { $0["event"] as? String == "attempt" && $0["provider"] as? String == "claude-direct" }
            #expect(!failed.isEmpty)
            #expect(failed.contains { ($0["outcome"] as? String) == "overloaded" || ($0["outcome"] as? String) == "server_error" || ($0["outcome"] as? String) == "circuit_open" })
            #expect(failed.contains { ($0["decision"] as? String) == "fail_over" })
        } catch {
            await stack.stop()
            throw error
        }
        await stack.stop()
    }
}
