import Completions
import Foundation
import Kafka
import Simulator
import Testing
import UnderstudyTesting
import Worker

extension EndToEndAlone {
    /// Shadow traffic in the real worker, on Tansu, with the live and shadow routes as simulators
    /// over real HTTP.
    @Suite(.serialized, .timeLimit(.minutes(5)))
    struct ShadowTests {
        @Test("shadow at rate 0.1 over 1,000 jobs: one shadow event per sampled job and backup, results unchanged")
        func sampledShadowCalls() async throws {
            let other = try await SimulatedProvider.start(mode: SimulatorMode(fault: .reshaped))
            do {
                try await withStack { stack in
                    stack.config.providers["other"] = "{type: anthropic, base_url: \"\(other.baseURL)\", api_key_env: TEST_BACKUP_KEY}"
                    stack.config.routes.append("other/claude-sonnet-4-5")
                    // Room for every job at once: no live job ever waits for a slot, so no sampled job is skipped.
                    stack.config.maxInFlight = 1_024
                    stack.config.shadow = "{sample_rate: 0.1, max_in_flight: 1024}"
                    // A thousand calls start at once: a slow machine must not turn them into timeouts
                    // (and failovers) that this test is not about.
                    stack.config.policy = "{max_attempts: 4, attempt_timeout_ms: 30000, deadline_ms: 120000}"
                    let worker = try await stack.startWorker()
                    try await stack.produceJobs(1_000)
                    let results = try await stack.results(distinct: 1_000)
                    let ids = (0..<1_000).map { "job-\($0)" }
                    let sampled = Set(ids.filter { ShadowSampler.isSampled($0, rate: 0.1) })
                    // The sample itself: binomial(1000, 0.1) has mean 100 and standard deviation 9.5.
                    #expect((62...138).contains(sampled.count), "\(sampled.count) jobs sampled")

                    var shadow: [[String: Any]] = []
                    for _ in 0..<30 where shadow.count < 2 * sampled.count {
                        let telemetry = try await stack.read(stack.config.topics.telemetry, idle: .seconds(2))
                        shadow = telemetry.map { jsonObject($0.value) }.filter { $0["event"] as? String == "shadow" }
                        if shadow.count < 2 * sampled.count { try await Task.sleep(for: .milliseconds(500)) }
                    }
                    #expect(await worker.process.stop() == 0)

                    // Results: every job once, served by the primary in one attempt, as without shadow.
                    #expect(Set(results.map(jobID)) == Set(ids))
                    let changed = results.filter { message in
                        let result = jsonObject(message.value)
                        return result["status"] as? String != "succeeded" || result["attempts"] as? Int != 1
                            || (result["served_by"] as? [String: Any])?["provider"] as? String != "claude-direct"
                    }
                    #expect(
                        changed.isEmpty,
                        "\(changed.count) results not served by the primary in one attempt, such as \(changed.prefix(2).map { String(decoding: $0.value, as: UTF8.self) }); the worker's log ends: \(worker.output().suffix(3_000))"
                    )
                    #expect(try SchemaCheck.failures(results.map(\.value), schema: "result") == [])

                    // Shadow events: exactly the sampled jobs, once per shadow route.
                    func events(_ provider: String) -> [[String: Any]] {
                        shadow.filter { ($0["backup"] as? [String: Any])?["provider"] as? String == provider }
                    }
                    let twin = events("claude-azure")
                    let reshaped = events("other")
                    #expect(Set(twin.compactMap { $0["job_id"] as? String }) == sampled)
                    #expect(Set(reshaped.compactMap { $0["job_id"] as? String }) == sampled)
                    #expect(twin.allSatisfy { $0["shape_matches"] as? Bool == true && ($0["similarity"] as? Double ?? 0) > 0.9 })
                    #expect(reshaped.allSatisfy { ($0["similarity"] as? Double ?? 1) < 0.6 }, "the reshaped answers say little of the primary's")
                    #expect(shadow.allSatisfy { ($0["primary"] as? [String: Any])?["provider"] as? String == "claude-direct" })
                    let bytes = try shadow.map { Array(try JSONSerialization.data(withJSONObject: $0)) }
                    #expect(try SchemaCheck.failures(bytes, schema: "telemetry") == [])
                    // Shadow calls are not the job's attempts: no attempt event names a shadow route.
                    let telemetry = try await stack.read(stack.config.topics.telemetry, idle: .seconds(1)).map { jsonObject($0.value) }
                    #expect(!telemetry.contains { $0["event"] as? String == "attempt" && $0["provider"] as? String != "claude-direct" })
                    #expect(stack.backup.requests == twin.count)

                    // The same judgement from the live sample: compare --from-telemetry passes the
                    // twin and fails the reshaped backup, naming what it breached.
                    let configPath = try writeTemporary(stack.config.yaml, name: "config.yaml")
                    let out = (configPath as NSString).deletingLastPathComponent + "/live-report"
                    let run = try await understudy(
                        [
                            "compare", "--config", configPath, "--workload", "support-summaries", "--from-telemetry", "--since", "1h",
                            "--idle-seconds", "2", "--out", out,
                        ],
                        environment: Stack.environment)
                    #expect(run.status == 1, "\(run.output)")
                    #expect(run.output.contains("shadow events of \(sampled.count) jobs"), "\(run.output)")
                    let lastLine = run.output.split(separator: "\n").last.map(String.init) ?? ""
                    #expect(lastLine.hasPrefix("other/claude-sonnet-4-5 breached"), "\(lastLine)")
                    #expect(lastLine.contains("min_similarity") && !lastLine.contains("claude-azure/"), "\(lastLine)")
                    let json = try #require(FileManager.default.contents(atPath: out + "/report.json"))
                    #expect(try SchemaCheck.failures([Array(json)], schema: "compare-report") == [])
                    let report = try JSONParser.parse(Array(json))
                    #expect(report["jobs"] == .number(Double(sampled.count)))
                }
            } catch {
                Issue.record("\(error)")
            }
            await other.stop()
        }

        @Test("with the shadow route down, shadow calls stop once its breaker opens, and live jobs are untouched")
        func shadowRouteDown() async throws {
            try await withStack { stack in
                stack.backup.setMode(.error(503))
                stack.config.maxInFlight = 1_024
                stack.config.shadow = "{sample_rate: 1.0, max_in_flight: 4}"
                stack.config.engine = "{breaker_failures: 5, breaker_cooldown_ms: 60000, breaker_max_cooldown_ms: 60000}"
                stack.config.policy = "{max_attempts: 4, attempt_timeout_ms: 5000, deadline_ms: 60000, backoff_base_ms: 1, backoff_cap_ms: 5}"
                let worker = try await stack.startWorker()
                try await stack.produceJobs(300)
                let results = try await stack.results(distinct: 300)
                let telemetry = try await stack.read(stack.config.topics.telemetry, idle: .seconds(2)).map { jsonObject($0.value) }
                #expect(await worker.process.stop() == 0)

                #expect(Set(results.map(jobID)).count == 300)
                for result in results.map({ jsonObject($0.value) }) {
                    #expect(result["status"] as? String == "succeeded")
                    #expect((result["served_by"] as? [String: Any])?["provider"] as? String == "claude-direct")
                    #expect(result["attempts"] as? Int == 1)
                }
                // Five failures open the shadow breaker; after that, only the calls already in flight
                // (at most max_in_flight, a retry each) reach the route: none of the other ~290 jobs.
                #expect(stack.backup.requests <= 5 + 2 * 4, "\(stack.backup.requests) calls reached the down shadow route")
                let shadow = telemetry.filter { $0["event"] as? String == "shadow" }
                #expect(!shadow.isEmpty && shadow.count <= 5 + 4)
                #expect(shadow.allSatisfy { ($0["backup"] as? [String: Any])?["outcome"] as? String == "overloaded" })
                // The live breaker never opened: no circuit event, no live attempt on the backup.
                #expect(!telemetry.contains { $0["event"] as? String == "circuit" })
            }
        }
    }
}
