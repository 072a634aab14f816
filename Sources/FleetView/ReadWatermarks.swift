/// How far the fleet view has read each partition: so a message it reads a second time (a
/// rebalance hands a partition back and the consumer starts it at the look-back again) is not
/// counted twice.
///
/// Guarantees: ``isNew(topic:partition:offset:)`` is true once per offset past the last one
/// read (offsets only move forward); a repeat or an older offset is false; at most
/// ``maxPartitions`` partitions are tracked (past that, messages of new partitions are taken as
/// new: a double count is possible there, never a trap or unbounded memory).
package struct ReadWatermarks: Sendable, Hashable {
    package static let maxPartitions = 65_536

    private struct Partition: Sendable, Hashable {
        var topic: String
        var partition: Int32
    }

    /// The last offset read, per partition.
    private var lastRead: [Partition: Int64] = [:]

    package init() {}

    /// Whether the message at `offset` is read for the first time; records it.
    package mutating func isNew(topic: String, partition: Int32, offset: Int64) -> Bool {
        let key = Partition(topic: topic, partition: partition)
        if let last = lastRead[key] {
            guard offset > last else { return false }
        } else if lastRead.count >= Self.maxPartitions {
            return true
        }
        lastRead[key] = offset
        return true
    }
}
