import Foundation
import Kafka
import Testing
import UnderstudyTesting

/// Runs `understudy ARGS` to completion; its exit status and combined output.
func understudy(_ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(120)) async throws -> (
    status: Int32?, output: String
) {
    var merged = ProcessInfo.processInfo.environment
    for (key, value) in environment { merged[key] = value }
    let log = NSTemporaryDirectory() + Rig.unique("cli") + ".log"
    let process = try ChildProcess(executable: RigPaths.product("understudy"), arguments: arguments, environment: merged, logPath: log)
    let status = await process.waitForExit(timeout: timeout)
    if status == nil { await process.stop() }
    return (status, process.output())
}

func writeTemporary(_ text: String, name: String) throws -> String {
    let directory = NSTemporaryDirectory() + Rig.unique("understudy-cli")
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let path = directory + "/" + name
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

extension EndToEndTools {
    /// The other subcommands: check-config, enqueue and redrive, as a user runs them.
    @Suite(.serialized, .timeLimit(.minutes(4)))
    struct CommandTests {
        @Test("check-config names the key path of an error and exits 2; a good config passes")
        func checkConfig() async throws {
            var config = TestConfig(bootstrapServers: "127.0.0.1:9")
            config.providers = ["local": "{type: extractive}"]
            config.routes = ["local/extractive"]
            let good = try writeTemporary(config.yaml, name: "good.yaml")
            let ok = try await understudy(["check-config", good])
            #expect(ok.status == 0, "\(ok.output)")

            config.routes = ["missing-provider/model"]
            let bad = try writeTemporary(config.yaml, name: "bad.yaml")
            let refused = try await understudy(["check-config", bad])
            #expect(refused.status == 2)
            #expect(refused.output.contains("workloads.support-summaries.routes[0].provider"), "\(refused.output)")

            config.routes = ["keyed/claude-sonnet-4-5"]
            config.providers = ["keyed": "{type: anthropic, api_key_env: UNDERSTUDY_TEST_UNSET_KEY}"]
            let missingKey = try writeTemporary(config.yaml, name: "key.yaml")
            let noKey = try await understudy(["check-config", missingKey])
            #expect(noKey.status == 2)
            #expect(noKey.output.contains("providers.keyed.api_key_env"), "\(noKey.output)")
        }

        @Test("enqueue sends valid lines keyed by id and reports invalid ones by line number")
        func enqueue() async throws {
            try await withStack { stack in
                let lines = [
                    JobFactory.json(id: "e-1"), "{broken", JobFactory.json(id: "e-2"),
                    JobFactory.json(id: "e-3", workload: "nope"), "", JobFactory.json(id: "e-4"),
                ]
                let jobs = try writeTemporary(lines.joined(separator: "\n") + "\n", name: "jobs.jsonl")
                let config = try writeTemporary(stack.config.yaml, name: "config.yaml")
                let run = try await understudy(["enqueue", "--config", config, jobs], environment: Stack.environment)
                #expect(run.status == 1, "rejected lines make the exit status 1: \(run.output)")
                #expect(run.output.contains("line 2: invalid_json"), "\(run.output)")
                #expect(run.output.contains("line 4: unknown_workload"), "\(run.output)")
                #expect(run.output.contains("enqueued 3 jobs"), "\(run.output)")
                let sent = try await stack.read(stack.config.topics.jobs, count: 3, idle: .seconds(2))
                #expect(Set(sent.compactMap { $0.key.map { String(decoding: $0, as: UTF8.self) } }) == ["e-1", "e-2", "e-4"])
            }
        }

        @Test("redrive puts dead letters of one class back on the jobs topic after a config fix, once")
        func redrive() async throws {
            try await withStack { stack in
                // Jobs for a workload the config does not know yet become dead letters.
                let topic = stack.config.topics.jobs
                let traceHeader = KafkaHeader(name: "traceparent", text: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
                let records = (0..<5).map { index in
                    KafkaRecord(
                        topic: topic, key: Array("late-\(index)".utf8),
                        value: Array(JobFactory.json(id: "late-\(index)", workload: "late-workload").utf8), headers: [traceHeader]
                    )
                }
                let worker = try await stack.startWorker()
                try await JobFactory.produce(
                    records + [KafkaRecord(topic: topic, key: Array("junk".utf8), value: Array("{junk".utf8))], bootstrapServers: stack.bootstrap)
                let letters = try await stack.read(stack.config.topics.deadLetter, count: 6)
                #expect(letters.count == 6)
                await worker.process.stop()

                // The fix: the workload now exists.
                stack.config.extraWorkloads = """
                      late-workload:
                        routes:
                          - {provider: claude-direct, model: claude-sonnet-4-5}

                    """
                let config = try writeTemporary(stack.config.yaml, name: "fixed.yaml")
                let dryRun = try await understudy(
                    ["redrive", "--config", config, "--class", "unknown_workload", "--dry-run", "--idle-seconds", "3"], environment: Stack.environment
                )
                #expect(dryRun.status == 0, "\(dryRun.output)")
                #expect(dryRun.output.contains("would move 5 dead letters"), "\(dryRun.output)")

                let moved = try await understudy(
                    ["redrive", "--config", config, "--class", "unknown_workload", "--idle-seconds", "3"], environment: Stack.environment)
                #expect(moved.status == 0, "\(moved.output)")
                #expect(moved.output.contains("moved 5 dead letters"), "\(moved.output)")
                #expect(moved.output.contains("1 of other classes left"), "\(moved.output)")
                let again = try await understudy(
                    ["redrive", "--config", config, "--class", "unknown_workload", "--idle-seconds", "3"], environment: Stack.environment)
                #expect(again.output.contains("moved 0 dead letters"), "a second run repeats nothing: \(again.output)")

                // The redriven jobs carry their original key, value and headers, and now run.
                let fixedWorker = try WorkerProcess.start(configPath: config, environment: Stack.environment)
                let results = try await stack.read(stack.config.topics.results, count: 5)
                await fixedWorker.process.stop()
                #expect(Set(results.map(jobID)) == Set((0..<5).map { "late-\($0)" }))
                #expect(results.allSatisfy { $0.headers.contains(traceHeader) }, "trace headers travel to the results")
                let jobs = try await stack.read(topic, count: 11)
                let redriven = jobs.filter { $0.key.map { String(decoding: $0, as: UTF8.self) }?.hasPrefix("late-") ?? false }
                #expect(redriven.count == 10, "5 originals and 5 redriven")
                #expect(redriven.allSatisfy { !$0.headers.contains { $0.name.hasPrefix("understudy.") } }, "error headers are not carried back")
            }
        }
    }
}

extension EndToEndTools.CommandTests {
    @Test("with create_topics: false, missing topics stop start-up with their names; with the default they are created")
    func missingTopics() async throws {
        try await withStack { stack in
            stack.config.createTopics = false
            let refused = try WorkerProcess.start(config: stack.config.yaml, environment: Stack.environment)
            let status = await refused.process.waitForExit(timeout: .seconds(30))
            #expect(status != nil && status != 0, "start-up stops")
            #expect(refused.output().contains("kafka.topics"), "\(refused.output())")
            #expect(refused.output().contains(stack.config.topics.jobs), "names the missing topic")

            stack.config.createTopics = true
            let creating = try WorkerProcess.start(config: stack.config.yaml, environment: Stack.environment)
            try await JobFactory.produce(JobFactory.records(count: 3, topic: stack.config.topics.jobs), bootstrapServers: stack.bootstrap)
            let results = try await stack.read(stack.config.topics.results, count: 3)
            await creating.process.stop()
            #expect(results.count == 3)
            let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: stack.bootstrap), logger: Rig.logger)
            let described = try await admin.describeTopics([stack.config.topics.results, stack.config.topics.deadLetter], timeout: .seconds(10))
            admin.close()
            #expect(
                described.allSatisfy { $0.error == nil && $0.partitions.count == stack.config.partitions }, "created with the configured partitions")
        }
    }
}
