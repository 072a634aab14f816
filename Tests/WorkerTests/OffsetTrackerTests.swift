import Testing

@testable import Worker

/// The commit point of a partition whose jobs finish out of order.
struct OffsetTrackerTests {
    @Test("nothing is committable until the first registered offset finishes")
    func firstUnfinishedHoldsTheCommit() {
        var tracker = OffsetTracker<Int>()
        for offset in Int64(0)..<5 { tracker.register(offset) }
        tracker.finish(1)
        tracker.finish(2)
        do {
            let commit = tracker.popFinished().commit
            #expect(commit == nil)
        }
        tracker.finish(0)
        do {
            let commit = tracker.popFinished().commit
            #expect(commit == 3, "0, 1, 2 done: commit at 3")
        }
        #expect(tracker.unfinished == 2)
        tracker.finish(4)
        do {
            let commit = tracker.popFinished().commit
            #expect(commit == nil, "3 still running")
        }
        tracker.finish(3)
        do {
            let commit = tracker.popFinished().commit
            #expect(commit == 5)
        }
        #expect(tracker.isEmpty)
    }

    @Test("gaps in offsets (compaction, transaction markers) do not stall the commit")
    func gapsAreFine() {
        var tracker = OffsetTracker<Int>()
        for offset: Int64 in [10, 11, 15, 20] { tracker.register(offset) }
        for offset: Int64 in [20, 15, 11, 10] { tracker.finish(offset) }
        do {
            let commit = tracker.popFinished().commit
            #expect(commit == 21)
        }
    }

    @Test("a redelivered lower offset holds the commit back until it finishes")
    func redeliveredLowerOffset() {
        var tracker = OffsetTracker<Int>()
        tracker.register(50)
        tracker.register(40)
        tracker.finish(50)
        do {
            let commit = tracker.popFinished().commit
            #expect(commit == nil)
        }
        tracker.finish(40)
        do {
            let commit = tracker.popFinished().commit
            #expect(commit == 51)
        }
    }

    @Test("payloads come out in offset order with the commit that covers them")
    func payloadsInOffsetOrder() {
        var tracker = OffsetTracker<String>()
        for offset in Int64(0)..<3 { tracker.register(offset) }
        tracker.finish(2, payload: "c")
        tracker.finish(0, payload: "a")
        let first = tracker.popFinished()
        #expect(first.payloads == ["a"])
        #expect(first.commit == 1)
        tracker.finish(1, payload: "b")
        let second = tracker.popFinished()
        #expect(second.payloads == ["b", "c"])
        #expect(second.commit == 3)
    }

    @Test("finishing an offset that is not tracked is refused")
    func unknownOffset() {
        var tracker = OffsetTracker<Int>()
        tracker.register(1)
        let unknown = tracker.finish(7)
        let known = tracker.finish(1)
        let twice = tracker.finish(1)
        #expect(unknown == false)
        #expect(known)
        #expect(twice == false, "finished twice")
    }

    @Test("a long run of offsets keeps the tracker small and correct")
    func longRun() {
        var tracker = OffsetTracker<Int>()
        var committed: Int64 = 0
        for offset in Int64(0)..<100_000 {
            tracker.register(offset)
            if offset >= 3 { tracker.finish(offset - 3) }
            if offset % 1000 == 0, let commit = tracker.popFinished().commit { committed = commit }
        }
        for offset in Int64(99_997)..<100_000 { tracker.finish(offset) }
        committed = tracker.popFinished().commit ?? committed
        #expect(committed == 100_000)
        #expect(tracker.unfinished == 0)
    }
}
