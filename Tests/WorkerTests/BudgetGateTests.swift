import Completions
import Failover
import Foundation
import Jobs
import Kafka
import Synchronization
import Testing

@testable import Worker

/// The gate with explicit instants (no clock, no sleeps): a 10 s window capped at 0.025 USD,
/// and jobs whose upper bound is 0.01 USD (5 prompt bytes and 5 output tokens at 1,000 USD per
/// million tokens).
@Suite("BudgetGate: over the cap, jobs wait on the deferred topic, in order, until the window or their deadline")
struct BudgetGateTests {
    static let t0: Int64 = 1_800_000_000_000
    static let windowEnd = t0 + 10_000

    final class Events: Sendable {
        let list = Mutex<[TelemetryEvent]>([])
        var budget: [TelemetryEvent.Budget] {
            list.withLock { $0.compactMap { if case .budget(let event) = $0 { event } else { nil } } }
        }
    }

    static func config(ownTopic: Bool = false) throws -> UnderstudyConfig {
        try UnderstudyConfig.parse(
            yaml: """
                kafka:
                  bootstrap_servers: 127.0.0.1:1
                  group_id: g
                  topics: {jobs: jobs, results: results, telemetry: telemetry, dead_letter: dead}
                providers:
                  p: {type: extractive}
                pricing:
                  m: {input_per_mtok: 1000, output_per_mtok: 1000}
                workloads:
                  w:
                    routes: [{provider: p, model: m}]
                    budget: {usd_per_window: 0.025, window_ms: 10000}\(ownTopic ? "\n    jobs_topic: w-jobs" : "")
                  free:
                    routes: [{provider: p, model: m}]
                """, environment: [:])
    }

    struct Rig {
        let gate: BudgetGate
        let decoder: JobDecoder
        let events = Events()

        init(ownTopic: Bool = false) throws {
            let config = try BudgetGateTests.config(ownTopic: ownTopic)
            let events = self.events
            gate = BudgetGate(config: config, worker: "me") { event in events.list.withLock { $0.append(event) } }
            decoder = JobDecoder(config: config)
        }

        func message(
            _ id: String, workload: String = "w", topic: String = "jobs", partition: Int32 = 2, offset: Int64, deadlineMs: Int = 60_000
        ) -> KafkaMessage {
            let json = """
                {"id": "\(id)", "workload": "\(workload)", "input": {"messages": [{"role": "user", "content": "hello"}], "max_tokens": 5},
                 "routing": {"deadline_ms": \(deadlineMs)}}
                """
            return KafkaMessage(
                topic: topic, partition: partition, offset: offset, key: Array(id.utf8), value: Array(json.utf8),
                headers: [KafkaHeader(name: "traceparent", text: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")],
                timestampMilliseconds: BudgetGateTests.t0)
        }

        /// Two jobs run and spend their upper bound: 0.02 of the window's 0.025.
        func spendTwo() throws {
            for (id, offset) in [("a", 0), ("b", 1)] {
                let reservation = try #require(BudgetGateTests.isRun(try screen(message(id, offset: Int64(offset)), at: BudgetGateTests.t0)))
                gate.settle(reservation, actualUSD: 0.01, atMs: BudgetGateTests.t0 + 1)
            }
        }

        func screen(_ message: KafkaMessage, at nowMs: Int64) throws -> BudgetGate.Step? {
            let job = try decoder.decode(message.value)
            return gate.screen(job, message: message, nowMs: nowMs)
        }

        /// The record a deferral step carries, as the deferred topic would hand it back.
        func deferred(_ step: BudgetGate.Step?, offset: Int64) throws -> (message: KafkaMessage, pause: Int64?) {
            guard case .deferral(let record, let pause)? = step else {
                Issue.record("expected a deferral, got \(String(describing: step))")
                throw CancellationError()
            }
            let message = KafkaMessage(
                topic: record.topic, partition: try #require(record.partition), offset: offset, key: record.key,
                value: try #require(record.value), headers: record.headers, timestampMilliseconds: BudgetGateTests.t0)
            return (message, pause)
        }
    }

    static func isRun(_ step: BudgetGate.Step?) -> BudgetGate.Reservation? {
        if case .run(_, let reservation)? = step { return reservation }
        return nil
    }

    @Test("spend that passed no gate (a provider batch's answers) counts toward the cap: the realtime jobs after it wait")
    func batchSpendCounts() throws {
        let rig = try Rig()
        rig.gate.count("w", spentUSD: 0.02, atMs: Self.t0)
        rig.gate.count("free", spentUSD: 5, atMs: Self.t0)
        #expect(Self.isRun(try rig.screen(rig.message("a", offset: 0), at: Self.t0 + 1)) == nil, "0.02 spent + 0.01 is over 0.025")
        let window = try #require(rig.gate.status(nowMs: Self.t0 + 1).windows.first { $0.workload == "w" })
        #expect(abs(window.spentUSD - 0.02) < 1e-12)
        #expect(!rig.gate.status(nowMs: Self.t0 + 1).windows.contains { $0.workload == "free" }, "an unbudgeted workload is not counted")
    }

    @Test("under the cap jobs run with their upper bound reserved; over it they go to the deferred topic, same partition and key, with their marks")
    func defersOverCap() throws {
        let rig = try Rig()
        let first = try #require(Self.isRun(try rig.screen(rig.message("a", offset: 0), at: Self.t0)))
        #expect(abs(first.estimateUSD - 0.01) < 1e-12)
        #expect(Self.isRun(try rig.screen(rig.message("b", offset: 1), at: Self.t0)) != nil)
        let step = try rig.screen(rig.message("c", offset: 2), at: Self.t0 + 1)
        let (deferred, pause) = try rig.deferred(step, offset: 0)
        #expect(pause == nil)
        #expect(deferred.topic == "g.deferred")
        #expect(deferred.partition == 2)
        #expect(deferred.key == Array("c".utf8))
        #expect(deferred.headers.text("traceparent") != nil)
        let marks = try #require(Deferral.read(deferred.headers, nowMs: Self.t0))
        #expect(marks == Deferral(notBeforeMs: Self.windowEnd, deadlineMs: Self.t0 + 60_000, origin: "jobs/2/2"))
        // A workload without a budget never passes here.
        #expect(try rig.screen(rig.message("f", workload: "free", offset: 3), at: Self.t0 + 1) == nil)
        let exhausted = try #require(rig.events.budget.first)
        #expect(exhausted.state == .exhausted)
        #expect(exhausted.capUSD == 0.025)
        #expect(exhausted.waiting == 1)
    }

    @Test("order per key: while jobs of a partition wait, later jobs of that workload and partition wait behind them, even with room")
    func laneKeepsOrder() throws {
        let rig = try Rig()
        let a = try #require(Self.isRun(try rig.screen(rig.message("a", offset: 0), at: Self.t0)))
        let b = try #require(Self.isRun(try rig.screen(rig.message("b", offset: 1), at: Self.t0)))
        let waiting = try rig.deferred(try rig.screen(rig.message("c", offset: 2), at: Self.t0), offset: 0)
        // a and b finished cheaply: there is room, but c waits on partition 2, so d goes behind it.
        rig.gate.settle(a, actualUSD: 0.001, atMs: Self.t0 + 5)
        rig.gate.settle(b, actualUSD: 0.001, atMs: Self.t0 + 5)
        let behind = try rig.deferred(try rig.screen(rig.message("d", offset: 3), at: Self.t0 + 6), offset: 1)
        #expect(Deferral.read(behind.message.headers, nowMs: Self.t0)?.notBeforeMs == Self.t0 + 6)
        // Another partition has nothing waiting: its job runs.
        let e = try #require(Self.isRun(try rig.screen(rig.message("e", partition: 3, offset: 0), at: Self.t0 + 6)))
        rig.gate.settle(e, actualUSD: 0.001, atMs: Self.t0 + 7)
        // c comes back first once its window rolled, then d.
        let c = try #require(Self.isRun(try rig.screen(waiting.message, at: Self.windowEnd)))
        let d = try #require(Self.isRun(try rig.screen(behind.message, at: Self.windowEnd)))
        for job in [c, d] { rig.gate.settle(job, actualUSD: 0.001, atMs: Self.windowEnd + 1) }
        // Nothing waits any more: new jobs of partition 2 run.
        #expect(Self.isRun(try rig.screen(rig.message("g", offset: 4), at: Self.windowEnd)) != nil)
        #expect(rig.events.budget.map(\.state) == [.exhausted, .reopened])
    }

    @Test("a deferred job taken before its not-before is put back, its partition paused until then, and the jobs behind it follow it")
    func putBackAndPause() throws {
        let rig = try Rig()
        try rig.spendTwo()
        let c = try rig.deferred(try rig.screen(rig.message("c", offset: 2), at: Self.t0), offset: 0)
        let d = try rig.deferred(try rig.screen(rig.message("d", offset: 3), at: Self.t0), offset: 1)
        let cAgain = try rig.deferred(try rig.screen(c.message, at: Self.t0 + 100), offset: 2)
        #expect(cAgain.pause == Self.windowEnd)
        // Not resumed before the consumer has paused it (a resume first would be lost).
        #expect(rig.gate.partitionsToResume(nowMs: Self.windowEnd).isEmpty)
        rig.gate.confirmPaused(KafkaTopicPartition(topic: "g.deferred", partition: 2))
        #expect(Deferral.read(cAgain.message.headers, nowMs: Self.t0) == Deferral.read(c.message.headers, nowMs: Self.t0))
        // d would be ready (its not-before is now) but stays behind c.
        let dAgain = try rig.deferred(try rig.screen(d.message, at: Self.t0 + 100), offset: 3)
        #expect(dAgain.pause == nil)
        #expect(rig.gate.partitionsToResume(nowMs: Self.windowEnd - 1).isEmpty)
        #expect(rig.gate.partitionsToResume(nowMs: Self.windowEnd) == [KafkaTopicPartition(topic: "g.deferred", partition: 2)])
        #expect(Self.isRun(try rig.screen(cAgain.message, at: Self.windowEnd)) != nil)
        #expect(Self.isRun(try rig.screen(dAgain.message, at: Self.windowEnd)) != nil)
    }

    @Test("a job whose deadline comes before the window's end waits until its deadline, then fails as budget_exhausted, not before")
    func exhaustedAtDeadline() throws {
        let rig = try Rig()
        try rig.spendTwo()
        let short = try rig.deferred(try rig.screen(rig.message("c", offset: 2, deadlineMs: 4_000), at: Self.t0 + 1), offset: 0)
        let marks = try #require(Deferral.read(short.message.headers, nowMs: Self.t0))
        #expect(marks.notBeforeMs == Self.t0 + 4_000)
        #expect(marks.deadlineMs == Self.t0 + 4_000)
        // Taken back just before: put back, not failed.
        let back = try rig.deferred(try rig.screen(short.message, at: Self.t0 + 3_999), offset: 1)
        rig.gate.confirmPaused(KafkaTopicPartition(topic: "g.deferred", partition: 2))
        #expect(rig.gate.partitionsToResume(nowMs: Self.t0 + 4_000).count == 1)
        guard case .exhausted(let job, let reason)? = try rig.screen(back.message, at: Self.t0 + 4_000) else {
            Issue.record("expected budget_exhausted at the deadline")
            return
        }
        #expect(job.id == "c")
        #expect(reason.contains("workload w was over its budget"))
    }

    @Test("a deferred job that runs after waiting gets only what is left of its deadline")
    func deadlineShrinks() throws {
        let rig = try Rig()
        try rig.spendTwo()
        let c = try rig.deferred(try rig.screen(rig.message("c", offset: 2, deadlineMs: 15_000), at: Self.t0), offset: 0)
        guard case .run(let job, _)? = try rig.screen(c.message, at: Self.windowEnd) else {
            Issue.record("expected it to run")
            return
        }
        let deadline = job.policy.deadline
        #expect(deadline == .milliseconds(5_000))
    }

    @Test("a partition that leaves this worker takes its waiting count with it")
    func forgetsRevoked() throws {
        let rig = try Rig()
        try rig.spendTwo()
        _ = try rig.deferred(try rig.screen(rig.message("c", offset: 2), at: Self.t0), offset: 0)
        #expect(rig.gate.status(nowMs: Self.t0).waiting["w"] == 1)
        rig.gate.forget([2])
        #expect(rig.gate.status(nowMs: Self.t0).waiting["w"] == 0)
    }

    @Test("a workload with its own jobs topic waits in it: over the cap, the partition is paused until the window rolls")
    func ownTopicPauses() throws {
        let rig = try Rig(ownTopic: true)
        for (id, offset) in [("a", 0), ("b", 1)] {
            _ = try #require(Self.isRun(try rig.screen(rig.message(id, topic: "w-jobs", offset: Int64(offset)), at: Self.t0)))
        }
        let over = try rig.deferred(try rig.screen(rig.message("c", topic: "w-jobs", offset: 2), at: Self.t0 + 1), offset: 0)
        #expect(over.pause == Self.windowEnd, "its partition waits for the window's end")
        rig.gate.confirmPaused(KafkaTopicPartition(topic: "w-jobs", partition: 2))
        #expect(over.message.topic == "g.deferred", "the job already fetched waits in the deferred topic")
        // The shared jobs topic is not paused for it: a job of the workload there just waits.
        let shared = try rig.deferred(try rig.screen(rig.message("d", partition: 3, offset: 0), at: Self.t0 + 1), offset: 1)
        #expect(shared.pause == nil)
        #expect(rig.gate.partitionsToResume(nowMs: Self.windowEnd) == [KafkaTopicPartition(topic: "w-jobs", partition: 2)])
    }

    @Test("a put-back job heads its workload on that partition until its own copy is read back, whatever the pause's timer says")
    func putBackHeadsTheLine() throws {
        let rig = try Rig()
        try rig.spendTwo()
        let a = try rig.deferred(try rig.screen(rig.message("a2", offset: 2), at: Self.t0), offset: 10)
        let b = try rig.deferred(try rig.screen(rig.message("b2", offset: 3), at: Self.t0), offset: 11)
        // a is read before its time: put back as a copy at the end, the partition paused.
        let aCopy = try rig.deferred(try rig.screen(a.message, at: Self.t0 + 1), offset: 12)
        rig.gate.confirmPaused(KafkaTopicPartition(topic: "g.deferred", partition: 2))
        #expect(rig.gate.partitionsToResume(nowMs: Self.windowEnd).count == 1)
        // The timer resumed the partition; b (ahead of a's copy in the log) comes first: it follows a.
        let bCopy = try rig.deferred(try rig.screen(b.message, at: Self.windowEnd), offset: 13)
        #expect(Deferral.read(bCopy.message.headers, nowMs: Self.t0)?.origin == Deferral.read(b.message.headers, nowMs: Self.t0)?.origin)
        // a's copy comes back: it runs, then b's copy runs.
        #expect(Self.isRun(try rig.screen(aCopy.message, at: Self.windowEnd)) != nil)
        #expect(Self.isRun(try rig.screen(bCopy.message, at: Self.windowEnd)) != nil)
    }

    @Test("a job whose cost bound alone is above the cap fails at once: it could never run")
    func neverFits() throws {
        let rig = try Rig()
        let json = """
            {"id": "huge", "workload": "w", "input": {"messages": [{"role": "user", "content": "hello"}], "max_tokens": 100000}}
            """
        let message = KafkaMessage(topic: "jobs", partition: 0, offset: 0, key: nil, value: Array(json.utf8), timestampMilliseconds: Self.t0)
        guard case .exhausted(_, let reason)? = try rig.screen(message, at: Self.t0) else {
            Issue.record("expected budget_exhausted at once")
            return
        }
        #expect(reason.contains("can never run within the budget"), "\(reason)")
    }

    @Test("deferral headers anyone could write: a negative, non-integer or missing mark is ignored; a far-future one is bounded")
    func hostileMarks() {
        func marks(_ notBefore: String, _ deadline: String) -> Deferral? {
            Deferral.read(
                [
                    KafkaHeader(name: Deferral.Header.notBefore, text: notBefore), KafkaHeader(name: Deferral.Header.deadline, text: deadline),
                    KafkaHeader(name: Deferral.Header.origin, text: "jobs/0/1"),
                ], nowMs: Self.t0)
        }
        #expect(marks("-5", "10") == nil)
        #expect(marks("1.5", "10") == nil)
        #expect(marks("soon", "10") == nil)
        #expect(marks("99999999999999999999", "10") == nil, "past Int64")
        let far = marks("9223372036854775807", "9223372036854775807")
        #expect(far?.deadlineMs == Self.t0 + Int64(JobLimits.hardMaxDeadlineMs), "a day at most")
        #expect(far?.notBeforeMs == far?.deadlineMs, "never after the deadline")
        #expect(marks("5", "10") == Deferral(notBeforeMs: 5, deadlineMs: 10, origin: "jobs/0/1"))
        #expect(Deferral.read([], nowMs: Self.t0) == nil)
    }
}
