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

        /// A stack whose workload batches on an `openai` provider (`gpt`, the backup simulator).
        static func configureOpenAI(_ stack: inout Stack, deadlineMs: Int = 43_200_000, minDeadlineMs: Int = 3_600_000, marginMs: Int = 900_000) {
            configure(&stack, deadlineMs: deadlineMs, minDeadlineMs: minDeadlineMs, marginMs: marginMs)
            stack.config.providers["gpt"] = "{type: openai, base_url: \"\(stack.backup.baseURL)\", api_key_env: TEST_BACKUP_KEY}"
            stack.config.batch = stack.config.batch.replacingOccurrences(
                of: "{provider: claude-direct, model: \(route)}", with: "{provider: gpt, model: gpt-4o-mini}")
        }

        static func produce(_ stack: Stack, count: Int, prefix: String, deadlineMs: Int? = nil) async throws {
            let extra = deadlineMs.map { ",\"routing\":{\"deadline_ms\":\($0)}" } ?? ""
            let records = (0..<count).map { index in
                let id = "\(prefix)-\(index)"
                return KafkaRecord(topic: stack.config.topics.jobs, key: Array(id.utf8), value: Array(JobFactory.json(id: id, extra: extra).utf8))
            }
            try await JobFactory.produce(records, bootstrapServers: stack.bootstrap)
        }

        /// A result's or an attempt event's `mode`: absent means realtime.
        static func mode(_ object: [String: Any]) -> String {
            object["mode"] as? String ?? "realtime"
        }

        /// The realtime price of a result's usage on the batch route.
        static func realtimeCost(_ result: [String: Any]) -> Double {
            let usage = result["usage"] as? [String: Int] ?? [:]
            let tokens = CompletionResponse.Usage(
                inputTokens: usage["input_tokens"] ?? 0, outputTokens: usage["output_tokens"] ?? 0,
                cacheReadTokens: usage["cache_read_tokens"] ?? 0, cacheWriteTokens: usage["cache_write_tokens"] ?? 0)
            return PriceTable.defaults.cost(of: tokens, model: route)
        }

        @Test(
            "a budgeted workload's batch jobs pass its gate: once the first batch's answers fill the window, later batch jobs wait in the deferred topic and no batch is submitted for them"
        )
        func budgetedBatchJobsWait() async throws {
            try await withStack { stack in
                Self.configure(&stack, flushAfterJobs: 10)
                stack.config.partitions = 1
                // Room for one job's upper bound while nothing is spent, so all ten first jobs
                // enter a batch; its answers then fill the window (ten minutes: it does not roll
                // during the test).
                stack.config.budget = "{usd_per_window: 0.0065, window_ms: 600000}"
                stack.config.fleet = "{route_health: {enabled: false}}"
                stack.primary.simulator.setBatchScript(BatchScript(processingMs: 200))
                let worker = try await stack.startWorker()
                try await Self.produce(stack, count: 10, prefix: "first")
                let first = try await stack.results(distinct: 10, idle: .seconds(30)).map { jsonObject($0.value) }
                #expect(first.count == 10 && first.allSatisfy { Self.mode($0) == "batch" })

                try await Self.produce(stack, count: 5, prefix: "later")
                // Each waiting job is in the deferred topic (a worker that looks before the window
                // reopens puts it back, so a job may be there more than once).
                let deferred = try await stack.read("\(stack.config.group).deferred", count: 5, idle: .seconds(15))
                let waiting = Set(deferred.compactMap { jsonObject($0.value)["id"] as? String })
                #expect(waiting == Set((0..<5).map { "later-\($0)" }), "\(waiting)")
                #expect(deferred.allSatisfy { $0.headers.text("understudy.budget.not_before_ms") != nil })
                let results = try await stack.read(stack.config.topics.results, idle: .seconds(2))
                #expect(results.count == 10, "no result for a job that waits")
                let tally = stack.primary.simulator.batchTally
                #expect(tally.requests == 10 && tally.batches == 1, "\(tally)")
                #expect(stack.primary.requests == 0, "no realtime call either")
                #expect(await worker.process.stop() == 0)
            }
        }

        @Test(
            "jobs with long deadlines go to provider batches at half the realtime cost, a job whose deadline is too short never does, and a results file cut part-way is read again without publishing twice"
        )
        func longDeadlinesAreBatched() async throws {
            try await withStack { stack in
                Self.configure(&stack)
                // One partition, so batches fill to 100 jobs. Each batch's first results read is
                // reset after 80 lines: the first 64 (one delivery) are published from it, the
                // rest from the second read.
                stack.config.partitions = 1
                stack.primary.simulator.setBatchScript(BatchScript(processingMs: 1_500, cutResultsAfterLines: 80))
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
                #expect(short.allSatisfy { Self.mode($0) == "realtime" })
                for result in long {
                    #expect(Self.realtimeCost(result) > 0, "the simulator reports usage on batch answers")
                    let cost = result["cost_usd"] as? Double ?? -1
                    #expect(abs(cost - Self.realtimeCost(result) / 2) < 1e-9, "batch cost \(cost) against realtime \(Self.realtimeCost(result))")
                    #expect((result["served_by"] as? [String: Any])?["provider"] as? String == "claude-direct")
                }
                #expect(results.count == 220, "every job published once")
                let tally = stack.primary.simulator.batchTally
                #expect(tally.requests == 200 && tally.resubmittedIDs == 0, "\(tally)")
                #expect(tally.cutReads >= 1 && tally.resultReads > tally.cutReads, "\(tally)")
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

        @Test("requests that errored or expired inside a batch, and only those, run realtime")
        func erroredAndExpiredRunRealtime() async throws {
            try await withStack { stack in
                Self.configure(&stack)
                let errored = (0..<5).map { "mixed-\($0 * 7 + 3)" }
                let expired = (0..<5).map { "mixed-\($0 * 7 + 5)" }
                stack.primary.simulator.setBatchScript(BatchScript(processingMs: 1_000, erroredIDs: errored, expiredIDs: expired))
                // Metrics on: the lane's counters and gauge are kept and scraped.
                stack.config.httpListen = "127.0.0.1:0"
                let worker = try await stack.startWorker()
                let port = try await statusPort(of: worker)
                try await Self.produce(stack, count: 60, prefix: "mixed")
                let results = try await stack.results(distinct: 60, idle: .seconds(30)).map { jsonObject($0.value) }
                let telemetry = try await stack.read(stack.config.topics.telemetry, idle: .seconds(2)).map { jsonObject($0.value) }
                let metrics = try await statusGet(port, "/metrics").body
                #expect(await worker.process.stop() == 0)
                func count(_ outcome: String) -> Int? {
                    metrics.split(separator: "\n").first { $0.hasPrefix("understudy_batch_jobs_total{") && $0.contains("outcome=\"\(outcome)\"") }
                        .flatMap { $0.split(separator: " ").last }.flatMap { Int($0) }
                }
                #expect(count("entered") == 60 && count("submitted") == 60, "\(metrics.split(separator: "\n").filter { $0.contains("batch") })")
                #expect(count("served_batch") == 50 && count("served_realtime") == 10)
                #expect(metrics.contains("understudy_batches_open"))

                let byID = Dictionary(results.map { ($0["job_id"] as? String ?? "", $0) }) { first, _ in first }
                try #require(byID.count == 60)
                let realtime = Set(byID.filter { Self.mode($0.value) == "realtime" }.keys)
                #expect(realtime == Set(errored + expired))
                #expect(byID.values.allSatisfy { $0["status"] as? String == "succeeded" })
                // Each request that failed inside the batch has an attempt event of mode batch, named by its job.
                let failedInside = telemetry.filter {
                    $0["event"] as? String == "attempt" && $0["mode"] as? String == "batch" && $0["outcome"] as? String != "ok"
                }
                #expect(Set(failedInside.compactMap { $0["job_id"] as? String }) == Set(errored))
                let realtimeCalls = telemetry.filter { $0["event"] as? String == "attempt" && Self.mode($0) == "realtime" }
                #expect(Set(realtimeCalls.compactMap { $0["job_id"] as? String }) == Set(errored + expired))
            }
        }

        @Test("a batch still running at the jobs' deadline margin: every job is served realtime before its deadline, and the batch is cancelled")
        func lateBatchFallsBackAndIsCancelled() async throws {
            try await withStack { stack in
                // Ten-minute deadlines, batched when more than 597 s are left, and served realtime
                // from 592 s before the deadline: the margin comes eight seconds after each job was
                // enqueued. Produced once the worker holds its partitions, so each job is read
                // with more than 597 s left.
                Self.configure(&stack, deadlineMs: 600_000, minDeadlineMs: 597_000, marginMs: 592_000)
                stack.primary.simulator.setBatchScript(BatchScript(processingMs: nil))
                let worker = try await stack.startWorker()
                let joinedBy = ContinuousClock.now + .seconds(30)
                while !worker.output().contains("partitions assigned") && ContinuousClock.now < joinedBy {
                    try await Task.sleep(for: .milliseconds(50))
                }
                let enqueued = Date()
                try await Self.produce(stack, count: 40, prefix: "late")
                let results = try await stack.results(distinct: 40, idle: .seconds(30)).map { jsonObject($0.value) }
                var tally = stack.primary.simulator.batchTally
                let waitUntil = ContinuousClock.now + .seconds(20)
                while tally.cancelled < tally.batches && ContinuousClock.now < waitUntil {
                    try await Task.sleep(for: .milliseconds(100))
                    tally = stack.primary.simulator.batchTally
                }
                let telemetry = try await stack.read(stack.config.topics.telemetry, idle: .seconds(2)).map { jsonObject($0.value) }
                #expect(await worker.process.stop() == 0)

                let byID = Dictionary(results.map { ($0["job_id"] as? String ?? "", $0) }) { first, _ in first }
                try #require(byID.count == 40)
                #expect(tally.requests == 40, "every job went to a batch first: \(tally)")
                #expect(byID.values.allSatisfy { Self.mode($0) == "realtime" && $0["status"] as? String == "succeeded" })
                let completed = byID.values.compactMap { ($0["completed_at"] as? String).flatMap { try? Date($0, strategy: .iso8601) } }
                #expect(completed.count == 40 && completed.allSatisfy { $0.timeIntervalSince(enqueued) < 600 })
                #expect(tally.batches >= 1 && tally.cancelled == tally.batches, "\(tally)")
                let cancelled = telemetry.filter { $0["event"] as? String == "batch" && $0["state"] as? String == "cancelled" }
                #expect(cancelled.count == tally.batches)
            }
        }

        @Test(
            "5,000 jobs with 12-hour deadlines, the worker killed twice while batches are open: nothing lost, nothing submitted twice, each result published once"
        )
        func killedTwiceLosesNothing() async throws {
            try await withStack { stack in
                Self.configure(&stack, flushAfterJobs: 1_000, flushAfterMs: 1_000, pollMs: 500)
                stack.config.delivery = "exactly_once"
                // Open long enough that both kills find batches running.
                stack.primary.simulator.setBatchScript(BatchScript(processingMs: 25_000))
                func submitted(_ worker: WorkerProcess) -> Int {
                    worker.output().split(separator: "\n").filter { $0.contains("batch submitted") }.reduce(0) { sum, line in
                        guard let range = line.range(of: #"jobs[=":]+(\d+)"#, options: .regularExpression) else { return sum }
                        return sum + (Int(line[range].filter(\.isNumber)) ?? 0)
                    }
                }
                func waitForSubmitted(_ worker: WorkerProcess, _ count: Int) async throws {
                    let deadline = ContinuousClock.now + .seconds(90)
                    while submitted(worker) < count && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
                    try #require(submitted(worker) == count, "\(submitted(worker)) of \(count) submitted: \(worker.output().suffix(2_000))")
                }
                let first = try await stack.startWorker(name: "first")
                try await Self.produce(stack, count: 2_500, prefix: "a")
                try await waitForSubmitted(first, 2_500)
                first.process.send(SIGKILL)
                _ = await first.process.waitForExit(timeout: .seconds(10))

                let second = try await stack.startWorker(name: "second")
                try await Self.produce(stack, count: 2_500, prefix: "b")
                try await waitForSubmitted(second, 2_500)
                second.process.send(SIGKILL)
                _ = await second.process.waitForExit(timeout: .seconds(10))

                let third = try await stack.startWorker(name: "third")
                let messages = try await stack.results(distinct: 5_000, idle: .seconds(60))
                #expect(await third.process.stop() == 0)

                let results = messages.map { jsonObject($0.value) }
                let ids = results.compactMap { $0["job_id"] as? String }
                #expect(Set(ids).count == 5_000)
                #expect(ids.count == 5_000, "each result once: \(ids.count - Set(ids).count) duplicates")
                #expect(results.allSatisfy { $0["mode"] as? String == "batch" })
                #expect(results.allSatisfy { abs(($0["cost_usd"] as? Double ?? -1) - Self.realtimeCost($0) / 2) < 1e-9 })
                let tally = stack.primary.simulator.batchTally
                #expect(tally.requests == 5_000 && tally.resubmittedIDs == 0, "\(tally)")
            }
        }

        @Test("an openai batch route: the JSONL goes up through the Files API, and the answers come back as batch results at half price")
        func openAIBatchRoute() async throws {
            try await withStack { stack in
                Self.configureOpenAI(&stack)
                // The output file's first read is reset part-way; the second is whole.
                stack.backup.simulator.setBatchScript(BatchScript(processingMs: 500, cutResultsAfterLines: 5))
                let worker = try await stack.startWorker()
                try await Self.produce(stack, count: 50, prefix: "gpt")
                let results = try await stack.results(distinct: 50, idle: .seconds(30)).map { jsonObject($0.value) }
                // Once a batch closes, its input and output files are deleted at the provider.
                for _ in 0..<300 {
                    let tally = stack.backup.simulator.batchTally
                    if tally.filesHeld == 0 && tally.filesDeleted >= 2 * tally.batches { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(await worker.process.stop() == 0)
                try #require(Set(results.compactMap { $0["job_id"] as? String }).count == 50)
                for result in results {
                    #expect(result["mode"] as? String == "batch")
                    #expect((result["served_by"] as? [String: Any])?["provider"] as? String == "gpt")
                    let usage = result["usage"] as? [String: Int] ?? [:]
                    let realtime = PriceTable.defaults.cost(
                        of: .init(inputTokens: usage["input_tokens"] ?? 0, outputTokens: usage["output_tokens"] ?? 0), model: "gpt-4o-mini")
                    #expect(realtime > 0 && abs((result["cost_usd"] as? Double ?? -1) - realtime / 2) < 1e-9)
                }
                #expect(results.count == 50, "every job published once")
                let tally = stack.backup.simulator.batchTally
                #expect(tally.requests == 50 && tally.cutReads >= 1, "\(tally)")
                #expect(tally.filesHeld == 0 && tally.filesDeleted == 2 * tally.batches, "input and output file of each batch: \(tally)")
                #expect(!worker.output().contains("sk-test-backup-1111"))
            }
        }

        @Test("an upload that got no answer created no batch: its jobs are submitted again in a batch, not run realtime")
        func droppedUploadIsSubmittedAgain() async throws {
            try await withStack { stack in
                Self.configureOpenAI(&stack)
                stack.backup.simulator.setBatchScript(BatchScript(processingMs: 300, dropUploads: 1))
                let worker = try await stack.startWorker()
                try await Self.produce(stack, count: 30, prefix: "dropped")
                let results = try await stack.results(distinct: 30, idle: .seconds(30)).map { jsonObject($0.value) }
                #expect(await worker.process.stop() == 0)
                #expect(Set(results.compactMap { $0["job_id"] as? String }).count == 30)
                #expect(results.allSatisfy { Self.mode($0) == "batch" }, "\(results.map { Self.mode($0) })")
                let tally = stack.backup.simulator.batchTally
                #expect(tally.droppedUploads == 1 && tally.requests == 30 && tally.resubmittedIDs == 0, "\(tally)")
                #expect(stack.primary.simulator.stats().totalRequests + stack.backup.simulator.stats().totalRequests == 0, "no realtime call")
            }
        }

        @Test(
            "an openai batch cancelled at the deadline margin: its files are deleted once it stops cancelling, the error file with the input"
        )
        func cancelledBatchFilesAreDeleted() async throws {
            try await withStack { stack in
                // Ten-minute deadlines, batched when read within 8 s, served realtime 15 s after
                // they were enqueued. The cancelled batch stays `cancelling` for 2 s, no files yet.
                Self.configureOpenAI(&stack, deadlineMs: 600_000, minDeadlineMs: 592_000, marginMs: 585_000)
                stack.backup.simulator.setBatchScript(BatchScript(processingMs: nil, cancellingMs: 2_000))
                let worker = try await stack.startWorker()
                let joinedBy = ContinuousClock.now + .seconds(30)
                while !worker.output().contains("partitions assigned") && ContinuousClock.now < joinedBy {
                    try await Task.sleep(for: .milliseconds(50))
                }
                try await Self.produce(stack, count: 20, prefix: "cancelled")
                let results = try await stack.results(distinct: 20, idle: .seconds(30)).map { jsonObject($0.value) }
                var tally = stack.backup.simulator.batchTally
                let waitUntil = ContinuousClock.now + .seconds(30)
                while (tally.cancelled < tally.batches || tally.filesHeld > 0 || tally.filesDeleted < 2 * tally.batches)
                    && ContinuousClock.now < waitUntil
                {
                    try await Task.sleep(for: .milliseconds(100))
                    tally = stack.backup.simulator.batchTally
                }
                #expect(await worker.process.stop() == 0)
                #expect(Set(results.compactMap { $0["job_id"] as? String }).count == 20)
                #expect(results.allSatisfy { Self.mode($0) == "realtime" })
                #expect(tally.batches >= 1 && tally.cancelled == tally.batches, "\(tally)")
                #expect(tally.filesHeld == 0 && tally.filesDeleted == 2 * tally.batches, "input and error file of each: \(tally)")
            }
        }

        @Test("a batch the provider fails as a whole: every job in it is served realtime, and a failed batch event says so")
        func wholeBatchFailureRunsRealtime() async throws {
            try await withStack { stack in
                Self.configureOpenAI(&stack)
                stack.backup.simulator.setBatchScript(BatchScript(processingMs: 300, failBatch: true))
                let worker = try await stack.startWorker()
                try await Self.produce(stack, count: 30, prefix: "doomed")
                let results = try await stack.results(distinct: 30, idle: .seconds(30)).map { jsonObject($0.value) }
                let telemetry = try await stack.read(stack.config.topics.telemetry, idle: .seconds(2)).map { jsonObject($0.value) }
                #expect(await worker.process.stop() == 0)
                #expect(Set(results.compactMap { $0["job_id"] as? String }).count == 30)
                #expect(results.allSatisfy { Self.mode($0) == "realtime" && $0["status"] as? String == "succeeded" })
                #expect(telemetry.contains { $0["event"] as? String == "batch" && $0["state"] as? String == "failed" })
                #expect(stack.backup.simulator.batchTally.requests == 30)
            }
        }
    }
}
