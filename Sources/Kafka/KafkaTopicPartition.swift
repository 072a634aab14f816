/// A partition of a topic, optionally with an offset: what assignments, pauses and commits name.
package struct KafkaTopicPartition: Sendable, Hashable, CustomStringConvertible {
    package var topic: String
    package var partition: Int32

    package init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    package var description: String { "\(topic)[\(partition)]" }
}

/// A partition and the offset of the next message to read from it (Kafka's commit convention:
/// one past the last processed message).
package struct KafkaPartitionOffset: Sendable, Hashable {
    package var topicPartition: KafkaTopicPartition
    package var offset: Int64

    package init(topic: String, partition: Int32, offset: Int64) {
        self.topicPartition = KafkaTopicPartition(topic: topic, partition: partition)
        self.offset = offset
    }
}
