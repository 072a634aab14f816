import Foundation
import Kafka
import Simulator
import Testing
import UnderstudyTesting

#if canImport(Glibc)
    import Glibc
#endif

/// Crashes, restarts, shared groups and shutdowns of the real worker: no job is ever lost.
extension EndToEnd {
    @Suite(.serialized, .timeLimit(.minutes(5)))
    struct ResilienceTests {
        @Test(
            "SIGKILL part-way through 2,000 jobs, then a restart: every job gets a result; duplicates stay within the in-flight limit plus one commit interval",
            arguments: ["at_least_once", "exactly_once"])
        func killAndRestart(delivery: String) async throws {
            try await withStack { stack in
                stack.config.delivery = delivery
                stack.primary.setMode(SimulatorMode(latency: .init(ms: 5)))
                let first = try await stack.startWorker(name: "first")
                try await stack.produceJobs(2_000)
                // Let it get part-way, then kill it without warning.
                let started = ContinuousClock.now
                _ = await eventually(timeout: .seconds(60)) { stack.primary.requests >= 500 }
                let elapsed = ContinuousClock.now - started
                first.process.send(SIGKILL)
                _ = await first.process.waitForExit(timeout: .seconds(10))
                let calledBeforeKill = stack.primary.requests

                if delivery == "exactly_once" {
                    // Committed offsets only move with committed transactions: every job below a
                    // committed offset already has its result.
                    let committed = try await TopicReader.committed(
                        group: stack.config.group, topic: stack.config.topics.jobs, partitions: stack.config.partitions,
                        bootstrapServers: stack.bootstrap
                    )
                    let jobs = try await stack.read(stack.config.topics.jobs, count: 2_000)
                    let resultsSoFar = Set(try await stack.read(stack.config.topics.results, idle: .seconds(2)).map(jobID))
                    for job in jobs where job.offset < (committed[job.partition] ?? -1) {
                        #expect(
                            resultsSoFar.contains(String(decoding: job.key ?? [], as: UTF8.self)), "offset \(job.offset) committed without its result"
                        )
                    }
                }

                let second = try await stack.startWorker(name: "second")
                let results = try await stack.results(distinct: 2_000)
                #expect(await second.process.stop() == 0)

                let ids = results.map(jobID)
                #expect(Set(ids).count == 2_000, "every job got a result")
                let duplicates = ids.count - Set(ids).count
                // A rate bound: what the first worker could finish within one commit interval.
                let perInterval =
                    Int(Double(calledBeforeKill) / max(0.1, Double(elapsed.components.seconds)) * Double(stack.config.commitIntervalMs) / 1000) + 1
                let bound = stack.config.maxInFlight + perInterval
                #expect(duplicates <= bound, "\(duplicates) duplicates, bound \(bound)")
                print("kill-and-restart (\(delivery)): \(duplicates) duplicate results after SIGKILL (bound \(bound))")
            }
        }

        @Test("three workers share a batch; one is stopped part-way; every job gets a result")
        func threeWorkers() async throws {
            try await withStack { stack in
                stack.primary.setMode(SimulatorMode(latency: .init(ms: 20)))
                var workers: [WorkerProcess] = []
                for index in 0..<3 { workers.append(try await stack.startWorker(name: "member-\(index)")) }
                try await Task.sleep(for: .seconds(4))
                try await stack.produceJobs(1_500)
                _ = await eventually(timeout: .seconds(60)) { stack.primary.requests >= 400 }
                #expect(await workers[1].process.stop() == 0, "the stopped member exits cleanly")
                let results = try await stack.results(distinct: 1_500)
                for worker in [workers[0], workers[2]] { await worker.process.stop() }
                #expect(Set(results.map(jobID)).count == 1_500)
            }
        }

        @Test("SIGTERM with jobs in flight: they finish within the grace period, the process exits 0, and everything finished is committed")
        func gracefulShutdown() async throws {
            try await withStack { stack in
                stack.primary.setMode(SimulatorMode(latency: .init(ms: 2_000)))
                let worker = try await stack.startWorker()
                try await stack.produceJobs(50)
                let busy = await eventually(timeout: .seconds(30)) { stack.primary.requests >= 50 }
                #expect(busy, "all 50 jobs are in flight")
                let stopStarted = ContinuousClock.now
                #expect(await worker.process.stop(grace: .seconds(20)) == 0, "exit 0 after draining")
                #expect(ContinuousClock.now - stopStarted < .seconds(10), "drained within the grace period")

                let results = try await stack.read(stack.config.topics.results, count: 50)
                #expect(Set(results.map(jobID)).count == 50, "the in-flight jobs finished and published")
                let committed = try await TopicReader.committed(
                    group: stack.config.group, topic: stack.config.topics.jobs, partitions: stack.config.partitions, bootstrapServers: stack.bootstrap
                )
                #expect(committed.values.reduce(0, +) == 50, "every finished job is committed: \(committed)")
            }
        }
    }
}
