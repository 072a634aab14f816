import Kafka
import Synchronization
import Testing
import UnderstudyTesting

/// librdkafka's logs reach swift-log, and its statistics reach the caller with consumer lag.
@Suite(.timeLimit(.minutes(2)))
struct ObservabilityTests {
    @Test("librdkafka's warning about a property the producer ignores reaches swift-log")
    func ignoredPropertyIsLogged() throws {
        let recorder = LogRecorder()
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(
                common: KafkaConfiguration(bootstrapServers: "127.0.0.1:1", properties: ["session.timeout.ms": "6000"])
            ),
            logger: recorder.logger()
        )
        _ = producer
        let warning = recorder.all.first { $0.source == "librdkafka" && $0.message.contains("session.timeout.ms") }
        let entry = try #require(warning, "logged: \(recorder.all.map(\.message))")
        #expect(entry.message.contains("ignored"))
        #expect("\(entry.level)" == "warning")
        #expect(entry.metadata[KafkaLoggingKeys.facility] == "CONFWARN")
    }

    @Test("librdkafka's debug logs reach swift-log at debug level when the debug property is set")
    func debugLogs() async throws {
        let cluster = try KafkaMockCluster(brokers: 1, logger: Rig.logger)
        let recorder = LogRecorder()
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(
                common: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers, properties: ["debug": "metadata,broker"])
            ),
            logger: recorder.logger()
        )
        _ = try await producer.metadata(timeout: .seconds(5))
        await producer.close(timeout: .seconds(2))
        let debug = recorder.all.filter { $0.source == "librdkafka" && "\($0.level)" == "debug" }
        #expect(!debug.isEmpty)
        #expect(debug.contains { $0.metadata[KafkaLoggingKeys.facility] != nil && $0.metadata[KafkaLoggingKeys.facility] != "" })
    }

    @Test("statistics arrive with consumer lag per partition (mock cluster: Tansu's watermarks are wrong)")
    func statisticsCarryConsumerLag() async throws {
        let cluster = try KafkaMockCluster(brokers: 1, logger: Rig.logger)
        let topic = Rig.unique("lag")
        try cluster.createTopic(topic, partitions: 2)
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(common: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers)),
            logger: Rig.logger
        )
        for result in await producer.send((0..<100).map { KafkaRecord(topic: topic, partition: 0, key: nil, value: Array("\($0)".utf8)) }) {
            _ = try result.get()
        }
        await producer.close(timeout: .seconds(5))

        let latest = Mutex<KafkaStatistics?>(nil)
        var configuration = Rig.consumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupID: Rig.unique("g"))
        configuration.common.statisticsInterval = .milliseconds(200)
        let consumer = try KafkaConsumer(configuration: configuration, topics: [topic], logger: Rig.logger) { statistics in
            latest.withLock { $0 = statistics }
        }
        let partition = KafkaTopicPartition(topic: topic, partition: 0)
        let messages = await Rig.collect(consumer, count: 100, timeout: .seconds(30))
        try #require(messages.count == 100)

        // Processed 10 and committed them: 90 behind the committed offset and the stored one.
        try consumer.store(topic: topic, partition: 0, offset: 10)
        try await consumer.commit()
        let committedLag = await eventually(timeout: .seconds(10)) {
            latest.withLock { $0?.consumerLag[partition] == 90 && $0?.consumerLagStored[partition] == 90 }
        }
        #expect(
            committedLag,
            "lag: \(String(describing: latest.withLock { $0?.consumerLag })) stored: \(String(describing: latest.withLock { $0?.consumerLagStored }))"
        )

        // Processed 30 without committing: the stored lag moves, the committed lag does not.
        try consumer.store(topic: topic, partition: 0, offset: 30)
        let storedLag = await eventually(timeout: .seconds(10)) {
            latest.withLock { $0?.consumerLagStored[partition] == 70 && $0?.consumerLag[partition] == 90 }
        }
        #expect(
            storedLag,
            "lag: \(String(describing: latest.withLock { $0?.consumerLag })) stored: \(String(describing: latest.withLock { $0?.consumerLagStored }))"
        )
        #expect(latest.withLock { $0?.clientName.isEmpty == false })
        await consumer.close()
    }
}
