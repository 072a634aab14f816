import Kafka
import Synchronization
import Testing
import UnderstudyTesting

/// Consumes until `stop` says so, storing the offset of every message it is told to store.
final class Member: Sendable {
    let consumer: KafkaConsumer
    let events: PartitionEvents
    let seen = Mutex<[KafkaMessage]>([])
    let storeEnabled = Atomic<Bool>(true)
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)

    init(broker: TansuBroker, topic: String, group: String, strategy: String? = nil) throws {
        events = PartitionEvents()
        consumer = try KafkaConsumer(
            configuration: Rig.consumerConfiguration(bootstrapServers: broker.bootstrapServers, groupID: group, assignmentStrategy: strategy),
            topics: [topic], listener: events, logger: Rig.logger
        )
        let consumer = self.consumer
        let loop = Task {
            for await message in consumer.messages {
                self.seen.withLock { $0.append(message) }
                if self.storeEnabled.load(ordering: .relaxed) {
                    _ = try? consumer.store(topic: message.topic, partition: message.partition, offset: message.offset + 1)
                }
            }
        }
        task.withLock { $0 = loop }
    }

    var messages: [KafkaMessage] { seen.withLock { $0 } }

    func close() async {
        await consumer.close()
        let loop = task.withLock { $0 }
        await loop?.value
    }
}

/// Consumer groups on a real broker (Tansu): splitting, taking over, committed positions.
@Suite(.timeLimit(.minutes(3)))
struct ConsumerGroupTests {
    static func produce(_ broker: TansuBroker, topic: String, count: Int, partitions: Int, tag: String) async throws {
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(common: KafkaConfiguration(bootstrapServers: broker.bootstrapServers)),
            logger: Rig.logger
        )
        let results = await producer.send(
            (0..<count).map { KafkaRecord(topic: topic, partition: Int32($0 % partitions), key: nil, value: Array("\(tag)-\($0)".utf8)) }
        )
        for result in results { _ = try result.get() }
        await producer.close(timeout: .seconds(5))
    }

    @Test(
        "two members split the partitions; when one leaves, the other resumes its partitions at their committed offsets",
        arguments: ["range,roundrobin", "cooperative-sticky"])
    func takeoverResumesAtCommittedOffsets(strategy: String) async throws {
        try await withTansu { broker in
            let topic = Rig.unique("group")
            let group = Rig.unique("g")
            try await broker.createTopic(topic, partitions: 4)
            try await Self.produce(broker, topic: topic, count: 400, partitions: 4, tag: "one")

            let a = try Member(broker: broker, topic: topic, group: group, strategy: strategy)
            #expect(await eventually(timeout: .seconds(20)) { a.consumer.assignment.count == 4 })
            let b = try Member(broker: broker, topic: topic, group: group, strategy: strategy)
            let split = await eventually(timeout: .seconds(30)) {
                a.consumer.assignment.count == 2 && b.consumer.assignment.count == 2
            }
            #expect(split, "the group splits 4 partitions 2 and 2")
            #expect(a.consumer.assignment.isDisjoint(with: b.consumer.assignment))
            #expect(
                await eventually(timeout: .seconds(30)) {
                    Set((a.messages + b.messages).compactMap { String(validating: $0.value, as: UTF8.self) }).count == 400
                })

            // B commits what it processed, then sees part of a second wave without storing it.
            try await b.consumer.commit()
            let bPartitions = b.consumer.assignment
            b.storeEnabled.store(false, ordering: .relaxed)
            let committedBefore = try await b.consumer.committed(Array(bPartitions), timeout: .seconds(5))
            try await Self.produce(broker, topic: topic, count: 400, partitions: 4, tag: "two")
            _ = await eventually(timeout: .seconds(10)) { b.messages.contains { $0.value.starts(with: Array("two".utf8)) } }
            let aBeforeTakeover = a.messages.count
            await b.close()

            // A takes B's partitions over and starts each at B's committed offset.
            #expect(await eventually(timeout: .seconds(30)) { a.consumer.assignment.count == 4 })
            let caughtUp = await eventually(timeout: .seconds(30)) {
                let after = a.messages[aBeforeTakeover...]
                return bPartitions.allSatisfy { partition in after.contains { $0.topicPartition == partition && $0.offset == 199 } }
            }
            #expect(caughtUp, "A reads B's partitions to their end")
            let values = Set((a.messages + b.messages).compactMap { String(validating: $0.value, as: UTF8.self) })
            #expect(values.count == 800, "nothing skipped")
            for partition in bPartitions {
                let taken = a.messages[aBeforeTakeover...].filter { $0.topicPartition == partition }
                let firstAfterTakeover = taken.map(\.offset).min()
                #expect(firstAfterTakeover == committedBefore[partition], "\(partition) resumes at its committed offset")
                // Re-read only what B saw after its last commit.
                let rereads = Set(taken.map(\.offset)).intersection(b.messages.filter { $0.topicPartition == partition }.map(\.offset))
                #expect(rereads.allSatisfy { $0 >= (committedBefore[partition] ?? 0) })
            }
            #expect(b.events.events.contains { if case .revoked = $0 { true } else { false } }, "B's listener heard the revoke")
            await a.close()
        }
    }
}
