import CLibrdkafka

/// What the cluster says about its brokers and topics.
package struct KafkaClusterMetadata: Sendable, Hashable {
    /// One topic: its partitions, or the error the broker gave for it.
    package struct Topic: Sendable, Hashable {
        package var name: String
        package var partitions: [Partition]
        /// `nil` when the topic exists; else why not (for example ``KafkaError/Code/unknownTopicOrPartition``).
        package var error: KafkaError.Code?
    }

    /// One partition and its leader broker.
    package struct Partition: Sendable, Hashable {
        package var id: Int32
        package var leader: Int32
        package var replicas: [Int32]
    }

    package var brokers: [Int32: String]
    package var topics: [Topic]

    init(_ md: rd_kafka_metadata) {
        var brokers: [Int32: String] = [:]
        for index in 0..<Int(md.broker_cnt) {
            let broker = md.brokers[index]
            brokers[broker.id] = "\(String(cString: broker.host)):\(broker.port)"
        }
        self.brokers = brokers
        self.topics = (0..<Int(md.topic_cnt)).map { index in
            let topic = md.topics[index]
            let partitions = (0..<Int(topic.partition_cnt)).map { p in
                let partition = topic.partitions[p]
                return Partition(
                    id: partition.id, leader: partition.leader,
                    replicas: (0..<Int(partition.replica_cnt)).map { partition.replicas[$0] }
                )
            }
            return Topic(
                name: String(cString: topic.topic),
                partitions: partitions.sorted { $0.id < $1.id },
                error: topic.err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError.Code(topic.err)
            )
        }
    }

    /// The topic called `name`, if the broker described it without error.
    package func topic(_ name: String) -> Topic? {
        topics.first { $0.name == name && $0.error == nil }
    }
}
