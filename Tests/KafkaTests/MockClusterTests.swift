import Kafka
import Testing
import UnderstudyTesting

/// The idempotent producer under faults a real broker cannot easily give, on librdkafka's mock
/// cluster: retriable Produce errors, a leader change, and the leader going down and up.
@Suite(.timeLimit(.minutes(3)))
struct MockClusterTests {
    static func values(_ range: Range<Int>, topic: String) -> [KafkaRecord] {
        range.map { KafkaRecord(topic: topic, partition: 0, key: nil, value: Array("\($0)".utf8)) }
    }

    @Test("idempotent producer: retriable Produce errors, a leader change and a broker outage leave no duplicates and no gaps")
    func idempotentProducerUnderFaults() async throws {
        let cluster = try KafkaMockCluster(brokers: 3, logger: Rig.logger)
        let topic = Rig.unique("idempotent")
        try cluster.createTopic(topic, partitions: 1, replicationFactor: 3)
        cluster.setPartitionLeader(topic: topic, partition: 0, broker: 1)
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(
                common: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers, properties: ["retry.backoff.ms": "50"]),
                deliveryTimeout: .seconds(60)
            ),
            logger: Rig.logger
        )
        let perWave = 500
        var reports: [KafkaDeliveryReport] = []

        // Wave 1: the first Produce requests fail with retriable errors.
        cluster.pushRequestErrors(.produce, [.notEnoughReplicas, .notLeaderForPartition, .requestTimedOut, .notEnoughReplicas])
        reports += try await producer.send(Self.values(0..<perWave, topic: topic)).map { try $0.get() }

        // Wave 2: the leader moves to another broker, and more errors follow.
        cluster.setPartitionLeader(topic: topic, partition: 0, broker: 2)
        cluster.pushRequestErrors(.produce, [.notLeaderForPartition, .requestTimedOut])
        reports += try await producer.send(Self.values(perWave..<2 * perWave, topic: topic)).map { try $0.get() }

        // Wave 3: the leader goes down while records are in flight, then comes back.
        async let wave3 = producer.send(Self.values(2 * perWave..<3 * perWave, topic: topic))
        cluster.setBrokerDown(2)
        try await Task.sleep(for: .seconds(1))
        cluster.setBrokerUp(2)
        reports += try await wave3.map { try $0.get() }

        // Wave 4: errors again, interleaved with small sends.
        cluster.pushRequestErrors(.produce, [.requestTimedOut, .notEnoughReplicas, .notLeaderForPartition])
        for start in stride(from: 3 * perWave, to: 4 * perWave, by: 50) {
            reports += try await producer.send(Self.values(start..<start + 50, topic: topic)).map { try $0.get() }
        }
        await producer.close(timeout: .seconds(10))

        let total = 4 * perWave
        #expect(reports.map(\.offset) == (0..<Int64(total)).map { $0 }, "acknowledged offsets are 0..<\(total) with no gap")

        let consumer = try KafkaConsumer(
            configuration: Rig.consumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupID: Rig.unique("g")),
            topics: [topic], logger: Rig.logger
        )
        let messages = await Rig.collect(consumer, count: total, timeout: .seconds(60))
        // Anything beyond `total` would be a duplicate: give it a moment to show up.
        let extra = await Rig.collect(consumer, count: 1, timeout: .seconds(1))
        await consumer.close()
        #expect(extra.isEmpty, "no duplicate after the last record")
        let values = messages.compactMap { String(validating: $0.value, as: UTF8.self).flatMap(Int.init) }
        #expect(values == Array(0..<total), "every value exactly once, in order")
        #expect(messages.map(\.offset) == (0..<Int64(total)).map { $0 })
    }
}
