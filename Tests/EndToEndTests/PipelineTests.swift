import Foundation
import Kafka
import Simulator
import Testing
import UnderstudyTesting

/// The real `understudy run` binary against Tansu and simulated providers over real HTTP.
extension EndToEndTools {
    @Suite(.serialized, .timeLimit(.minutes(5)))
    struct PipelineTests {
        @Test("1,000 jobs in, 1,000 results out, each job exactly once, every message valid against its schema")
        func thousandJobs() async throws {
            try await withStack { stack in
                let worker = try await stack.startWorker()
                try await stack.produceJobs(1_000)
                let results = try await stack.read(stack.config.topics.results, count: 1_000)
                #expect(await worker.process.stop() == 0, "clean exit on SIGTERM")

                let ids = results.map(jobID)
                #expect(results.count == 1_000)
                #expect(Set(ids).count == 1_000, "each job exactly once")
                #expect(results.allSatisfy { jsonObject($0.value)["status"] as? String == "succeeded" })
                #expect(results.allSatisfy { $0.key.map { String(decoding: $0, as: UTF8.self) } == jobID($0) }, "keyed by job id")
                #expect(try SchemaCheck.failures(results.map(\.value), schema: "result") == [])
                let telemetry = try await stack.read(stack.config.topics.telemetry, count: 2_000)
                #expect(telemetry.count >= 2_000, "an attempt and a job event per job")
                #expect(try SchemaCheck.failures(telemetry.map(\.value), schema: "telemetry") == [])
                #expect(stack.backup.requests == 0, "a healthy primary serves everything")
            }
        }

        @Test("primary answering 503 for the whole batch: every job succeeds through the backup, and telemetry shows why")
        func primaryDown() async throws {
            try await withStack { stack in
                stack.primary.setMode(.error(503))
                let worker = try await stack.startWorker()
                try await stack.produceJobs(200)
                let results = try await stack.read(stack.config.topics.results, count: 200)
                await worker.process.stop()

                #expect(results.count == 200)
                for result in results.map({ jsonObject($0.value) }) {
                    #expect(result["status"] as? String == "succeeded")
                    #expect(result["fallback_used"] as? Bool == true)
                    #expect((result["served_by"] as? [String: Any])?["provider"] as? String == "claude-azure")
                    #expect((result["served_by"] as? [String: Any])?["route_index"] as? Int == 1)
                }
                let telemetry = try await stack.read(stack.config.topics.telemetry).map { jsonObject($0.value) }
                let primaryAttempts = telemetry.filter { $0["event"] as? String == "attempt" && $0["provider"] as? String == "claude-direct" }
                #expect(primaryAttempts.contains { $0["outcome"] as? String == "overloaded" && $0["http_status"] as? Int == 503 })
                #expect(primaryAttempts.contains { $0["decision"] as? String == "fail_over" })
                #expect(
                    try SchemaCheck.failures(
                        telemetry.compactMap { try? JSONSerialization.data(withJSONObject: $0) }.map { Array($0) }, schema: "telemetry") == [])
            }
        }

        @Test(
            "poison messages of every class go to the dead-letter topic unchanged, with their error headers, and every valid job still gets its result"
        )
        func poisonMessages() async throws {
            try await withStack { stack in
                stack.config.maxMessageBytes = 65_536
                let topic = stack.config.topics.jobs
                let traceHeader = KafkaHeader(name: "x-source", text: "poison-test")
                let poison: [(String, KafkaRecord)] = [
                    ("invalid_json", KafkaRecord(topic: topic, key: Array("p-json".utf8), value: Array("{not json".utf8), headers: [traceHeader])),
                    (
                        "schema_violation",
                        KafkaRecord(
                            topic: topic, key: Array("p-schema".utf8),
                            value: Array(#"{"id":"p-schema","workload":"support-summaries","input":{}}"#.utf8), headers: [traceHeader])
                    ),
                    (
                        "unknown_workload",
                        KafkaRecord(
                            topic: topic, key: Array("p-workload".utf8),
                            value: Array(JobFactory.json(id: "p-workload", workload: "no-such-workload").utf8), headers: [traceHeader])
                    ),
                    (
                        "route_not_approved",
                        KafkaRecord(
                            topic: topic, key: Array("p-route".utf8),
                            value: Array(JobFactory.json(id: "p-route", routes: [("claude-direct", "claude-opus-4-1")]).utf8), headers: [traceHeader])
                    ),
                    (
                        "too_large",
                        KafkaRecord(
                            topic: topic, key: Array("p-large".utf8),
                            value: Array(JobFactory.json(id: "p-large", extra: ",\"padding\":\"\(String(repeating: "x", count: 100_000))\"").utf8),
                            headers: [traceHeader])
                    ),
                ]
                var records = JobFactory.records(count: 100, prefix: "valid", topic: topic)
                for (index, entry) in poison.enumerated() { records.insert(entry.1, at: index * 20 + 5) }
                let worker = try await stack.startWorker()
                try await JobFactory.produce(records, bootstrapServers: stack.bootstrap)

                let results = try await stack.read(stack.config.topics.results, count: 100)
                let deadLetters = try await stack.read(stack.config.topics.deadLetter, count: poison.count)
                let jobs = try await stack.read(topic, count: records.count)
                await worker.process.stop()

                #expect(Set(results.map(jobID)) == Set((0..<100).map { "valid-\($0)" }), "every valid job got its result")
                #expect(deadLetters.count == poison.count)
                for (errorClass, record) in poison {
                    guard let letter = deadLetters.first(where: { $0.key == record.key }) else {
                        Issue.record("no dead letter for \(errorClass)")
                        continue
                    }
                    let source = jobs.first { $0.key == record.key }
                    #expect(letter.value == record.value, "\(errorClass): value byte-for-byte")
                    #expect(letter.headers.contains(traceHeader), "\(errorClass): original headers kept")
                    #expect(letter.headers.text("understudy.error.class") == errorClass)
                    #expect(!(letter.headers.text("understudy.error.message") ?? "").isEmpty)
                    #expect(letter.headers.text("understudy.source.topic") == topic)
                    #expect(letter.headers.text("understudy.source.partition") == source.map { "\($0.partition)" })
                    #expect(letter.headers.text("understudy.source.offset") == source.map { "\($0.offset)" })
                }
                let schemaMessage = deadLetters.first { $0.key == Array("p-schema".utf8) }?.headers.text("understudy.error.message") ?? ""
                #expect(schemaMessage.contains("input.messages"), "the message names the field: \(schemaMessage)")

                // Secrets: the fake keys appear in no log line, result, telemetry or dead letter.
                let telemetry = try await stack.read(stack.config.topics.telemetry)
                let everything =
                    [worker.output()]
                    + (results + telemetry + deadLetters).map { message in
                        String(decoding: message.value, as: UTF8.self) + message.headers.map { "\($0.name)=\($0.text ?? "")" }.joined()
                    }
                for secret in Stack.environment.values {
                    #expect(!everything.contains { $0.contains(secret) }, "the key \(secret.prefix(8))… leaked")
                }
            }
        }

        @Test("a job listing a route its workload has not approved is a dead letter, and no provider receives a request")
        func routeNotApproved() async throws {
            try await withStack { stack in
                let topic = stack.config.topics.jobs
                let records = (0..<5).map { index in
                    KafkaRecord(
                        topic: topic, key: Array("unapproved-\(index)".utf8),
                        value: Array(
                            JobFactory.json(
                                id: "unapproved-\(index)", routes: [("claude-direct", "claude-opus-4-1"), ("claude-azure", "claude-sonnet-4-5")]
                            ).utf8)
                    )
                }
                let worker = try await stack.startWorker()
                try await JobFactory.produce(records, bootstrapServers: stack.bootstrap)
                let deadLetters = try await stack.read(stack.config.topics.deadLetter, count: 5)
                await worker.process.stop()
                #expect(deadLetters.count == 5)
                #expect(deadLetters.allSatisfy { $0.headers.text("understudy.error.class") == "route_not_approved" })
                #expect(stack.primary.requests == 0)
                #expect(stack.backup.requests == 0)
            }
        }
    }
}
