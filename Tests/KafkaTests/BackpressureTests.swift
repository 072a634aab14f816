import Kafka
import Synchronization
import Testing
import UnderstudyTesting

/// A slow reader with a tiny buffer: the consumer pauses and resumes its partitions, loses and
/// repeats nothing, and keeps its group membership past `max.poll.interval.ms`.
@Suite(.timeLimit(.minutes(3)))
struct BackpressureTests {
    @Test("a tiny buffer and a slow reader: every message exactly once, and no eviction past max.poll.interval.ms")
    func slowReaderKeepsMembership() async throws {
        try await withTansu { broker in
            let topic = Rig.unique("slow")
            try await broker.createTopic(topic, partitions: 2)
            let total = 800
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(common: KafkaConfiguration(bootstrapServers: broker.bootstrapServers)),
                logger: Rig.logger
            )
            for result in await producer.send(
                (0..<total).map { KafkaRecord(topic: topic, partition: Int32($0 % 2), key: nil, value: Array("\($0)".utf8)) })
            {
                _ = try result.get()
            }
            await producer.close(timeout: .seconds(5))

            let events = PartitionEvents()
            let maxPollInterval = Duration.seconds(6)
            let consumer = try KafkaConsumer(
                configuration: Rig.consumerConfiguration(
                    bootstrapServers: broker.bootstrapServers, groupID: Rig.unique("g"),
                    properties: ["max.poll.interval.ms": "\(maxPollInterval.components.seconds * 1000)"], bufferCapacity: 8
                ),
                topics: [topic], listener: events, logger: Rig.logger
            )
            let clock = ContinuousClock()
            let start = clock.now
            var received: [KafkaMessage] = []
            for await message in consumer.messages {
                received.append(message)
                try consumer.store(topic: message.topic, partition: message.partition, offset: message.offset + 1)
                try await Task.sleep(for: .milliseconds(12))
                if received.count == total { break }
            }
            let elapsed = clock.now - start
            // Anything more would be a repeat.
            let extra = await Rig.collect(consumer, count: 1, timeout: .seconds(2))
            // Checked before close(), which leaves the group and so revokes.
            let membership = events.events
            await consumer.close()

            #expect(elapsed > maxPollInterval + .seconds(2), "the reader was slower than max.poll.interval.ms (took \(elapsed))")
            #expect(extra.isEmpty)
            let values = received.compactMap { String(validating: $0.value, as: UTF8.self).flatMap(Int.init) }
            #expect(values.count == total && Set(values).count == total, "every message exactly once")
            for partition in [Int32(0), 1] {
                let offsets = received.filter { $0.partition == partition }.map(\.offset)
                #expect(offsets == (0..<Int64(total / 2)).map { $0 }, "partition \(partition) in order, no gap, no repeat")
            }
            #expect(membership.count == 1, "assigned once, never revoked while reading slowly: \(membership)")
        }
    }
}
