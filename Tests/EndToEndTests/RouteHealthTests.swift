import Foundation
import Kafka
import Simulator
import Testing
import UnderstudyTesting

extension EndToEndAlone {
    /// Shared route health: three worker processes on Tansu, the primary blackholed part-way.
    @Suite(.serialized, .timeLimit(.minutes(6)))
    struct RouteHealthTests {
        struct Outcome {
            /// Calls the primary got while it was blackholed, after the first 2 s (once the
            /// workers' first calls, all made before any of them could know, have timed out).
            var primaryCalls: Int
            /// Of those, in the first 2 s.
            var firstCalls: Int
            /// Attempts that waited out the attempt timeout, the whole run.
            var timedOut: Int
        }

        /// Three workers; 30 healthy jobs; then the primary blackholed while 240 jobs arrive over
        /// about 12 s. With `shared`, a late fourth worker, then recovery.
        private func outage(shared: Bool) async throws -> Outcome {
            var outcome = Outcome(primaryCalls: 0, firstCalls: 0, timedOut: 0)
            try await withStack { stack in
                stack.config.partitions = 6
                stack.config.maxInFlight = 4
                stack.config.policy = "{max_attempts: 4, attempt_timeout_ms: 800, deadline_ms: 60000}"
                stack.config.engine = "{breaker_failures: 2, breaker_cooldown_ms: 1000, breaker_max_cooldown_ms: 1000, adaptive_concurrency: false}"
                stack.config.fleet =
                    shared
                    ? "{route_health: {heartbeat_ms: 200, ttl_ms: 1500, probe_grace_ms: 1500}}"
                    : "{route_health: {enabled: false}}"
                var workers: [WorkerProcess] = []
                for index in 1...3 { workers.append(try await stack.startWorker(name: "w\(index)")) }
                try await stack.produceJobs(30, prefix: "healthy")
                _ = try await stack.results(distinct: 30, idle: .seconds(30))

                stack.primary.setMode(SimulatorMode(fault: .blackhole))
                let before = stack.primary.requests
                var afterFirst = before
                var late: WorkerProcess?
                for round in 0..<24 {
                    if round == 4 { afterFirst = stack.primary.requests }
                    // A worker started during the outage, while jobs flow.
                    if shared, round == 10 { late = try await stack.startWorker(name: "late") }
                    try await stack.produceJobs(10, prefix: "outage-\(round)")
                    try await Task.sleep(for: .milliseconds(500))
                }
                _ = try await stack.results(distinct: 270, idle: .seconds(30))
                outcome.firstCalls = afterFirst - before
                outcome.primaryCalls = stack.primary.requests - afterFirst

                if shared {
                    // The late worker skipped the primary from its first job: it reads the fleet's words
                    // before it consumes (by construction), and it never had to trip the breaker itself.
                    let lateWorker = try #require(late)
                    workers.append(lateWorker)
                    let lines = lateWorker.output().split(separator: "\n")
                    let held = lines.firstIndex { $0.contains("route held by the fleet") }
                    let assigned = lines.firstIndex { $0.contains("partitions assigned") && $0.contains(stack.config.topics.jobs) } ?? lines.count
                    #expect(held.map { $0 < assigned } == true, "held before its first job: \(Self.primaryLines(lateWorker.output()))")
                    // It never tripped the primary itself while the fleet held it. (When every word
                    // lapses unprobed, say while a rebalance stops all jobs, the fleet releases the
                    // route and a worker finds out for itself, as it must.)
                    for (index, line) in lines.enumerated() where line.contains("breaker open") {
                        let fleet = lines[..<index].last { $0.contains(" by the fleet") }
                        #expect(fleet?.contains("released") == true, "tripped while held: \(Self.primaryLines(lateWorker.output()))")
                    }

                    // Recovery: the probes close the breaker and every worker uses the primary again
                    // (while a probe is out, a worker's other jobs still go to the backup).
                    stack.primary.setMode(.healthy)
                    try await stack.produceJobs(40, prefix: "probing")
                    _ = try await stack.results(distinct: 310, idle: .seconds(30))
                    // Each worker has said so in its log: its own breaker closed and the fleet's hold
                    // released. (A slow machine may need more than the probing batch for that.)
                    let freed = await eventually(timeout: .seconds(30)) {
                        workers.allSatisfy { Self.usesPrimary($0.output()) }
                    }
                    #expect(freed, "\(workers.map { Self.primaryLines($0.output()).suffix(4) })")
                    try await stack.produceJobs(40, prefix: "recovered")
                    let results = try await stack.results(distinct: 350, idle: .seconds(30))
                    let recovered = results.filter { jobID($0).hasPrefix("recovered") }
                    let servedByPrimary = recovered.filter {
                        String(decoding: $0.value, as: UTF8.self).contains("\"provider\":\"claude-direct\"")
                    }
                    #expect(Set(recovered.map(jobID)).count == 40)
                    #expect(Set(servedByPrimary.map(jobID)).count == 40, "after recovery every worker serves from the primary")
                }
                let telemetry = try await stack.read(stack.config.topics.telemetry, idle: .seconds(3))
                outcome.timedOut = telemetry.count {
                    let text = String(decoding: $0.value, as: UTF8.self)
                    return text.contains("\"event\":\"attempt\"") && text.contains("\"outcome\":\"timeout\"")
                }
                for worker in workers { #expect(await worker.process.stop(grace: .seconds(20)) == 0) }
            }
            return outcome
        }

        /// The worker's log lines about the primary's breaker or the fleet's hold on it.
        private static func primaryLines(_ log: String) -> [Substring] {
            log.split(separator: "\n").filter {
                $0.contains("claude-direct") && ($0.contains("breaker ") || $0.contains(" by the fleet"))
            }
        }

        /// Whether, by its log, the worker calls the primary again: its breaker's last change (if
        /// any) is a close, and the fleet's last hold (if any) was released.
        private static func usesPrimary(_ log: String) -> Bool {
            let lines = primaryLines(log)
            func last(_ text: String) -> Int { lines.lastIndex { $0.contains(text) } ?? -1 }
            let breakerFree = last("breaker closed") >= max(last("breaker open"), last("breaker half"))
            let fleetFree = last("route released by the fleet") >= last("route held by the fleet")
            return breakerFree && fleetFree
        }

        @Test(
            "sharing on: once the first trips are known, one worker probes a blackholed primary instead of each; a late worker skips it; after recovery every worker uses it again"
        )
        func sharedAgainstLocal() async throws {
            let on = try await outage(shared: true)
            let off = try await outage(shared: false)
            print(
                "route health: primary calls in the outage's first 2 s on \(on.firstCalls), off \(off.firstCalls); after: on \(on.primaryCalls), off \(off.primaryCalls); timed-out attempts on \(on.timedOut), off \(off.timedOut)"
            )
            // One prober instead of three: about a third in theory; asserted with room for noise.
            #expect(on.primaryCalls * 3 <= off.primaryCalls * 2, "on \(on.primaryCalls), off \(off.primaryCalls)")
            #expect(on.timedOut < off.timedOut, "on \(on.timedOut), off \(off.timedOut)")
        }
    }
}
