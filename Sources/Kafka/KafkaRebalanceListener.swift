/// What a consumer's owner does when the group moves partitions: the consumer's own rebalance
/// callback calls it *before* acting, so in-flight work can be finished (and its offsets stored)
/// or dropped while this member still owns the partitions.
///
/// Both calls run while the consumer's poll thread waits for them, bounded by
/// ``KafkaConsumerConfiguration/revokeTimeout``; the consumer keeps its group membership meanwhile.
/// They work the same for eager and `cooperative-sticky` assignment (with cooperative assignment
/// they name only the partitions that move).
public protocol KafkaRebalanceListener: Sendable {
    /// `partitions` are now assigned to this member; their messages follow.
    func partitionsAssigned(_ partitions: [KafkaTopicPartition]) async

    /// `partitions` are about to be taken away. Stop starting work from them, finish or drop
    /// what is in flight, and store the offsets of what finished: when this returns (or the
    /// revoke timeout passes) the consumer commits what is stored, synchronously, then gives the
    /// partitions up. `lost` is true when the group already gave them to another member (a
    /// session timeout): commits for them will fail, and their work will be redone there.
    func partitionsRevoked(_ partitions: [KafkaTopicPartition], lost: Bool) async
}
