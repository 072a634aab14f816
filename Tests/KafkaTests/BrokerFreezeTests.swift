import Kafka
import Synchronization
import Testing
import UnderstudyTesting

/// A broker frozen (SIGSTOP) for longer than the session timeout, part-way through a backlog,
/// on Tansu: the group loses the assignment and gives it back; consumption must resume and
/// reach every message.
@Suite(.timeLimit(.minutes(4)))
struct BrokerFreezeTests {
    @Test(
        "a broker frozen past session.timeout.ms while the reader is stuck: every offset is consumed afterwards",
        arguments: ["range,roundrobin", "cooperative-sticky"])
    func frozenBrokerResumes(strategy: String) async throws {
        try await withTansu { broker in
            let topic = Rig.unique("freeze")
            try await broker.createTopic(topic, partitions: 2)
            let total = 1_500
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(common: KafkaConfiguration(bootstrapServers: broker.bootstrapServers)), logger: Rig.logger
            )
            for result in await producer.send(
                (0..<total).map { KafkaRecord(topic: topic, partition: Int32($0 % 2), key: nil, value: Array("\($0)".utf8)) })
            {
                _ = try result.get()
            }
            await producer.close(timeout: .seconds(5))

            let events = PartitionEvents()
            // The worker's shape: a bounded buffer, a reader that stalls while its jobs wait on
            // the frozen broker, offsets stored as jobs finish.
            let consumer = try KafkaConsumer(
                configuration: Rig.consumerConfiguration(
                    bootstrapServers: broker.bootstrapServers, groupID: Rig.unique("g"), assignmentStrategy: strategy, bufferCapacity: 64
                ),
                topics: [topic], listener: events, logger: Rig.logger
            )
            let gate = Gate()
            let seen = Mutex<Set<String>>([])
            let reader = Task {
                for await message in consumer.messages {
                    await gate.wait()
                    seen.withLock { _ = $0.insert("\(message.partition)/\(message.offset)") }
                    _ = try? consumer.store(topic: message.topic, partition: message.partition, offset: message.offset + 1)
                    try? await Task.sleep(for: .milliseconds(1))
                }
            }
            #expect(await eventually(timeout: .seconds(30)) { seen.withLock { $0.count } >= 300 })
            try await consumer.commit(timeout: .seconds(5))
            gate.close()
            // Frozen for longer than the 6 s session timeout.
            broker.freeze()
            try await Task.sleep(for: .seconds(9))
            broker.thaw()
            try await Task.sleep(for: .seconds(1))
            gate.open()
            let all = await eventually(timeout: .seconds(60)) { seen.withLock { $0.count } == total }
            let count = seen.withLock { $0.count }
            #expect(all, "every offset consumed after the freeze: \(count) of \(total); events \(events.events)")
            #expect(events.events.contains { if case .revoked = $0 { true } else { false } }, "the freeze cost the assignment: \(events.events)")
            reader.cancel()
            await consumer.close(timeout: .seconds(10))
        }
    }
}

/// A gate a task waits at while it is closed.
final class Gate: Sendable {
    private let isOpen = Atomic<Bool>(true)

    func close() { isOpen.store(false, ordering: .releasing) }
    func open() { isOpen.store(true, ordering: .releasing) }

    func wait() async {
        while !isOpen.load(ordering: .acquiring) {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
}
