import Foundation
import Kafka
import Simulator
import Testing
import UnderstudyTesting

#if canImport(Glibc)
    import Glibc
#endif

/// What a hostile producer and a misbehaving provider send, through the real worker binary:
/// the worker stays up, every message ends as exactly one result or one dead letter, and the
/// group's commits reach the end of every partition.
extension EndToEnd {
    @Suite(.serialized, .timeLimit(.minutes(5)))
    struct HostileInputTests {
        /// One message per hostile case, keyed `h-N`; a job's id starts with its key (`h-N~...`).
        static func hostileRecords(topic: String) -> [KafkaRecord] {
            let input = #"{"system":"Summarize.","messages":[{"role":"user","content":"A short ticket about invoices."}],"max_tokens":200"#
            func job(_ key: String, id: String? = nil, input extraInput: String = "", extra: String = "") -> [UInt8] {
                Array(#"{"id":"\#(id ?? key)","workload":"support-summaries","input":\#(input)\#(extraInput)}\#(extra)}"#.utf8)
            }
            func schema(_ schema: String) -> String { #","response_format":{"type":"json_schema","schema":\#(schema)}"# }
            let values: [[UInt8]] = [
                job("h-0", input: schema(#"{"type":"string","minLength":1e300}"#)),
                job("h-1", input: schema(#"{"type":"string","maxLength":-1e300}"#)),
                job("h-2", input: schema(#"{"type":"array","minItems":1e300,"maxItems":-1e308}"#)),
                job(
                    "h-3", input: schema(#"{"type":"object","properties":{"summary":{"type":"string","maxLength":-1}}}"#),
                    extra: #","routing":{"routes":[{"provider":"offline","model":"extractive"}]}"#
                ),
                job("h-4", id: "h-4~" + String(repeating: "x", count: 10_000)),
                job("h-5", extra: #","policy":{"max_attempts":100,"deadline_ms":9007199254740993,"attempt_timeout_ms":1e300}"#),
                Array(#"{"id":"h-6","workload":"#.utf8),
                [0xFF, 0xFE, 0x7B, 0x22, 0xC0, 0x80],
                Array(String(repeating: "[", count: 100_000).utf8),
                Array(#"{"id":"h-9","workload":"support-summaries","input":{"messages":[{"role":"user","content":"x"}],"max_tokens":1e308}}"#.utf8),
                [],
                job("h-11", extra: #","metadata":{"blob":"\#(String(repeating: "m", count: 200_000))"}"#),
                Array(#"{"id":"h-12","id":"h-12","workload":"support-summaries","input":{"messages":[{"role":"user","content":"x"}]}}"#.utf8),
                job("h-13", input: schema(String(repeating: #"{"items":"#, count: 5_000) + "true" + String(repeating: "}", count: 5_000))),
            ]
            return values.enumerated().map { index, value in
                KafkaRecord(topic: topic, key: Array("h-\(index)".utf8), value: value)
            }
        }

        @Test("hostile jobs and a provider's 300 KB error pages: the worker stays up, one outcome per message, commits reach the end")
        func hostileTopic() async throws {
            try await withStack { stack in
                stack.config.providers["offline"] = "{type: extractive}"
                stack.config.routes.append("offline/extractive")
                // Every primary call fails with a 300 KB error page; the backup answers.
                stack.primary.setMode(SimulatorMode(fault: .error, status: 503, errorMessageBytes: 300_000))
                let worker = try await stack.startWorker()
                let hostile = Self.hostileRecords(topic: stack.config.topics.jobs)
                try await JobFactory.produce(hostile, bootstrapServers: stack.bootstrap)
                try await stack.produceJobs(200, prefix: "ok")
                let total = hostile.count + 200

                // Wait for every message to be accounted for, as a result or a dead letter.
                var outcomes: [String: Int] = [:]
                var deadLetters: [KafkaMessage] = []
                let settled = await eventually(timeout: .seconds(90)) {
                    let results = (try? await stack.read(stack.config.topics.results, idle: .seconds(1))) ?? []
                    deadLetters = (try? await stack.read(stack.config.topics.deadLetter, idle: .seconds(1))) ?? []
                    outcomes = [:]
                    for message in results {
                        let id = jobID(message)
                        outcomes[String(id.prefix { $0 != "~" }), default: 0] += 1
                    }
                    for message in deadLetters { outcomes[String(decoding: message.key ?? [], as: UTF8.self), default: 0] += 1 }
                    return outcomes.count >= total
                }
                #expect(settled, "every message has an outcome: \(outcomes.count) of \(total)")
                #expect(worker.process.isRunning, "the worker is still up")
                let expected = Set((0..<hostile.count).map { "h-\($0)" } + (0..<200).map { "ok-\($0)" })
                #expect(Set(outcomes.keys) == expected)
                for (key, count) in outcomes where count != 1 { Issue.record("\(key) has \(count) outcomes") }

                let committed = await eventually(timeout: .seconds(20)) {
                    let offsets =
                        (try? await TopicReader.committed(
                            group: stack.config.group, topic: stack.config.topics.jobs, partitions: stack.config.partitions,
                            bootstrapServers: stack.bootstrap
                        )) ?? [:]
                    return offsets.values.reduce(0, +) == Int64(total)
                }
                #expect(committed, "the group's committed offsets reach the end of every partition")
                #expect(await worker.process.stop() == 0)
                #expect(!worker.output().contains("Fatal error"), "no trap")
            }
        }

        @Test("SIGTERM during a total outage: the worker exits within the grace plus a few seconds, committing only finished jobs")
        func sigtermDuringOutage() async throws {
            try await withStack { stack in
                stack.config.shutdownGraceSeconds = 3
                stack.config.maxInFlight = 8
                stack.config.policy = "{max_attempts: 4, attempt_timeout_ms: 600000, deadline_ms: 600000}"
                stack.primary.setMode(SimulatorMode(fault: .blackhole))
                stack.backup.setMode(SimulatorMode(fault: .blackhole))
                let worker = try await stack.startWorker()
                try await stack.produceJobs(5, prefix: "done")
                // Let nothing finish: every slot waits on a provider that never answers, and the
                // consume loop waits for a slot with more jobs queued behind.
                try await stack.produceJobs(100, prefix: "stuck")
                let busy = await eventually(timeout: .seconds(30)) { stack.primary.requests >= 8 }
                #expect(busy, "every slot is taken")
                let stopStarted = ContinuousClock.now
                let code = await worker.process.stop(grace: .seconds(20))
                let took = ContinuousClock.now - stopStarted
                #expect(code == 0, "a graceful exit")
                #expect(took < .seconds(3 + 8), "exited in \(took), grace 3 s")
                let committed = try await TopicReader.committed(
                    group: stack.config.group, topic: stack.config.topics.jobs, partitions: stack.config.partitions, bootstrapServers: stack.bootstrap
                )
                let results = try await stack.read(stack.config.topics.results, idle: .seconds(2))
                #expect(committed.values.reduce(0) { $0 + max(0, $1) } <= Int64(results.count), "nothing committed without its result: \(committed)")
            }
        }

        @Test(
            "a broker frozen for longer than the session timeout part-way through a batch: every job gets its result afterwards, within the duplicate bound"
        )
        func frozenBroker() async throws {
            try await withStack { stack in
                stack.primary.setMode(SimulatorMode(latency: .init(ms: 20)))
                let worker = try await stack.startWorker()
                try await stack.produceJobs(1_500)
                _ = await eventually(timeout: .seconds(60)) { stack.primary.requests >= 300 }
                // The session timeout is 6 s in the test config: 9 s loses the partitions.
                stack.broker.freeze()
                try await Task.sleep(for: .seconds(9))
                stack.broker.thaw()
                let results = try await stack.results(distinct: 1_500, idle: .seconds(30))
                let ids = results.map(jobID)
                #expect(Set(ids).count == 1_500, "every job got its result after the freeze: \(Set(ids).count)")
                #expect(worker.process.isRunning, "the worker is still up")
                let duplicates = ids.count - Set(ids).count
                #expect(duplicates <= stack.config.maxInFlight * 2, "\(duplicates) duplicates")
                print("frozen broker: \(duplicates) duplicate results after a 9 s freeze")
                #expect(await worker.process.stop() == 0)
            }
        }
    }
}
