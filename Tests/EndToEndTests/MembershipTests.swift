import Foundation
import Kafka
import Testing
import UnderstudyTesting

#if canImport(Glibc)
    import Glibc
#endif

/// What a pod restart and a container's default limits do to the real worker.
extension EndToEnd {
    @Suite(.serialized, .timeLimit(.minutes(5)))
    struct MembershipTests {
        /// The partitions of `topic` named in the last `partitions assigned` line of `log`, or `nil`
        /// before the first assignment.
        static func lastAssignment(in log: String, topic: String) -> Set<Int>? {
            assignments(in: log, topic: topic).last
        }

        /// Every `partitions assigned` line of `log`, as partition numbers of `topic`.
        static func assignments(in log: String, topic: String) -> [Set<Int>] {
            log.split(separator: "\n").filter { $0.contains("partitions assigned") }.map { partitions(in: $0, topic: topic) }
        }

        static func partitions(in line: Substring, topic: String) -> Set<Int> {
            var partitions = Set<Int>()
            var rest = line[...]
            while let range = rest.range(of: "\(topic)[") {
                rest = rest[range.upperBound...]
                if let close = rest.firstIndex(of: "]"), let number = Int(rest[..<close]) { partitions.insert(number) }
            }
            return partitions
        }

        /// What this rig can show of static membership: the identity comes from `${POD_NAME}`, the
        /// worker joins under it, and a restart under it gets its partitions back with none moving to
        /// the other member. Apache Kafka goes further and does not rebalance at all when a static
        /// member rejoins within `session.timeout.ms` (KIP-345); neither Tansu (which runs a rebalance
        /// that changes nothing) nor librdkafka's mock cluster implements that, so the README says
        /// how to check it against a real cluster.
        @Test(
            "static membership: a worker restarted under its group.instance.id (from ${POD_NAME}) gets its partitions back, and no partition moves to the other member"
        )
        func staticMembership() async throws {
            try await withStack { stack in
                stack.config.properties = ["group.instance.id": "${POD_NAME}"]
                let topic = stack.config.topics.jobs
                let first = try await stack.startWorker(name: "pod-a", environment: ["POD_NAME": "pod-a"])
                let other = try await stack.startWorker(name: "pod-b", environment: ["POD_NAME": "pod-b"])
                let split = await eventually(timeout: .seconds(45)) {
                    guard let a = Self.lastAssignment(in: first.output(), topic: topic), let b = Self.lastAssignment(in: other.output(), topic: topic)
                    else {
                        return false
                    }
                    return !a.isEmpty && !b.isEmpty && a.isDisjoint(with: b) && a.union(b) == Set(0..<stack.config.partitions)
                }
                try #require(split, "the two members split the partitions:\n\(first.output())\n\(other.output())")
                #expect(first.output().contains("kafka.group.instance.id=pod-a"), "the identity comes from ${POD_NAME}")
                #expect(other.output().contains("kafka.group.instance.id=pod-b"))
                let before = try #require(Self.lastAssignment(in: first.output(), topic: topic))
                let otherOwns = try #require(Self.lastAssignment(in: other.output(), topic: topic))

                // A pod restart: the process dies without leaving the group and comes back under the
                // same instance id well within session.timeout.ms (6 s here).
                first.process.send(SIGKILL)
                _ = await first.process.waitForExit(timeout: .seconds(5))
                let again = try WorkerProcess.start(
                    configPath: first.configPath, environment: Stack.environment.merging(["POD_NAME": "pod-a"]) { $1 }, name: "pod-a-again"
                )
                defer { _ = again }
                // Generous: on a loaded machine the rejoin has taken longer than 30 s once.
                let back = await eventually(timeout: .seconds(90)) { Self.lastAssignment(in: again.output(), topic: topic) != nil }
                try #require(back, "the restarted member is assigned partitions:\n\(again.output())")
                #expect(Self.lastAssignment(in: again.output(), topic: topic) == before, "the restarted member gets the partitions it had")

                try await stack.produceJobs(200)
                let results = try await stack.results(distinct: 200)
                #expect(Set(results.map(jobID)).count == 200)
                let otherAssignments = Self.assignments(in: other.output(), topic: topic)
                #expect(otherAssignments.allSatisfy { $0 == otherOwns }, "the other member only ever owned its own partitions:\n\(other.output())")
                await again.process.stop()
                await other.process.stop()
            }
        }

        @Test("the worker raises its soft open-file limit to the hard limit at start-up")
        func raisesOpenFileLimit() async throws {
            var hard = rlimit()
            try #require(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &hard) == 0)
            try #require(hard.rlim_max > 256, "a hard limit above 256 to raise to")
            try await withStack { stack in
                let worker = try await stack.startWorker(softOpenFileLimit: 256)
                let started = await eventually(timeout: .seconds(30)) { worker.output().contains("worker started") }
                try #require(started, "\(worker.output())")
                let limits = try String(contentsOfFile: "/proc/\(worker.process.pid)/limits", encoding: .utf8)
                let line = try #require(limits.split(separator: "\n").first { $0.hasPrefix("Max open files") })
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                // "Max open files <soft> <hard> files"
                let soft = fields.count >= 5 ? String(fields[3]) : ""
                #expect(soft == String(hard.rlim_max), "soft limit raised from 256 to the hard limit: \(line)")
                await worker.process.stop()
            }
        }
    }
}
