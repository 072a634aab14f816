import Kafka
import Testing
import UnderstudyTesting

/// Closing with every broker down: consumer and producer return within their timeouts.
@Suite(.timeLimit(.minutes(3)))
struct ShutdownBoundTests {
    @Test("consumer: close(timeout:) returns within its timeout with every broker down and offsets stored")
    func consumerCloseIsBounded() async throws {
        let cluster = try KafkaMockCluster(brokers: 2, logger: Rig.logger)
        let topic = Rig.unique("close")
        try cluster.createTopic(topic, partitions: 2)
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(common: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers)), logger: Rig.logger
        )
        for result in await producer.send((0..<100).map { KafkaRecord(topic: topic, partition: Int32($0 % 2), key: nil, value: Array("\($0)".utf8)) })
        {
            _ = try result.get()
        }
        await producer.close(timeout: .seconds(5))
        // A revoke listener that never returns in time must not stretch the close either.
        let events = PartitionEvents { _ in try? await Task.sleep(for: .seconds(60)) }
        let consumer = try KafkaConsumer(
            configuration: Rig.consumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupID: Rig.unique("g")),
            topics: [topic], listener: events, logger: Rig.logger
        )
        let messages = await Rig.collect(consumer, count: 100, timeout: .seconds(30))
        #expect(messages.count == 100)
        for message in messages { try consumer.store(topic: message.topic, partition: message.partition, offset: message.offset + 1) }
        cluster.setBrokerDown(1)
        cluster.setBrokerDown(2)
        try await Task.sleep(for: .milliseconds(500))
        let start = ContinuousClock.now
        await consumer.close(timeout: .seconds(3))
        let elapsed = ContinuousClock.now - start
        // A bound, not a stopwatch: under a loaded CI machine the close may overrun its timeout a
        // little; an unbounded close would take the 30 s default or hang.
        #expect(elapsed < .seconds(3 + 4), "close took \(elapsed)")
        // Calls after close fail at once instead of touching a destroyed handle.
        #expect(throws: KafkaError.self) { try consumer.store(topic: topic, partition: 0, offset: 1) }
    }

    @Test("producer: close(timeout:) returns within its timeout with every broker down; unacknowledged records fail their senders")
    func producerCloseIsBounded() async throws {
        let cluster = try KafkaMockCluster(brokers: 1, logger: Rig.logger)
        let topic = Rig.unique("pclose")
        try cluster.createTopic(topic, partitions: 1)
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(common: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers)), logger: Rig.logger
        )
        _ = try await producer.send(KafkaRecord(topic: topic, key: nil, value: Array("warm-up".utf8)))
        cluster.setBrokerDown(1)
        async let pending = producer.send((0..<50).map { KafkaRecord(topic: topic, key: nil, value: Array("\($0)".utf8)) })
        try await Task.sleep(for: .milliseconds(200))
        let start = ContinuousClock.now
        await producer.close(timeout: .seconds(2))
        let elapsed = ContinuousClock.now - start
        #expect(elapsed < .seconds(2 + 4), "close took \(elapsed)")
        let outcomes = await pending
        #expect(outcomes.allSatisfy { if case .failure = $0 { true } else { false } }, "unacknowledged records fail their senders")
        let late = await producer.send([KafkaRecord(topic: topic, key: nil, value: [1])])
        #expect(late.allSatisfy { if case .failure(let error) = $0 { error.code == .state } else { false } }, "a send after close fails at once")
    }

    @Test("a producer dropped right after a failed start-up tears down after its poll thread's last poll")
    func producerDroppedDuringStartUp() async throws {
        // Nothing listens on this port: initTransactions fails, and the producer is dropped while
        // its poll thread polls (the handle must not be destroyed under it).
        let port = try FreePort.next()
        for _ in 0..<5 {
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(
                    common: KafkaConfiguration(bootstrapServers: "127.0.0.1:\(port)"), transactionalID: Rig.unique("txn")
                ),
                logger: Rig.logger
            )
            await #expect(throws: KafkaError.self) { try await producer.initTransactions(timeout: .milliseconds(300)) }
        }
        // A consumer dropped without close() leaves its group and frees its handle on its own.
        let consumer = try KafkaConsumer(
            configuration: Rig.consumerConfiguration(bootstrapServers: "127.0.0.1:\(port)", groupID: Rig.unique("g")),
            topics: [Rig.unique("none")], logger: Rig.logger
        )
        _ = consumer.assignment
        try await Task.sleep(for: .milliseconds(500))
    }
}
