/// A record to produce. Without a partition, librdkafka's partitioner picks one from the key.
package struct KafkaRecord: Sendable, Hashable {
    package var topic: String
    package var partition: Int32?
    package var key: [UInt8]?
    package var value: [UInt8]?
    package var headers: [KafkaHeader]

    package init(topic: String, partition: Int32? = nil, key: [UInt8]?, value: [UInt8]?, headers: [KafkaHeader] = []) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
    }
}

/// Where the broker stored an acknowledged record.
package struct KafkaDeliveryReport: Sendable, Hashable {
    package var topic: String
    package var partition: Int32
    package var offset: Int64

    package init(topic: String, partition: Int32, offset: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }
}
