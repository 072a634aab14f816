import Completions
import Failover
import Foundation
import Jobs
import Kafka
import Testing

@testable import Worker

/// The batch lane's decisions with explicit instants and hand-made records: no Kafka, no HTTP,
/// no sleeps.
@Suite("BatchBook: what the batch lane does when, from the records it read")
struct BatchBookTests {
    static let t0: Int64 = 1_800_000_000_000
    static let route = RouteKey(provider: "claude", model: "m")
    static let topic = "batches"
    static let config = BatchConfig(
        routes: [route], minDeadlineMs: 60_000, flushAfterJobs: 3, flushAfterMs: 1_000, realtimeMarginMs: 5_000, pollIntervalMs: 500)

    /// A book owning partition 0, ready (its marker read back).
    static func book(config: BatchConfig = config) -> BatchBook {
        var book = BatchBook(configs: ["w": config])
        book.assign(0, nonce: "n0")
        book.read(marker(partition: 0, nonce: "n0"), nowMs: t0)
        return book
    }

    static func marker(partition: Int32, nonce: String) -> KafkaMessage {
        KafkaMessage(topic: topic, partition: partition, offset: 0, key: Array("owner:\(partition)".utf8), value: Array(nonce.utf8))
    }

    static func entry(_ index: Int, partition: Int32 = 0, deadlineMs: Int64 = t0 + 3_600_000) -> BatchEntry {
        let job = KafkaMessage(
            topic: "jobs", partition: partition, offset: Int64(index), key: nil, value: Array("{\"id\":\"j\(index)\"}".utf8),
            timestampMilliseconds: t0)
        return BatchEntry(message: job, workload: "w", route: route, deadlineMs: deadlineMs, nowMs: t0)
    }

    static func message(_ record: KafkaRecord) -> KafkaMessage {
        KafkaMessage(
            topic: record.topic, partition: record.partition ?? 0, offset: 0, key: record.key, value: record.value ?? [], headers: record.headers)
    }

    static func read(_ entries: [BatchEntry], into book: inout BatchBook, at nowMs: Int64 = t0) {
        for entry in entries { book.read(message(entry.record(topic: topic)), nowMs: nowMs) }
    }

    /// What a new owner's reader reads of partition 0: the entries, the batch's record, the
    /// tombstones of `served`, then its marker.
    static func readPartition(
        _ entries: [BatchEntry], batch: SubmittedBatch? = nil, served: [BatchEntry] = [], nonce: String, into book: inout BatchBook
    ) throws {
        read(entries, into: &book)
        if let batch { book.read(message(try #require(batch.record(topic: topic))), nowMs: t0, nonce: nonce) }
        for entry in served { book.read(message(entry.tombstone(topic: topic)), nowMs: t0, nonce: nonce) }
        book.read(marker(partition: 0, nonce: nonce), nowMs: t0, nonce: nonce)
    }

    static func batch(_ entries: [BatchEntry], group: String = "g1", id: String? = "msgbatch_1") -> SubmittedBatch {
        SubmittedBatch(
            group: group, batchID: id, workload: "w", route: route, partition: 0, submittedAtMs: t0,
            members: entries.enumerated().map { ("c\($0.offset)", $0.element.origin) })
    }

    /// A ready book holding `count` entries, all submitted as batch `g1` (custom ids `c0`...).
    static func submitted(_ count: Int, nextPollMs: Int64 = t0) -> (book: BatchBook, entries: [BatchEntry]) {
        var book = book()
        let entries = (0..<count).map { entry($0) }
        read(entries, into: &book)
        book.submitted(batch(entries), nextPollMs: nextPollMs)
        return (book, entries)
    }

    func due(_ book: inout BatchBook, at nowMs: Int64, maxRequests: Int = 100) -> BatchBook.Work {
        book.due(nowMs: nowMs, maxRequests: { _ in maxRequests }, maxRecordBytes: 1 << 20)
    }

    @Test("an entry read back is the job it carried: origin, deadline, enqueue time, value and trace headers")
    func entryRoundTrip() throws {
        let job = KafkaMessage(
            topic: "jobs/eu", partition: 2, offset: 41, key: Array("k".utf8), value: Array("{}".utf8),
            headers: [KafkaHeader(name: "traceparent", text: "00-abc-def-01"), KafkaHeader(name: "other", text: "x")],
            timestampMilliseconds: Self.t0 - 10)
        let entry = BatchEntry(message: job, workload: "w", route: Self.route, deadlineMs: Self.t0 + 99, nowMs: Self.t0)
        let read = try #require(BatchEntry.read(Self.message(entry.record(topic: Self.topic)), origin: entry.origin, nowMs: Self.t0))
        #expect(read == entry)
        #expect(read.message.topic == "jobs/eu" && read.message.offset == 41 && read.message.timestampMilliseconds == Self.t0 - 10)
        #expect(read.headers.map(\.name) == ["traceparent"])
        // A record with a mark missing or malformed is not an entry.
        var broken = Self.message(entry.record(topic: Self.topic))
        broken.headers.removeAll { $0.name == BatchEntry.Header.deadline }
        #expect(BatchEntry.read(broken, origin: entry.origin, nowMs: Self.t0) == nil)
    }

    @Test("a submitted batch's record reads back; a malformed one is refused without trapping")
    func batchRecordRoundTrip() throws {
        let batch = Self.batch([Self.entry(0), Self.entry(1)])
        let record = try #require(batch.record(topic: Self.topic))
        #expect(SubmittedBatch.read(Self.message(record), group: "g1") == batch)
        var intent = batch
        intent.batchID = nil
        #expect(SubmittedBatch.read(Self.message(try #require(intent.record(topic: Self.topic))), group: "g1")?.batchID == nil)
        for value in [
            "", "[]", "{\"batch_id\":\"../x\",\"workload\":\"w\",\"provider\":\"p\",\"model\":\"m\",\"submitted_at_ms\":1,\"members\":[]}",
            "{\"batch_id\":\"b\",\"workload\":\"w\",\"provider\":\"p\",\"model\":\"m\",\"submitted_at_ms\":1e300,\"members\":[]}",
            "{\"batch_id\":\"b\",\"workload\":\"w\",\"provider\":\"p\",\"model\":\"m\",\"submitted_at_ms\":1,\"members\":[[\"a\",\"o\"],[\"a\",\"p\"]]}",
            "{\"batch_id\":\"b\",\"workload\":\"w\",\"provider\":\"p\",\"model\":\"m\",\"submitted_at_ms\":1,\"members\":[[\"a b\",\"o\"]]}",
            "{\"batch_id\":\"b\",\"workload\":\"w\",\"provider\":\"p\",\"model\":\"m\",\"submitted_at_ms\":1,\"members\":[[\"a\"]]}",
        ] {
            let message = KafkaMessage(topic: Self.topic, partition: 0, offset: 0, key: Array("batch:g".utf8), value: Array(value.utf8))
            #expect(SubmittedBatch.read(message, group: "g") == nil, "\(value)")
        }
    }

    @Test("an owner acts on a partition only once it read back its own marker")
    func ownershipMarker() {
        var book = BatchBook(configs: ["w": Self.config])
        book.assign(0, nonce: "mine")
        Self.read((0..<5).map { Self.entry($0) }, into: &book)
        #expect(due(&book, at: Self.t0 + 10_000).flushes.isEmpty)
        book.read(Self.marker(partition: 0, nonce: "someone-else"), nowMs: Self.t0)
        #expect(due(&book, at: Self.t0 + 10_000).flushes.isEmpty)
        book.read(Self.marker(partition: 0, nonce: "mine"), nowMs: Self.t0)
        #expect(due(&book, at: Self.t0 + 10_000).flushes.map(\.entries.count) == [3, 2])
        // Revoked: nothing more, whatever is due.
        var revoked = Self.book()
        Self.read((0..<5).map { Self.entry($0) }, into: &revoked)
        revoked.revoke(0)
        let work = due(&revoked, at: Self.t0 + 3_600_000)
        #expect(work.flushes.isEmpty && work.realtime.isEmpty)
    }

    @Test("a group flushes by count at once and by age after flush_after_ms, in chunks within the provider's request limit")
    func flushes() {
        var book = Self.book()
        Self.read((0..<7).map { Self.entry($0) }, into: &book)
        let first = due(&book, at: Self.t0)
        #expect(first.flushes.map(\.entries.count) == [3, 3], "the seventh waits for its timer")
        #expect(due(&book, at: Self.t0 + 999).flushes.isEmpty, "handed-out jobs are not handed out twice")
        book.flushFailed(first.flushes[0].key, first.flushes.flatMap(\.entries), retryAtMs: Self.t0 + 2_000, permanent: false)
        #expect(due(&book, at: Self.t0 + 1_000).flushes.isEmpty, "a failed flush waits for its retry")
        #expect(due(&book, at: Self.t0 + 2_000).flushes.map(\.entries.count) == [3, 3, 1])
        var limited = Self.book()
        Self.read((0..<5).map { Self.entry($0) }, into: &limited)
        #expect(due(&limited, at: Self.t0 + 1_000, maxRequests: 2).flushes.map(\.entries.count) == [2, 2, 1])
    }

    @Test("a job whose deadline margin came runs realtime, waiting or in a batch; a refused flush's jobs run realtime")
    func margin() {
        var slow = Self.config
        slow.flushAfterMs = 60_000
        var book = Self.book(config: slow)
        let near = Self.entry(0, deadlineMs: Self.t0 + 10_000)
        let far = Self.entry(1)
        Self.read([near, far], into: &book)
        #expect(due(&book, at: Self.t0 + 4_999).realtime.isEmpty)
        #expect(due(&book, at: Self.t0 + 5_000).realtime.map(\.origin) == [near.origin])
        book.markIdle(near.origin)
        book.submitted(Self.batch([near, far]), nextPollMs: Self.t0 + 500)
        let work = due(&book, at: Self.t0 + 5_000)
        #expect(work.realtime.map(\.origin) == [near.origin] && work.polls.map(\.group) == ["g1"])
        #expect(book.member("c0", of: "g1")?.unserved == false, "running realtime: a batch answer now is late")
        #expect(book.member("c1", of: "g1")?.unserved == true)

        var refused = Self.book()
        let entries = (0..<3).map { Self.entry($0) }
        Self.read(entries, into: &refused)
        let flush = due(&refused, at: Self.t0).flushes[0]
        refused.flushFailed(flush.key, flush.entries, retryAtMs: Self.t0 + 100_000, permanent: true)
        #expect(Set(due(&refused, at: Self.t0 + 1).realtime.map(\.origin)) == Set(entries.map(\.origin)))
    }

    @Test("members that leave a batch unanswered run realtime; the batch stays open until each is served, then closes")
    func leaving() {
        var (book, entries) = Self.submitted(3)
        book.served(entries[0].origin)
        book.leaveBatch(entries[1].origin, group: "g1")
        book.leaveBatch(entries[2].origin, group: "g1")
        book.ended("g1")
        let work = due(&book, at: Self.t0)
        #expect(Set(work.realtime.map(\.origin)) == Set(entries[1...].map(\.origin)) && work.polls.isEmpty && work.closes.isEmpty)
        book.served(entries[1].origin)
        book.markIdle(entries[2].origin)
        #expect(due(&book, at: Self.t0).realtime.map(\.origin) == [entries[2].origin], "a failed realtime run is handed out again")
        book.served(entries[2].origin)
        #expect(due(&book, at: Self.t0).closes.map(\.group) == ["g1"])
        #expect(due(&book, at: Self.t0).closes.isEmpty, "closed once at a time")
    }

    @Test("a running batch whose jobs were all served elsewhere is cancelled once; closed, its record read back does not reopen it")
    func cancelAndClose() throws {
        var (book, entries) = Self.submitted(2, nextPollMs: Self.t0 + 60_000)
        let batch = Self.batch(entries)
        for entry in entries { book.served(entry.origin) }
        #expect(due(&book, at: Self.t0).cancels.map(\.group) == ["g1"])
        #expect(due(&book, at: Self.t0).cancels.isEmpty)
        book.ended("g1")
        #expect(due(&book, at: Self.t0).closes.map(\.group) == ["g1"])
        book.closedLocally("g1")
        book.read(Self.message(try #require(batch.record(topic: Self.topic))), nowMs: Self.t0)
        #expect(book.open.isEmpty)
        // Tombstones read back: the entries stay gone, and a later copy of an entry does not bring it back.
        for entry in entries { book.read(Self.message(entry.tombstone(topic: Self.topic)), nowMs: Self.t0) }
        #expect(book.count == 0)
    }

    @Test("a successor that finds an intent with no batch after it runs those jobs realtime; an intent followed by its batch is resumed")
    func intents() throws {
        let entries = (0..<2).map { Self.entry($0) }
        var intent = Self.batch(entries)
        intent.batchID = nil
        var successor = Self.book()
        Self.read(entries, into: &successor)
        successor.read(Self.message(try #require(intent.record(topic: Self.topic))), nowMs: Self.t0)
        let work = due(&successor, at: Self.t0 + 10_000)
        #expect(Set(work.realtime.map(\.origin)) == Set(entries.map(\.origin)) && work.flushes.isEmpty)

        var resumed = Self.book()
        Self.read(entries, into: &resumed)
        resumed.read(Self.message(try #require(intent.record(topic: Self.topic))), nowMs: Self.t0)
        resumed.read(Self.message(try #require(Self.batch(entries).record(topic: Self.topic))), nowMs: Self.t0)
        let resumedWork = due(&resumed, at: Self.t0 + 10_000)
        #expect(resumedWork.realtime.isEmpty && resumedWork.flushes.isEmpty && resumedWork.polls.map(\.group) == ["g1"])

        // The worker that wrote the intent reads it back as its own.
        var writer = Self.book()
        Self.read(entries, into: &writer)
        _ = due(&writer, at: Self.t0 + 1_000)
        writer.submitting("g1")
        writer.read(Self.message(try #require(intent.record(topic: Self.topic))), nowMs: Self.t0)
        #expect(due(&writer, at: Self.t0 + 10_000).realtime.isEmpty)
    }

    @Test("a workload whose batch was turned off runs its waiting jobs realtime")
    func disabled() {
        var off = Self.config
        off.enabled = false
        var book = Self.book(config: off)
        Self.read([Self.entry(0)], into: &book)
        #expect(due(&book, at: Self.t0).realtime.count == 1)
    }

    @Test("a submission that ended without an answer leaves its jobs in doubt: they run realtime, then its intent is voided")
    func submissionInDoubt() {
        var book = Self.book()
        let entries = (0..<3).map { Self.entry($0) }
        Self.read(entries, into: &book)
        let flush = due(&book, at: Self.t0).flushes[0]
        book.submitting("g1")
        book.inDoubt("g1", partition: 0, entries: flush.entries)
        let work = due(&book, at: Self.t0 + 1)
        #expect(Set(work.realtime.map(\.origin)) == Set(entries.map(\.origin)) && work.flushes.isEmpty && work.voidIntents.isEmpty)
        for entry in entries { book.served(entry.origin) }
        #expect(due(&book, at: Self.t0 + 2).voidIntents.map(\.group) == ["g1"])
        #expect(due(&book, at: Self.t0 + 3).voidIntents.isEmpty, "voided once at a time")
        book.intentVoided("g1", done: true)
        #expect(due(&book, at: Self.t0 + 4).voidIntents.isEmpty)
    }

    @Test(
        "a results read cut short is read again after a backoff, takes nothing twice, and only members never reported leave; a batch served whole while read closes, uncancelled"
    )
    func resultsReadAgain() {
        var (book, entries) = Self.submitted(3)
        book.collecting("g1")
        #expect(due(&book, at: Self.t0).polls.isEmpty, "not polled while its results are read")
        let first = book.see("c0", of: "g1")
        let again = book.see("c0", of: "g1")
        #expect(first && !again)
        book.served(entries[0].origin)
        book.collectFailed("g1", nowMs: Self.t0, interval: 500)
        #expect(due(&book, at: Self.t0 + 999).polls.isEmpty)
        #expect(due(&book, at: Self.t0 + 1_000).polls.map(\.group) == ["g1"], "polled again after twice the interval")
        book.collecting("g1")
        let retaken = book.see("c0", of: "g1")
        let next = book.see("c1", of: "g1")
        #expect(!retaken, "taken by the first read")
        #expect(next)
        #expect(book.unreported(of: "g1").map(\.customID) == ["c2"])
        book.served(entries[1].origin)
        book.served(entries[2].origin)
        let work = due(&book, at: Self.t0 + 2_000)
        #expect(work.closes.map(\.group) == ["g1"] && work.cancels.isEmpty)
    }

    @Test("a read cut by a revoke: on reassignment the answers it took but never published are taken again; an id of no member is never kept")
    func revokedReadIsReadAgain() throws {
        var (book, entries) = Self.submitted(3)
        book.collecting("g1")
        let taken = ["c0", "c1"].map { book.see($0, of: "g1") }
        let stranger = book.see("not-a-member", of: "g1")
        #expect(taken == [true, true] && !stranger)
        book.served(entries[0].origin)
        // c1 was taken but not published when the partition left; c0's tombstone was written.
        book.revoke(0)
        book.assign(0, nonce: "again")
        try Self.readPartition(entries, batch: Self.batch(entries), served: [entries[0]], nonce: "again", into: &book)
        let again = ["c1", "c2"].map { book.see($0, of: "g1") }
        #expect(again == [true, true], "c1 and c2 are read again")
        #expect(book.member("c0", of: "g1")?.unserved == false, "c0 was published: its answer is not taken again")
    }

    @Test("every job served after the batch ended but while a failed read waits for its retry: the batch closes, no cancel is sent")
    func servedAfterAFailedReadCloses() {
        var (book, entries) = Self.submitted(2)
        book.collecting("g1")
        book.collectFailed("g1", nowMs: Self.t0, interval: 500)
        for entry in entries { book.served(entry.origin) }
        let work = due(&book, at: Self.t0 + 1)
        #expect(work.closes.map(\.group) == ["g1"] && work.cancels.isEmpty)
    }

    @Test("a partition assigned again re-reads its batches: an ended batch with unserved jobs is polled again")
    func reassignedBatchesArePolledAgain() throws {
        var (book, entries) = Self.submitted(2)
        book.ended("g1")
        #expect(due(&book, at: Self.t0).polls.isEmpty)
        book.revoke(0)
        book.assign(0, nonce: "again")
        try Self.readPartition(entries, batch: Self.batch(entries), nonce: "again", into: &book)
        #expect(due(&book, at: Self.t0).polls.map(\.group) == ["g1"])
    }

    @Test(
        "a batch this worker submitted while its partition was read again opens once the marker is read, holding every job; none goes to a second batch"
    )
    func submittedWhileRestoring() throws {
        var book = Self.book()
        let entries = (0..<3).map { Self.entry($0) }
        Self.read(entries, into: &book)
        book.revoke(0)
        book.assign(0, nonce: "again")
        let batch = Self.batch(entries)
        book.submittedHere(batch, nextPollMs: Self.t0)
        var intent = batch
        intent.batchID = nil
        Self.read(entries, into: &book)
        book.read(Self.message(try #require(intent.record(topic: Self.topic))), nowMs: Self.t0, nonce: "again")
        #expect(book.open["g1"] == nil, "not before the marker")
        book.read(Self.marker(partition: 0, nonce: "again"), nowMs: Self.t0, nonce: "again")
        #expect(book.open["g1"]?.unserved.count == 3)
        let work = due(&book, at: Self.t0 + 10_000)
        #expect(work.flushes.isEmpty && work.realtime.isEmpty, "its jobs are in the batch, not waiting or in doubt")
        #expect(work.polls.map(\.group) == ["g1"])
    }

    @Test("a book holds only the partitions it owns: another partition's records are skipped, a revoke forgets its jobs and their bytes")
    func holdsOnlyOwnedPartitions() {
        var book = Self.book()
        Self.read((0..<3).map { Self.entry($0, partition: 1) }, into: &book)
        #expect(book.count == 0 && book.heldBytes == 0, "partition 1 is not this worker's")
        let mine = (0..<3).map { Self.entry($0) }
        Self.read(mine, into: &book)
        #expect(book.count == 3 && book.heldBytes == mine.reduce(0) { $0 + $1.value.count })
        book.revoke(0)
        #expect(book.count == 0 && book.heldBytes == 0 && book.waiting == 0)
        let work = due(&book, at: Self.t0 + 3_600_000)
        #expect(work.flushes.isEmpty && work.realtime.isEmpty)
    }

    @Test("the reader of an earlier ownership is not heard: only the current assignment's reader fills the book")
    func staleReaderIsSkipped() {
        var book = BatchBook(configs: ["w": Self.config])
        book.assign(0, nonce: "first")
        book.assign(0, nonce: "second")
        for entry in (0..<3).map({ Self.entry($0) }) {
            book.read(Self.message(entry.record(topic: Self.topic)), nowMs: Self.t0, nonce: "first")
        }
        book.read(Self.marker(partition: 0, nonce: "second"), nowMs: Self.t0, nonce: "first")
        #expect(book.count == 0 && !book.isReady(0))
        #expect(!book.owns(0, nonce: "first") && book.owns(0, nonce: "second"))
        book.read(Self.marker(partition: 0, nonce: "second"), nowMs: Self.t0, nonce: "second")
        #expect(book.isReady(0))
    }

    @Test("a job handed out before a revoke is not handed out again when its partition comes back while it runs")
    func busyJobSurvivesReassignment() throws {
        var book = Self.book()
        let entries = (0..<1).map { Self.entry($0, deadlineMs: Self.t0 + 1_000) }
        Self.read(entries, into: &book)
        #expect(due(&book, at: Self.t0).realtime.count == 1)
        book.revoke(0)
        book.assign(0, nonce: "again")
        try Self.readPartition(entries, nonce: "again", into: &book)
        #expect(due(&book, at: Self.t0).realtime.isEmpty, "still out for work")
        book.markIdle(entries[0].origin)
        #expect(due(&book, at: Self.t0).realtime.count == 1)
    }

    @Test("a job already in one open batch is not taken by another batch record read later")
    func oneBatchPerJob() throws {
        var book = Self.book()
        let entries = (0..<2).map { Self.entry($0) }
        Self.read(entries, into: &book)
        book.submitted(Self.batch(entries), nextPollMs: Self.t0 + 60_000)
        let stale = Self.batch(entries, group: "g2", id: "msgbatch_2")
        book.read(Self.message(try #require(stale.record(topic: Self.topic))), nowMs: Self.t0)
        #expect(book.member("c0", of: "g1")?.unserved == true)
        #expect(book.member("c0", of: "g2")?.unserved == false)
        #expect(due(&book, at: Self.t0).cancels.map(\.group) == ["g2"], "the stale batch holds none of them: it is cancelled")
    }
}
