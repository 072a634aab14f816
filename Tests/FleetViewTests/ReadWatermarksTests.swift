import Testing

@testable import FleetView

/// A partition read again from the look-back (after a rebalance) is not counted twice.
@Suite struct ReadWatermarksTests {
    @Test("each offset is new once; a partition read again from an earlier offset is skipped up to where it was; partitions are apart")
    func repeatsAreSkipped() {
        var marks = ReadWatermarks()
        var first: [Bool] = []
        for offset in Int64(0)..<5 { first.append(marks.isNew(topic: "t", partition: 0, offset: offset)) }
        // Handed back and started at the look-back again.
        var again: [Bool] = []
        for offset in Int64(0)..<5 { again.append(marks.isNew(topic: "t", partition: 0, offset: offset)) }
        let onward = marks.isNew(topic: "t", partition: 0, offset: 5)
        let otherPartition = marks.isNew(topic: "t", partition: 1, offset: 0)
        let otherTopic = marks.isNew(topic: "u", partition: 0, offset: 0)
        let top = marks.isNew(topic: "t", partition: 0, offset: Int64.max)
        let behind = marks.isNew(topic: "t", partition: 0, offset: 6)
        #expect(first == [true, true, true, true, true])
        #expect(again == [false, false, false, false, false])
        #expect(onward && otherPartition && otherTopic)
        #expect(top, "no trap at the top")
        #expect(!behind)
    }
}
