import Kafka

/// Which offsets of one partition may be committed when jobs finish out of order.
///
/// Offsets are registered in delivery order and marked finished in any order. The committable
/// offset is the first unfinished one, or one past the last registered offset when all are done:
/// everything below it has finished. Offsets need not be contiguous (compaction and transaction
/// markers leave gaps), and a stale lower offset registered after a higher one (a redelivery
/// after a rebalance) is placed in order, so it holds the commit back until it finishes too.
///
/// Each entry may carry a payload (the records an exactly-once worker holds back until a
/// transaction covers their offset); ``popFinished()`` hands them over in offset order.
struct OffsetTracker<Payload: Sendable>: Sendable {
    private struct Entry: Sendable {
        var offset: Int64
        var finished: Bool
        var payload: Payload?
        var weight = 0
    }

    /// Entries in offset order; `head` is the first still tracked (older ones were popped).
    private var entries: [Entry] = []
    private var head = 0
    /// The offset to commit once nothing is tracked: one past the highest offset popped.
    private(set) var committedThrough: Int64?

    init() {}

    /// Number of registered jobs not yet finished.
    private(set) var unfinished = 0
    /// The summed weight of the payloads of finished entries not yet popped.
    private(set) var payloadWeight = 0

    var isEmpty: Bool { head == entries.count }

    /// Registers a delivered offset (normally higher than every offset before it). Returns false,
    /// changing nothing, when the offset is already tracked and not finished (a duplicate
    /// delivery of a job that is running: it must not run twice, nor count twice).
    @discardableResult
    mutating func register(_ offset: Int64) -> Bool {
        if let last = entries.last, last.offset >= offset, head < entries.count {
            // A redelivered lower offset: keep the order (rare; linear insert is fine).
            let position = entries[head...].firstIndex { $0.offset >= offset } ?? entries.count
            if position < entries.count && entries[position].offset == offset {
                guard entries[position].finished else { return false }
                entries[position].finished = false
                payloadWeight -= entries[position].weight
                entries[position].payload = nil
                entries[position].weight = 0
                unfinished += 1
                return true
            }
            entries.insert(Entry(offset: offset, finished: false, payload: nil), at: position)
            unfinished += 1
            return true
        }
        entries.append(Entry(offset: offset, finished: false, payload: nil))
        unfinished += 1
        return true
    }

    /// Marks `offset` finished, with the payload to hand over when it becomes committable.
    /// Returns false when the offset is not tracked (its partition was revoked meanwhile).
    @discardableResult
    mutating func finish(_ offset: Int64, payload: Payload? = nil, weight: Int = 0) -> Bool {
        guard let index = index(of: offset), !entries[index].finished else { return false }
        entries[index].finished = true
        entries[index].payload = payload
        entries[index].weight = weight
        payloadWeight += weight
        unfinished -= 1
        return true
    }

    private func index(of offset: Int64) -> Int? {
        // Binary search over entries[head...] (sorted by offset).
        var low = head
        var high = entries.count - 1
        while low <= high {
            let mid = (low + high) / 2
            if entries[mid].offset == offset { return mid }
            if entries[mid].offset < offset { low = mid + 1 } else { high = mid - 1 }
        }
        return nil
    }

    /// Removes the finished prefix and returns its payloads in offset order, with the offset to
    /// commit after them (`nil` when the prefix is empty).
    mutating func popFinished() -> (payloads: [Payload], commit: Int64?) {
        var payloads: [Payload] = []
        var commit: Int64?
        while head < entries.count && entries[head].finished {
            if let payload = entries[head].payload { payloads.append(payload) }
            payloadWeight -= entries[head].weight
            commit = entries[head].offset + 1
            head += 1
        }
        if let commit { committedThrough = commit }
        compact()
        return (payloads, commit)
    }

    /// Removes the first entry when it is finished and returns its offset and payload.
    mutating func popFirstFinished() -> (offset: Int64, payload: Payload?)? {
        guard head < entries.count, entries[head].finished else { return nil }
        let entry = entries[head]
        payloadWeight -= entry.weight
        committedThrough = entry.offset + 1
        head += 1
        compact()
        return (entry.offset, entry.payload)
    }

    private mutating func compact() {
        if head > 1024 && head * 2 > entries.count {
            entries.removeFirst(head)
            head = 0
        }
    }
}
