import Foundation
import Kafka
import Testing
import UnderstudyTesting

extension EndToEndTools {
    /// Spend budgets on the real worker binary and Tansu: jobs over the cap wait in the deferred
    /// topic, not failed, and two workers keep one cap.
    @Suite(.serialized, .timeLimit(.minutes(4)))
    struct BudgetTests {
        /// A result's cost and completion instant (milliseconds since the epoch), and its status.
        struct Finished {
            var id: String
            var costUSD: Double
            var completedMs: Int64
            var status: String
            var errorClass: String?
        }

        static func finished(_ message: KafkaMessage) -> Finished {
            let object = jsonObject(message.value)
            let completed = (object["completed_at"] as? String).flatMap { ISO8601DateFormatter.withFraction.date(from: $0) }
            return Finished(
                id: object["job_id"] as? String ?? "", costUSD: object["cost_usd"] as? Double ?? 0,
                completedMs: Int64((completed?.timeIntervalSince1970 ?? 0) * 1_000), status: object["status"] as? String ?? "",
                errorClass: (object["error"] as? [String: Any])?["class"] as? String)
        }

        @Test(
            "a cap that 300 jobs exceed: the first jobs run, the rest wait in the deferred topic with no provider call and no failed result, and all finish as windows roll; two workers together stay under the one cap"
        )
        func waitsAndStaysUnderCap() async throws {
            let windowMs: Int64 = 3_000
            let cap = 0.15
            try await withStack { stack in
                stack.config.partitions = 4
                stack.config.policy = "{max_attempts: 2, attempt_timeout_ms: 5000, deadline_ms: 120000}"
                stack.config.budget = "{usd_per_window: \(cap), window_ms: \(windowMs)}"
                stack.config.fleet = "{route_health: {enabled: false}}"
                stack.config.httpListen = "127.0.0.1:0"
                let first = try await stack.startWorker(name: "b1")
                let second = try await stack.startWorker(name: "b2")
                let started = Int64(Date().timeIntervalSince1970 * 1_000)
                try await stack.produceJobs(300, prefix: "capped")
                // While jobs wait, the metrics show the window's spend, the cap and the jobs waiting
                // (polled until seen: the jobs wait over several windows, however slow the start).
                let port = try await statusPort(of: first)
                var sawWaiting = false
                var sawCap = false
                for _ in 0..<600 where !sawWaiting {
                    let text = try await statusGet(port, "/metrics").body
                    sawCap = sawCap || sample(text, #"understudy_budget_cap_usd{workload="support-summaries",window="window"}"#) == cap
                    sawWaiting = (sample(text, #"understudy_budget_jobs_waiting{workload="support-summaries"}"#) ?? 0) > 0
                    if !sawWaiting { try await Task.sleep(for: .milliseconds(100)) }
                }
                #expect(sawCap)
                #expect(sawWaiting, "the metrics showed jobs waiting")
                let results = try await stack.results(distinct: 300, idle: .seconds(40)).map(Self.finished)
                let byID = Dictionary(results.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
                #expect(byID.count == 300)
                #expect(byID.values.allSatisfy { $0.status == "succeeded" }, "no job failed while it waited")
                // Each job called a provider once: none was called while it waited.
                #expect(stack.primary.requests + stack.backup.requests == 300, "primary \(stack.primary.requests), backup \(stack.backup.requests)")

                // Per window (aligned on the epoch, as the workers count it), the two workers' spend stays under the cap.
                var perWindow: [Int64: Double] = [:]
                for result in byID.values { perWindow[result.completedMs / windowMs, default: 0] += result.costUSD }
                let total = perWindow.values.reduce(0, +)
                print(
                    "budget: 300 jobs, \(total) USD over \(perWindow.count) windows of \(windowMs) ms (cap \(cap)); per window: \(perWindow.sorted { $0.key < $1.key }.map { String(format: "%.4f", $0.value) })"
                )
                for (window, spent) in perWindow { #expect(spent <= cap + 1e-9, "window \(window): \(spent) USD over the cap \(cap)") }
                #expect(total > cap, "the run must need more than one window's cap")
                #expect(perWindow.count >= 2)
                let lastMs = byID.values.map(\.completedMs).max() ?? started
                #expect(lastMs / windowMs > started / windowMs, "the last jobs finished after a window rolled")

                // They waited in Kafka: the deferred topic holds them, with their marks.
                let deferred = try await stack.read("\(stack.config.group).deferred", idle: .seconds(2))
                #expect(!deferred.isEmpty)
                #expect(deferred.allSatisfy { $0.headers.text("understudy.budget.not_before_ms") != nil })
                // The telemetry says when the window filled, with spend and cap.
                let telemetry = try await stack.read(stack.config.topics.telemetry, idle: .seconds(2))
                let budgetEvents = telemetry.map { jsonObject($0.value) }.filter { $0["event"] as? String == "budget" }
                #expect(budgetEvents.contains { $0["state"] as? String == "exhausted" && $0["cap_usd"] as? Double == cap })
                #expect(budgetEvents.contains { $0["state"] as? String == "reopened" })
                #expect(await first.process.stop(grace: .seconds(20)) == 0)
                #expect(await second.process.stop(grace: .seconds(20)) == 0)
            }
        }

        @Test("a job whose deadline comes while it waits fails as budget_exhausted at its deadline, not before, and with no provider call")
        func exhaustedAtDeadline() async throws {
            try await withStack { stack in
                stack.config.partitions = 1
                stack.config.policy = "{max_attempts: 2, attempt_timeout_ms: 2000, deadline_ms: 3000}"
                // About one job's upper bound per ten minutes.
                stack.config.budget = "{usd_per_window: 0.006, window_ms: 600000}"
                stack.config.fleet = "{route_health: {enabled: false}}"
                let worker = try await stack.startWorker(name: "b")
                try await stack.produceJobs(5, prefix: "short")
                let jobs = try await stack.read(stack.config.topics.jobs, count: 5, idle: .seconds(5))
                let enqueued = Dictionary(
                    jobs.compactMap { message in
                        (jsonObject(message.value)["id"] as? String).map { ($0, message.timestampMilliseconds ?? 0) }
                    }, uniquingKeysWith: { first, _ in first })
                let results = try await stack.results(distinct: 5, idle: .seconds(15)).map(Self.finished)
                let succeeded = results.filter { $0.status == "succeeded" }
                let exhausted = results.filter { $0.errorClass == "budget_exhausted" }
                #expect(succeeded.count == 1, "\(results.map { "\($0.id): \($0.status) \($0.errorClass ?? "")" })")
                #expect(exhausted.count == 4)
                for result in exhausted {
                    let deadline = try #require(enqueued[result.id]) + 3_000
                    #expect(result.completedMs >= deadline, "\(result.id) failed \(deadline - result.completedMs) ms before its deadline")
                    #expect(result.completedMs < deadline + 3_000, "\(result.id) failed long after its deadline")
                }
                #expect(stack.primary.requests + stack.backup.requests == 1)
                #expect(await worker.process.stop(grace: .seconds(10)) == 0)
            }
        }

        @Test("a workload with its own jobs topic waits in it: over the cap its partition is paused, so jobs produced meanwhile are not even fetched")
        func ownTopicPauses() async throws {
            let windowMs: Int64 = 4_000
            try await withStack { stack in
                stack.config.partitions = 1
                stack.config.policy = "{max_attempts: 2, attempt_timeout_ms: 2000, deadline_ms: 120000}"
                // About two jobs' upper bound per window.
                stack.config.budget = "{usd_per_window: 0.012, window_ms: \(windowMs)}"
                stack.config.jobsTopic = Rig.unique("own-jobs")
                stack.config.fleet = "{route_health: {enabled: false}}"
                try await stack.broker.createTopic(stack.config.jobsTopic, partitions: 1)
                let worker = try await stack.startWorker(name: "own")
                let (topic, bootstrap) = (stack.config.jobsTopic, stack.bootstrap)
                let produce = { (prefix: String, count: Int) in
                    try await JobFactory.produce(JobFactory.records(count: count, prefix: prefix, topic: topic), bootstrapServers: bootstrap)
                }
                /// When each pause of the own topic ends (`until_ms` of the worker's log lines).
                let pauses = {
                    worker.output().split(separator: "\n").filter { $0.contains("partition paused") && $0.contains(topic) }.compactMap { line in
                        line.split(separator: " ").first { $0.hasPrefix("until_ms=") }.flatMap { Int64($0.dropFirst("until_ms=".count)) }
                    }
                }
                // Warm up (the worker joins its group).
                try await produce("warm", 3)
                _ = try await stack.results(distinct: 3, idle: .seconds(30))
                // Four jobs at once: their bounds pass the cap, so the partition pauses.
                let before = pauses().count
                try await produce("first", 4)
                var until: Int64?
                for _ in 0..<200 where until == nil {
                    if pauses().count > before { until = pauses().last } else { try await Task.sleep(for: .milliseconds(50)) }
                }
                let pausedUntil = try #require(until, "the own topic's partition was paused: \(worker.output().suffix(3_000))")
                // Produced while the partition is paused: not fetched, so not moved, until the pause ends.
                try await produce("second", 3)
                let results = try await stack.results(distinct: 10, idle: .seconds(30)).map(Self.finished)
                let moved = try await stack.read("\(stack.config.group).deferred", idle: .seconds(1))
                // A record's timestamp is when the worker moved it.
                let early = moved.filter { ($0.timestampMilliseconds ?? 0) < pausedUntil }.map { String(decoding: $0.key ?? [], as: UTF8.self) }
                #expect(early.contains { $0.hasPrefix("first") }, "\(early)")
                #expect(
                    !early.contains { $0.hasPrefix("second") },
                    "jobs produced while the partition was paused were moved: \(early)\n\(worker.output().suffix(6_000))")
                #expect(Set(results.map(\.id)).count == 10)
                #expect(results.allSatisfy { $0.status == "succeeded" })
                #expect(await worker.process.stop(grace: .seconds(10)) == 0)
            }
        }
    }
}

extension ISO8601DateFormatter {
    /// RFC 3339 with milliseconds, as results carry `completed_at`.
    static var withFraction: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}
