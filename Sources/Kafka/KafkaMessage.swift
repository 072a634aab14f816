/// A record read from Kafka, with everything librdkafka knows about it.
///
/// The bytes are copied out of librdkafka's buffers, so a message outlives the poll that
/// produced it and is safe to pass across tasks.
package struct KafkaMessage: Sendable, Hashable {
    package var topic: String
    package var partition: Int32
    package var offset: Int64
    package var key: [UInt8]?
    package var value: [UInt8]
    package var headers: [KafkaHeader]
    /// Milliseconds since the Unix epoch (create or log-append time), when the broker gave one.
    package var timestampMilliseconds: Int64?
    /// The consumer's rebalance generation when this message was fetched (see
    /// ``KafkaRebalanceListener``): the message belongs to the assignment of its partition made
    /// at this generation or before. Work on it is stale once its partition was revoked or
    /// assigned again with a higher generation; ``KafkaConsumer/isCurrent(_:)`` checks it.
    package var generation: UInt64

    package init(
        topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8],
        headers: [KafkaHeader] = [], timestampMilliseconds: Int64? = nil, generation: UInt64 = 0
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMilliseconds = timestampMilliseconds
        self.generation = generation
    }

    package var topicPartition: KafkaTopicPartition { KafkaTopicPartition(topic: topic, partition: partition) }
}
