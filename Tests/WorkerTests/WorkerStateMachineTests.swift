import Kafka
import Testing

@testable import Worker

/// The worker's logic, event by event: no broker, no clock, no tasks.
struct WorkerStateMachineTests {
    typealias Machine = WorkerStateMachine
    let p0 = KafkaTopicPartition(topic: "jobs", partition: 0)
    let p1 = KafkaTopicPartition(topic: "jobs", partition: 1)

    func machine(maxInFlight: Int = 8, exactlyOnce: Bool = false, maxHeldBytes: Int = 1 << 20, maxTransactionBytes: Int = 1 << 20) -> Machine {
        Machine(
            configuration: .init(
                maxInFlight: maxInFlight, exactlyOnce: exactlyOnce, maxHeldBytes: maxHeldBytes, maxTransactionBytes: maxTransactionBytes))
    }

    /// The machine behind a reference, so `#expect` can call its mutating events.
    final class Box {
        var v: Machine
        init(_ v: Machine) { self.v = v }
    }

    func start(_ m: Box, _ partition: KafkaTopicPartition, _ offset: Int64, generation: UInt64) -> Machine.Ticket? {
        if case .start(let ticket) = m.v.fetched(partition, offset: offset, generation: generation) { return ticket }
        return nil
    }

    func committed(_ commit: Machine.Commit?) -> [KafkaPartitionOffset] {
        switch commit {
        case .offsets(let offsets): offsets
        case .transaction(let transaction): transaction.offsets
        case nil: []
        }
    }

    func record(_ bytes: Int, topic: String = "results") -> KafkaRecord {
        KafkaRecord(topic: topic, key: nil, value: Array(repeating: 0x61, count: bytes))
    }

    // MARK: Commits

    @Test("at-least-once commits only below the first unfinished job")
    func commitsBelowFirstUnfinished() throws {
        let m = Box(machine())
        _ = m.v.assigned([p0], generation: 1)
        let t0 = try #require(start(m, p0, 0, generation: 1))
        let t1 = try #require(start(m, p0, 1, generation: 1))
        _ = m.v.jobFinished(t1)
        let e1 = m.v.commit()
        #expect(e1 == nil)
        _ = m.v.jobFinished(t0)
        let e2 = m.v.commit()
        #expect(committed(e2) == [KafkaPartitionOffset(topic: "jobs", partition: 0, offset: 2)])
        let e3 = m.v.commit()
        #expect(e3 == nil, "nothing new")
    }

    @Test("a message fetched under an earlier assignment is dropped, not registered into the new one")
    func staleBatchAfterRevokeAndReassign() throws {
        let m = Box(machine())
        _ = m.v.assigned([p0], generation: 1)
        let early = try #require(start(m, p0, 10, generation: 1))
        // Revoke and reassign while the consume loop holds a batch fetched under generation 1.
        let (generations, _) = m.v.revoking([p0], lost: false)
        _ = m.v.revoked(generations)
        _ = m.v.assigned([p0], generation: 2)
        let e4 = m.v.fetched(p0, offset: 11, generation: 1)
        #expect(e4 == .drop, "the held batch's message belongs to generation 1")
        // The job started under generation 1 finishes now: it must not mark the new tracker.
        _ = m.v.jobFinished(early)
        // The re-fetched lower offsets run under generation 2.
        let again = try #require(start(m, p0, 10, generation: 2))
        let e5 = m.v.commit()
        #expect(e5 == nil, "offset 10 of generation 2 still runs")
        _ = m.v.jobFinished(again)
        let e6 = m.v.commit()
        #expect(committed(e6) == [KafkaPartitionOffset(topic: "jobs", partition: 0, offset: 11)])
    }

    @Test("the old bug: an old batch's higher offsets finishing first never let the commit jump past re-fetched lower ones")
    func noCommitPastUnfinishedAfterReassign() throws {
        let m = Box(machine())
        _ = m.v.assigned([p0], generation: 1)
        let (generations, _) = m.v.revoking([p0], lost: false)
        _ = m.v.revoked(generations)
        _ = m.v.assigned([p0], generation: 2)
        // Offsets 50...52 of the old batch are offered after the reassignment: all dropped.
        for offset: Int64 in 50...52 {
            let admission = m.v.fetched(p0, offset: offset, generation: 1)
            #expect(admission == .drop)
        }
        let low = try #require(start(m, p0, 40, generation: 2))
        let e8 = m.v.commit()
        #expect(e8 == nil)
        _ = m.v.jobFinished(low)
        let e9 = m.v.commit()
        #expect(committed(e9).first?.offset == 41)
    }

    @Test("a late revoke handler does not clear a partition assigned again meanwhile")
    func lateRevokeKeepsNewAssignment() throws {
        let m = Box(machine())
        _ = m.v.assigned([p0], generation: 1)
        let (generations, _) = m.v.revoking([p0], lost: false)
        _ = m.v.assigned([p0], generation: 2)
        _ = m.v.revoked(generations)  // the first revoke's handler ends only now
        let e10 = m.v.generation(of: p0)
        #expect(e10 == 2)
        let ticket = try #require(start(m, p0, 5, generation: 2))
        _ = m.v.jobFinished(ticket)
        let e11 = m.v.commit()
        #expect(committed(e11).first?.offset == 6)
    }

    @Test("a duplicate delivery of a running offset is dropped and does not count twice")
    func duplicateRunningOffset() throws {
        let m = Box(machine())
        _ = m.v.assigned([p0], generation: 1)
        let ticket = try #require(start(m, p0, 3, generation: 1))
        let e12 = m.v.fetched(p0, offset: 3, generation: 1)
        #expect(e12 == .drop)
        let e13 = m.v.inFlight
        #expect(e13 == 1)
        _ = m.v.jobFinished(ticket)
        let e14 = m.v.holds(.partitionsIdle([p0]))
        #expect(e14)
    }

    // MARK: Slots

    @Test("at the in-flight limit the consumer waits, and a finished job resumes it")
    func slotWaitAndResume() throws {
        let m = Box(machine(maxInFlight: 1))
        _ = m.v.assigned([p0], generation: 1)
        let t0 = try #require(start(m, p0, 0, generation: 1))
        let e15 = m.v.fetched(p0, offset: 1, generation: 1)
        #expect(e15 == .wait)
        let e16 = m.v.jobFinished(t0)
        #expect(e16 == [.resumeConsumer])
        #expect(start(m, p0, 1, generation: 1) != nil)
    }

    @Test("shutdown wakes a consumer waiting for a slot and stops delivery; nothing new starts")
    func shutdownWhileWaitingForSlot() throws {
        let m = Box(machine(maxInFlight: 1))
        _ = m.v.assigned([p0], generation: 1)
        _ = try #require(start(m, p0, 0, generation: 1))
        let e17 = m.v.fetched(p0, offset: 1, generation: 1)
        #expect(e17 == .wait)
        let e18 = m.v.shutdownRequested()
        #expect(e18 == [.stopDelivery, .resumeConsumer])
        let e19 = m.v.fetched(p0, offset: 1, generation: 1)
        #expect(e19 == .drop)
        let e20 = m.v.shutdownRequested()
        #expect(e20 == [], "a second SIGTERM changes nothing")
    }

    @Test("grace expiry with jobs still running cancels them; their offsets stay uncommitted")
    func graceExpiryCancels() throws {
        let m = Box(machine())
        _ = m.v.assigned([p0], generation: 1)
        let t0 = try #require(start(m, p0, 0, generation: 1))
        let t1 = try #require(start(m, p0, 1, generation: 1))
        _ = m.v.jobFinished(t0)
        _ = m.v.shutdownRequested()
        let drain = m.v.wait(for: .allIdle)
        #expect(drain != nil)
        let e21 = m.v.graceExpired()
        #expect(e21 == [.cancelJobs])
        let e22 = m.v.jobAbandoned(t1)
        #expect(e22 == [.wake([drain ?? -1])])
        let e23 = m.v.commit()
        #expect(committed(e23) == [KafkaPartitionOffset(topic: "jobs", partition: 0, offset: 1)], "only the finished job")
    }

    @Test("shutdown during a total outage: the drain times out, cancel, nothing past the running jobs is committed")
    func shutdownDuringOutage() throws {
        let m = Box(machine(maxInFlight: 2))
        _ = m.v.assigned([p0], generation: 1)
        let a = try #require(start(m, p0, 0, generation: 1))
        let b = try #require(start(m, p0, 1, generation: 1))
        let e24 = m.v.fetched(p0, offset: 2, generation: 1)
        #expect(e24 == .wait)
        let e25 = m.v.shutdownRequested()
        #expect(e25.contains(.resumeConsumer))
        let e26 = m.v.wait(for: .allIdle)
        let drain = try #require(e26)
        let e27 = m.v.cancelWait(drain)
        #expect(e27, "the grace timer gives up on the drain")
        let e28 = m.v.graceExpired()
        #expect(e28 == [.cancelJobs])
        _ = m.v.jobAbandoned(a)
        _ = m.v.jobAbandoned(b)
        let e29 = m.v.commit()
        #expect(e29 == nil)
        let e30 = m.v.inFlight
        #expect(e30 == 0)
    }

    @Test("a fatal error stops delivery, cancels jobs, wakes every waiter and commits nothing more")
    func fatalStopsEverything() throws {
        let m = Box(machine(maxInFlight: 1))
        _ = m.v.assigned([p0], generation: 1)
        let t0 = try #require(start(m, p0, 0, generation: 1))
        let e31 = m.v.fetched(p0, offset: 1, generation: 1)
        #expect(e31 == .wait)
        let e32 = m.v.wait(for: .partitionsIdle([p0]))
        let revokeWaiter = try #require(e32)
        let actions = m.v.fatal("fenced")
        #expect(actions == [.stopDelivery, .cancelJobs, .resumeConsumer, .wake([revokeWaiter])])
        _ = m.v.jobFinished(t0)
        let e33 = m.v.commit()
        #expect(e33 == nil)
        let e34 = m.v.fetched(p0, offset: 1, generation: 1)
        #expect(e34 == .drop)
        let e35 = m.v.phase
        #expect(e35 == .failed("fenced"))
    }

    // MARK: Revokes

    @Test("revoke waits for its partitions' jobs only; the waiter wakes when the last one finishes")
    func revokeWaitsForItsPartitions() throws {
        let m = Box(machine())
        _ = m.v.assigned([p0, p1], generation: 1)
        let a = try #require(start(m, p0, 0, generation: 1))
        let b = try #require(start(m, p1, 0, generation: 1))
        let (generations, actions) = m.v.revoking([p0], lost: false)
        #expect(actions.isEmpty)
        let e36 = m.v.fetched(p0, offset: 1, generation: 1)
        #expect(e36 == .drop, "no new job of a revoking partition")
        let e37 = m.v.wait(for: .partitionsIdle([p0]))
        let waiter = try #require(e37)
        let e38 = m.v.jobFinished(b)
        #expect(e38 == [], "another partition's job does not wake it")
        let e39 = m.v.jobFinished(a)
        #expect(e39 == [.wake([waiter])])
        let e40 = m.v.commit(only: [p0])
        #expect(committed(e40) == [KafkaPartitionOffset(topic: "jobs", partition: 0, offset: 1)])
        _ = m.v.revoked(generations)
        let e41 = m.v.generation(of: p0)
        #expect(e41 == nil)
        let e42 = m.v.commit()
        #expect(committed(e42) == [KafkaPartitionOffset(topic: "jobs", partition: 1, offset: 1)])
    }

    @Test("a lost partition is dropped at once; its running jobs' ends change nothing")
    func lostPartition() throws {
        let m = Box(machine())
        _ = m.v.assigned([p0], generation: 1)
        let a = try #require(start(m, p0, 0, generation: 1))
        _ = m.v.revoking([p0], lost: true)
        let e43 = m.v.generation(of: p0)
        #expect(e43 == nil)
        _ = m.v.jobFinished(a)
        let e44 = m.v.commit()
        #expect(e44 == nil)
        // Assigned back after the session timeout: fresh progress, consumption goes on.
        _ = m.v.assigned([p0], generation: 2)
        let again = try #require(start(m, p0, 0, generation: 2))
        _ = m.v.jobFinished(again)
        let e45 = m.v.commit()
        #expect(committed(e45).first?.offset == 1)
    }

    @Test("cooperative revoke of one partition while a batch of both is held")
    func cooperativeRevokeWithHeldBatch() throws {
        let m = Box(machine())
        _ = m.v.assigned([p0, p1], generation: 1)
        let (generations, _) = m.v.revoking([p1], lost: false)
        _ = m.v.revoked(generations)
        // The held batch mixes both partitions: p0 still runs, p1 is dropped.
        #expect(start(m, p0, 7, generation: 1) != nil)
        let e46 = m.v.fetched(p1, offset: 7, generation: 1)
        #expect(e46 == .drop)
    }

    // MARK: Exactly-once

    @Test("exactly-once: held records go out in one transaction with their offsets, in offset order")
    func transactionCarriesHeldRecords() throws {
        let m = Box(machine(exactlyOnce: true))
        _ = m.v.assigned([p0], generation: 1)
        let t0 = try #require(start(m, p0, 0, generation: 1))
        let t1 = try #require(start(m, p0, 1, generation: 1))
        _ = m.v.jobFinished(t1, held: .init(records: [record(10, topic: "r1")]))
        _ = m.v.jobFinished(t0, held: .init(records: [record(10, topic: "r0")]))
        let e47 = m.v.heldBytes
        #expect(e47 == 20)
        guard case .transaction(let transaction) = m.v.commit() else {
            Issue.record("no transaction")
            return
        }
        #expect(transaction.records.map(\.topic) == ["r0", "r1"])
        #expect(transaction.offsets == [KafkaPartitionOffset(topic: "jobs", partition: 0, offset: 2)])
        let e48 = m.v.commit()
        #expect(e48 == nil, "one transaction at a time")
        _ = m.v.transactionCommitted(transaction)
        let e49 = m.v.heldBytes
        #expect(e49 == 0)
        let e50 = m.v.commit()
        #expect(e50 == nil)
    }

    @Test("exactly-once: past the held-bytes bound no job starts until a transaction frees them")
    func heldBytesBoundPausesJobs() throws {
        let m = Box(machine(maxInFlight: 8, exactlyOnce: true, maxHeldBytes: 100))
        _ = m.v.assigned([p0], generation: 1)
        let slow = try #require(start(m, p0, 0, generation: 1))  // the head of the partition, still running
        let fast = try #require(start(m, p0, 1, generation: 1))
        _ = m.v.jobFinished(fast, held: .init(records: [record(150)]))
        let e51 = m.v.fetched(p0, offset: 2, generation: 1)
        #expect(e51 == .wait, "150 bytes held behind the slow head")
        let e52 = m.v.jobFinished(slow, held: .init(records: [record(1)]))
        #expect(e52 == [])
        guard case .transaction(let transaction) = m.v.commit() else {
            Issue.record("no transaction")
            return
        }
        let e53 = m.v.transactionCommitted(transaction)
        #expect(e53 == [.resumeConsumer])
        #expect(start(m, p0, 2, generation: 1) != nil)
    }

    @Test("exactly-once: a transaction stays within its byte bound; the rest goes in the next")
    func transactionByteBound() throws {
        let m = Box(machine(exactlyOnce: true, maxTransactionBytes: 100))
        _ = m.v.assigned([p0], generation: 1)
        for offset: Int64 in 0..<4 {
            let ticket = try #require(start(m, p0, offset, generation: 1))
            _ = m.v.jobFinished(ticket, held: .init(records: [record(40)]))
        }
        guard case .transaction(let first) = m.v.commit() else {
            Issue.record("no transaction")
            return
        }
        #expect(first.records.count == 2)
        #expect(first.offsets.first?.offset == 2)
        _ = m.v.transactionCommitted(first)
        guard case .transaction(let second) = m.v.commit() else {
            Issue.record("no second transaction")
            return
        }
        #expect(second.records.count == 2)
        #expect(second.offsets.first?.offset == 4)
    }

    @Test("exactly-once: after an abort the next transaction carries the same records, minus partitions revoked since")
    func abortThenRevoke() throws {
        let m = Box(machine(exactlyOnce: true))
        _ = m.v.assigned([p0, p1], generation: 1)
        let a = try #require(start(m, p0, 0, generation: 1))
        let b = try #require(start(m, p1, 0, generation: 1))
        _ = m.v.jobFinished(a, held: .init(records: [record(5, topic: "p0")]))
        _ = m.v.jobFinished(b, held: .init(records: [record(5, topic: "p1")]))
        guard case .transaction(let first) = m.v.commit() else {
            Issue.record("no transaction")
            return
        }
        #expect(first.offsets.count == 2)
        m.v.transactionAborted()
        let (generations, _) = m.v.revoking([p1], lost: false)
        _ = m.v.revoked(generations)
        guard case .transaction(let retry) = m.v.commit() else {
            Issue.record("no retry")
            return
        }
        #expect(retry.records.map(\.topic) == ["p0"])
        #expect(retry.offsets == [KafkaPartitionOffset(topic: "jobs", partition: 0, offset: 1)])
        _ = m.v.transactionCommitted(retry)
        let e54 = m.v.heldBytes
        #expect(e54 == 0)
    }

    @Test("exactly-once: a transaction in flight while its partition is revoked and reassigned releases nothing of the new assignment")
    func commitAfterReassignDuringTransaction() throws {
        let m = Box(machine(exactlyOnce: true))
        _ = m.v.assigned([p0], generation: 1)
        let a = try #require(start(m, p0, 0, generation: 1))
        _ = m.v.jobFinished(a, held: .init(records: [record(5)]))
        guard case .transaction(let transaction) = m.v.commit() else {
            Issue.record("no transaction")
            return
        }
        _ = m.v.revoking([p0], lost: true)
        _ = m.v.assigned([p0], generation: 2)
        let b = try #require(start(m, p0, 0, generation: 2))
        _ = m.v.jobFinished(b, held: .init(records: [record(7)]))
        _ = m.v.transactionCommitted(transaction)
        let e55 = m.v.heldBytes
        #expect(e55 == 7, "generation 2's held record is still held")
        guard case .transaction(let next) = m.v.commit() else {
            Issue.record("no transaction")
            return
        }
        #expect(next.bytes == 7)
    }

    @Test("exactly-once: circuit events ride in the next transaction and leave it once committed")
    func circuitRecordsInTransaction() throws {
        let m = Box(machine(exactlyOnce: true))
        _ = m.v.assigned([p0], generation: 1)
        guard case .transaction(let transaction) = m.v.commit(unattached: [record(3, topic: "telemetry")]) else {
            Issue.record("no transaction")
            return
        }
        #expect(transaction.records.count == 1)
        _ = m.v.transactionCommitted(transaction)
        let e56 = m.v.commit()
        #expect(e56 == nil)
    }

    @Test("a revoke after shutdown does not wait for jobs that were abandoned: they are not running")
    func revokeAfterAbandon() throws {
        let m = Box(machine())
        _ = m.v.assigned([p0], generation: 1)
        let ticket = try #require(start(m, p0, 0, generation: 1))
        _ = m.v.shutdownRequested()
        _ = m.v.graceExpired()
        _ = m.v.jobAbandoned(ticket)
        _ = m.v.revoking([p0], lost: false)
        let waiter = m.v.wait(for: .partitionsIdle([p0]))
        #expect(waiter == nil, "nothing runs, so the revoke need not wait")
        let commit = m.v.commit()
        #expect(commit == nil, "the abandoned offset is not committed")
    }

    @Test("a message fetched after a later rebalance event of another partition is current: generations compare at least, not equal")
    func laterGenerationIsCurrent() throws {
        let m = Box(machine())
        _ = m.v.assigned([p0], generation: 3)
        // A cooperative revoke of p1 (generation 4) happened before this message was fetched.
        let ticket = try #require(start(m, p0, 0, generation: 4))
        #expect(ticket.generation == 3, "the ticket names the assignment, not the fetch")
        _ = m.v.jobFinished(ticket)
        let commit = m.v.commit()
        #expect(committed(commit).first?.offset == 1)
    }
}
