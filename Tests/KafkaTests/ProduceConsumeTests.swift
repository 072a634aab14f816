import Foundation
import Kafka
import Testing
import UnderstudyTesting

/// Produce and consume through a real broker (Tansu).
@Suite(.timeLimit(.minutes(3)))
struct ProduceConsumeTests {
    /// A plain producer to the test's broker.
    static func producer(_ broker: TansuBroker) throws -> KafkaProducer {
        try KafkaProducer(
            configuration: KafkaProducerConfiguration(common: KafkaConfiguration(bootstrapServers: broker.bootstrapServers)), logger: Rig.logger)
    }

    @Test("10,000 messages with headers come back exactly once, in order within each partition")
    func tenThousandMessagesExactlyOnceInOrder() async throws {
        try await withTansu { broker in
            let topic = Rig.unique("roundtrip")
            try await broker.createTopic(topic, partitions: 4)
            let producer = try Self.producer(broker)
            let records = (0..<10_000).map { index in
                KafkaRecord(
                    topic: topic, key: Array("key-\(index % 97)".utf8), value: Array("message-\(index)".utf8),
                    headers: [KafkaHeader(name: "index", text: "\(index)"), KafkaHeader(name: "empty", value: nil)]
                )
            }
            let reports = await producer.send(records)
            let delivered = try reports.map { try $0.get() }
            #expect(delivered.count == 10_000)
            await producer.close(timeout: .seconds(10))

            let consumer = try KafkaConsumer(
                configuration: Rig.consumerConfiguration(bootstrapServers: broker.bootstrapServers, groupID: Rig.unique("group")),
                topics: [topic], logger: Rig.logger
            )
            let messages = await Rig.collect(consumer, count: 10_000, timeout: .seconds(60))
            await consumer.close()

            #expect(messages.count == 10_000)
            let indexes = messages.compactMap { $0.headers.text("index").flatMap(Int.init) }
            #expect(Set(indexes).count == 10_000, "each message exactly once")
            #expect(messages.allSatisfy { $0.headers.contains(KafkaHeader(name: "empty", value: nil)) })
            #expect(messages.allSatisfy { $0.timestampMilliseconds != nil && $0.key != nil })
            // Within a partition, offsets rise and production order (index) is kept.
            for partition in Set(messages.map(\.partition)) {
                let inPartition = messages.filter { $0.partition == partition }
                #expect(inPartition.map(\.offset) == inPartition.map(\.offset).sorted())
                let order = inPartition.compactMap { $0.headers.text("index").flatMap(Int.init) }
                #expect(order == order.sorted())
            }
            // The delivery reports name the offsets the consumer saw.
            let reported = Set(delivered.map { "\($0.partition)/\($0.offset)" })
            #expect(reported == Set(messages.map { "\($0.partition)/\($0.offset)" }))
        }
    }

    @Test("an offset that was not stored is never committed: store 0..4 of 0..9, reopen, resume at 5")
    func unstoredOffsetsAreNotCommitted() async throws {
        try await withTansu { broker in
            let topic = Rig.unique("store")
            try await broker.createTopic(topic, partitions: 1)
            let producer = try Self.producer(broker)
            _ = await producer.send((0..<10).map { KafkaRecord(topic: topic, partition: 0, key: nil, value: Array("\($0)".utf8)) })
            await producer.close(timeout: .seconds(5))
            let group = Rig.unique("group")

            let first = try KafkaConsumer(
                configuration: Rig.consumerConfiguration(bootstrapServers: broker.bootstrapServers, groupID: group),
                topics: [topic], logger: Rig.logger
            )
            let processed = await Rig.collect(first, count: 10, timeout: .seconds(30))
            #expect(processed.map(\.offset) == Array(0..<10))
            for message in processed where message.offset <= 4 {
                try first.store(topic: topic, partition: 0, offset: message.offset + 1)
            }
            await first.close()

            let second = try KafkaConsumer(
                configuration: Rig.consumerConfiguration(bootstrapServers: broker.bootstrapServers, groupID: group),
                topics: [topic], logger: Rig.logger
            )
            let again = await Rig.collect(second, count: 5, timeout: .seconds(30))
            await second.close()
            #expect(again.first?.offset == 5)
            #expect(again.map(\.offset) == Array(5..<10))
        }
    }

    @Test("pause stops delivery from a partition; resume restarts it")
    func pauseAndResume() async throws {
        try await withTansu { broker in
            let topic = Rig.unique("pause")
            try await broker.createTopic(topic, partitions: 2)
            let producer = try Self.producer(broker)
            let consumer = try KafkaConsumer(
                configuration: Rig.consumerConfiguration(bootstrapServers: broker.bootstrapServers, groupID: Rig.unique("group")),
                topics: [topic], logger: Rig.logger
            )
            // First wave on both partitions, so that the consumer is assigned and fetching.
            _ = await producer.send((0..<20).map { KafkaRecord(topic: topic, partition: Int32($0 % 2), key: nil, value: Array("a\($0)".utf8)) })
            let wave1 = await Rig.collect(consumer, count: 20, timeout: .seconds(30))
            #expect(wave1.count == 20)

            let paused = KafkaTopicPartition(topic: topic, partition: 0)
            consumer.pause([paused])
            _ = await producer.send((0..<20).map { KafkaRecord(topic: topic, partition: Int32($0 % 2), key: nil, value: Array("b\($0)".utf8)) })
            let wave2 = await Rig.collect(consumer, count: 20, timeout: .seconds(4))
            #expect(wave2.count == 10, "only partition 1 delivers while 0 is paused")
            #expect(wave2.allSatisfy { $0.partition == 1 })

            consumer.resume([paused])
            let wave3 = await Rig.collect(consumer, count: 10, timeout: .seconds(20))
            #expect(wave3.count == 10)
            #expect(wave3.allSatisfy { $0.partition == 0 })
            await consumer.close()
            await producer.close(timeout: .seconds(5))
        }
    }

    @Test(
        "partitionsFromBeginning: a reader gets exactly the partitions it names, each from its first message, with no group to join, and closes at once"
    )
    func readsTheNamedPartitions() async throws {
        try await withTansu { broker in
            let topic = Rig.unique("named")
            try await broker.createTopic(topic, partitions: 3)
            let producer = try Self.producer(broker)
            let records = (0..<3).flatMap { partition in
                (0..<10).map { KafkaRecord(topic: topic, partition: Int32(partition), key: nil, value: Array("p\(partition)-\($0)".utf8)) }
            }
            for report in await producer.send(records) { _ = try report.get() }
            await producer.close(timeout: .seconds(10))

            let named = [KafkaTopicPartition(topic: topic, partition: 0), KafkaTopicPartition(topic: topic, partition: 2)]
            let consumer = try KafkaConsumer(
                configuration: Rig.consumerConfiguration(bootstrapServers: broker.bootstrapServers, groupID: Rig.unique("named")),
                reading: .partitionsFromBeginning(named), logger: Rig.logger)
            #expect(consumer.assignment == Set(named))
            var messages = await Rig.collect(consumer, count: 20, timeout: .seconds(20))
            messages += await Rig.collect(consumer, count: 1, timeout: .seconds(1))  // nothing more comes
            let clock = ContinuousClock()
            let closeStarted = clock.now
            await consumer.close()
            #expect(clock.now - closeStarted < .seconds(10), "no group to leave")
            let values = messages.map { String(decoding: $0.value, as: UTF8.self) }
            #expect(values.count == 20, "\(values)")
            for partition in [0, 2] {
                #expect(values.filter { $0.hasPrefix("p\(partition)-") } == (0..<10).map { "p\(partition)-\($0)" }, "in order, from the first")
            }
            #expect(messages.allSatisfy { consumer.isCurrent($0) })
        }
    }

    @Test("startTimestampMs: a reader starts each partition at the first message stamped at or after that time")
    func startsAtATimestamp() async throws {
        try await withTansu { broker in
            let topic = Rig.unique("since")
            try await broker.createTopic(topic, partitions: 2)
            let producer = try Self.producer(broker)
            func send(_ prefix: String) async throws {
                let records = (0..<20).map { KafkaRecord(topic: topic, key: Array("k\($0)".utf8), value: Array("\(prefix)-\($0)".utf8)) }
                for report in await producer.send(records) { _ = try report.get() }
            }
            try await send("old")
            // Broker timestamps are in milliseconds: a gap makes the cut unambiguous.
            try await Task.sleep(for: .milliseconds(1_200))
            let cut = Int64(Date().timeIntervalSince1970 * 1_000)
            try await Task.sleep(for: .milliseconds(200))
            try await send("new")
            await producer.close(timeout: .seconds(10))

            var configuration = Rig.consumerConfiguration(bootstrapServers: broker.bootstrapServers, groupID: Rig.unique("since"))
            configuration.startTimestampMs = cut
            let consumer = try KafkaConsumer(configuration: configuration, topics: [topic], logger: Rig.logger)
            let messages = await Rig.collect(consumer, count: 40, timeout: .seconds(8))
            await consumer.close()
            let values = messages.map { String(decoding: $0.value, as: UTF8.self) }
            #expect(values.count == 20, "\(values)")
            #expect(values.allSatisfy { $0.hasPrefix("new-") }, "\(values)")
        }
    }
}
