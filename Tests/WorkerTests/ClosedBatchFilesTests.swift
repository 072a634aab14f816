import Testing

@testable import Worker

/// The closed batches whose provider files are still to be deleted, at explicit instants.
@Suite("ClosedBatchFiles: each closed batch's files are tried at once, then with a doubling wait, until a day has passed")
struct ClosedBatchFilesTests {
    static let batch = ClosedBatchFiles.Batch(provider: "gpt", batchID: "batch_1")

    @Test("a closed batch is due at once and handed out once; its files gone, it is forgotten")
    func dueOnce() {
        var files = ClosedBatchFiles()
        let taken = files.closed(Self.batch, nowMs: 1_000, firstRetryMs: 200)
        let early = files.due(nowMs: 999)
        let due = files.due(nowMs: 1_000)
        let again = files.due(nowMs: 5_000)
        #expect(taken && early.isEmpty && due == [Self.batch], "due from the moment it closed")
        #expect(again.isEmpty, "out for a delete: not handed out again")
        let closedAgain = files.closed(Self.batch, nowMs: 6_000, firstRetryMs: 200)
        let afterClosedAgain = files.due(nowMs: 6_000)
        #expect(closedAgain && afterClosedAgain.isEmpty, "closed again while out: still one delete at a time")
        files.deleted(Self.batch)
        let retried = files.missed(Self.batch, nowMs: 5_000)
        #expect(files.count == 0 && !retried, "a batch no longer held is not tried again")
    }

    @Test("after each miss the wait doubles from the poll interval: 200, 400, 800 ms and so on, never past 15 minutes")
    func doublingWaits() {
        var files = ClosedBatchFiles()
        _ = files.closed(Self.batch, nowMs: 0, firstRetryMs: 200)
        var now: Int64 = 0
        let expected: [Int64] = [200, 400, 800, 1_600, 3_200, 6_400, 12_800, 25_600, 51_200, 102_400, 204_800, 409_600, 819_200, 900_000, 900_000]
        for wait in expected {
            let due = files.due(nowMs: now)
            let kept = files.missed(Self.batch, nowMs: now)
            let early = files.due(nowMs: now + wait - 1)
            #expect(due == [Self.batch] && kept)
            #expect(early.isEmpty, "not before \(wait) ms")
            now += wait
        }
        let last = files.due(nowMs: now)
        #expect(last == [Self.batch])
    }

    @Test("a batch whose files are still not deleted a day after it closed is given up on")
    func givesUp() {
        var files = ClosedBatchFiles()
        _ = files.closed(Self.batch, nowMs: 0, firstRetryMs: 30_000)
        _ = files.due(nowMs: 0)
        let keptBefore = files.missed(Self.batch, nowMs: ClosedBatchFiles.giveUpAfterMs - 1)
        _ = files.due(nowMs: ClosedBatchFiles.giveUpAfterMs + ClosedBatchFiles.maxRetryMs)
        let keptAfter = files.missed(Self.batch, nowMs: ClosedBatchFiles.giveUpAfterMs)
        #expect(keptBefore && !keptAfter)
        #expect(files.count == 0)
    }

    @Test("at most capacity batches are held; one past it is refused")
    func bounded() {
        var files = ClosedBatchFiles()
        var taken = 0
        for index in 0..<ClosedBatchFiles.capacity where files.closed(.init(provider: "gpt", batchID: "b\(index)"), nowMs: 0, firstRetryMs: 1_000) {
            taken += 1
        }
        let past = files.closed(.init(provider: "gpt", batchID: "one-more"), nowMs: 0, firstRetryMs: 1_000)
        let heldAgain = files.closed(.init(provider: "gpt", batchID: "b0"), nowMs: 0, firstRetryMs: 1_000)
        #expect(taken == ClosedBatchFiles.capacity && !past)
        #expect(heldAgain, "one already held is kept")
        #expect(files.count == ClosedBatchFiles.capacity)
    }
}
