/// How a ``KafkaConsumer`` comes by its partitions.
package enum KafkaConsumerSource: Sendable, Hashable {
    /// The consumer group assigns it partitions of these topics and moves them as members come
    /// and go (rebalances reach the listener).
    case topics([String])
    /// Exactly these partitions, each read from its first retained message: no group
    /// membership, no rebalances, nothing for other members to wait on (a reader of state that
    /// a group assignment already split, such as the partitions a worker owns).
    case partitionsFromBeginning([KafkaTopicPartition])
}
