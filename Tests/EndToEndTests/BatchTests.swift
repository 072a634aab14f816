import Completions
import Foundation
import Kafka
import Simulator
import Testing
import UnderstudyTesting

extension EndToEnd {
    /// The batch lane in the real worker, on Tansu, against the simulator's Message Batches API
    /// over HTTP: jobs that can wait go to provider batches at half price, and fall back to
    /// realtime when a batch is late, errs or expires.
    @Suite(.serialized, .timeLimit(.minutes(6)))
    struct BatchTests {
        static let route = "claude-sonnet-4-5"

        /// A stack whose workload batches on the primary's batch API.
        static func configure(
            _ stack: inout Stack, deadlineMs: Int = 43_200_000, minDeadlineMs: Int = 3_600_000, marginMs: Int = 900_000,
            flushAfterJobs: Int = 100, flushAfterMs: Int = 500, pollMs: Int = 200
        ) {
            stack.config.policy = "{max_attempts: 4, attempt_timeout_ms: 5000, deadline_ms: \(deadlineMs)}"
            stack.config.limits = "{max_deadline_ms: 86400000}"
            stack.config.batch =
                "{routes: [{provider: claude-direct, model: \(route)}], min_deadline_ms: \(minDeadlineMs), flush_after_jobs: \(flushAfterJobs), "
                + "flush_after_ms: \(flushAfterMs), realtime_margin_ms: \(marginMs), poll_interval_ms: \(pollMs)}"
        }

        static func produce(_ stack: Stack, count: Int, prefix: String, deadlineMs: Int? = nil) async throws {
            let extra = deadlineMs.map { ",\"routing\":{\"deadline_ms\":\($0)}" } ?? ""
            let records = (0..<count).map { index in
                let id = "\(prefix)-\(index)"
                return KafkaRecord(topic: stack.config.topics.jobs, key: Array(id.utf8), value: Array(JobFactory.json(id: id, extra: extra).utf8))
            }
            try await JobFactory.produce(records, bootstrapServers: stack.bootstrap)
        }

        /// The realtime price of a result's usage on the batch route.
        static func realtimeCost(_ result: [String: Any]) -> Double {
            let usage = result["usage"] as? [String: Int] ?? [:]
            let tokens = CompletionResponse.Usage(
                inputTokens: usage["input_tokens"] ?? 0, outputTokens: usage["output_tokens"] ?? 0,
                cacheReadTokens: usage["cache_read_tokens"] ?? 0, cacheWriteTokens: usage["cache_write_tokens"] ?? 0)
            return PriceTable.defaults.cost(of: tokens, model: route)
        }

        @Test("jobs with long deadlines go to provider batches at half the realtime cost; a job whose deadline is too short never does")
        func longDeadlinesAreBatched() async throws {
            try await withStack { stack in
                Self.configure(&stack)
                stack.primary.simulator.setBatchScript(BatchScript(processingMs: 1_500))
                let worker = try await stack.startWorker()
                try await Self.produce(stack, count: 200, prefix: "long")
                try await Self.produce(stack, count: 20, prefix: "short", deadlineMs: 60_000)
                let results = try await stack.results(distinct: 220, idle: .seconds(30)).map { jsonObject($0.value) }
                let telemetry = try await stack.read(stack.config.topics.telemetry, idle: .seconds(2))
                #expect(await worker.process.stop() == 0)

                let byID = Dictionary(results.map { ($0["job_id"] as? String ?? "", $0) }) { first, _ in first }
                try #require(byID.count == 220, "\(byID.count) distinct results")
                let long = byID.filter { $0.key.hasPrefix("long-") }.values
                let short = byID.filter { $0.key.hasPrefix("short-") }.values
                #expect(long.allSatisfy { $0["mode"] as? String == "batch" && $0["status"] as? String == "succeeded" })
                #expect(short.allSatisfy { $0["mode"] as? String == "realtime" })
                for result in long {
                    let cost = result["cost_usd"] as? Double ?? -1
                    #expect(abs(cost - Self.realtimeCost(result) / 2) < 1e-9, "batch cost \(cost) against realtime \(Self.realtimeCost(result))")
                    #expect((result["served_by"] as? [String: Any])?["provider"] as? String == "claude-direct")
                }
                let tally = stack.primary.simulator.batchTally
                #expect(tally.requests == 200 && tally.resubmittedIDs == 0, "\(tally)")
                let events = telemetry.map { jsonObject($0.value) }
                let batchEvents = events.filter { $0["event"] as? String == "batch" }
                #expect(batchEvents.contains { $0["state"] as? String == "submitted" })
                #expect(batchEvents.contains { $0["state"] as? String == "ended" })
                let batchAttempts = events.filter { $0["event"] as? String == "attempt" && $0["mode"] as? String == "batch" }
                #expect(batchAttempts.count == 200)
                #expect(try SchemaCheck.failures(telemetry.map(\.value), schema: "telemetry") == [])
                let resultBytes = try results.map { Array(try JSONSerialization.data(withJSONObject: $0)) }
                #expect(try SchemaCheck.failures(resultBytes, schema: "result") == [])
            }
        }
    }
}
