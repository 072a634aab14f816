/// A record read from Kafka, with everything librdkafka knows about it.
///
/// The bytes are copied out of librdkafka's buffers, so a message outlives the poll that
/// produced it and is safe to pass across tasks.
public struct KafkaMessage: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    public var value: [UInt8]
    public var headers: [KafkaHeader]
    /// Milliseconds since the Unix epoch (create or log-append time), when the broker gave one.
    public var timestampMilliseconds: Int64?
    /// The consumer's rebalance generation when this message was fetched (see
    /// ``KafkaRebalanceListener``): the message belongs to the assignment of its partition made
    /// at this generation or before. Work on it is stale once its partition was revoked or
    /// assigned again with a higher generation; ``KafkaConsumer/isCurrent(_:)`` checks it.
    public var generation: UInt64

    public init(
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

    public var topicPartition: KafkaTopicPartition { KafkaTopicPartition(topic: topic, partition: partition) }
}
