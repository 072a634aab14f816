/// What a consumer's owner does when the group moves partitions: the consumer's own rebalance
/// callback calls it *before* acting, so in-flight work can be finished (and its offsets stored)
/// or dropped while this member still owns the partitions.
///
/// Both calls run while the consumer's poll thread waits for them, bounded by
/// ``KafkaConsumerConfiguration/revokeTimeout``; the consumer keeps its group membership meanwhile.
/// They work the same for eager and `cooperative-sticky` assignment (with cooperative assignment
/// they name only the partitions that move).
///
/// Generations: every rebalance event (an assignment or a revoke) has a generation, one more
/// than the event before it on the same consumer, and every ``KafkaMessage`` carries the
/// generation in force when it was fetched. A call that outlives the revoke timeout keeps
/// running while the consumer moves on, so a late call can arrive after a newer event: an owner
/// that keeps per-partition state records the generation of the assignment that created it, and
/// lets an event (or a message) touch that state only if it is not older. Precisely:
/// - ``partitionsAssigned(_:generation:)``: a message of these partitions is current when its
///   ``KafkaMessage/generation`` is at least `generation` (and no later event named its
///   partition); messages of them with a lower generation were fetched under an earlier
///   assignment and must not be committed under this one.
/// - ``partitionsRevoked(_:lost:generation:)``: applies to state created by an assignment with a
///   lower generation; state created by an assignment with a higher generation belongs to a
///   newer assignment and must be left alone.
package protocol KafkaRebalanceListener: Sendable {
    /// `partitions` are now assigned to this member under `generation`; their messages follow.
    func partitionsAssigned(_ partitions: [KafkaTopicPartition], generation: UInt64) async

    /// `partitions` are about to be taken away (the event's `generation` is above that of the
    /// assignment it ends). Stop starting work from them, finish or drop what is in flight, and
    /// store the offsets of what finished: when this returns (or the revoke timeout passes) the
    /// consumer commits what is stored, then gives the partitions up. `lost` is true when the
    /// group already gave them to another member (a session timeout): commits for them will
    /// fail, and their work will be redone there.
    func partitionsRevoked(_ partitions: [KafkaTopicPartition], lost: Bool, generation: UInt64) async
}
