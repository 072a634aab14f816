import Kafka
import Synchronization
import Testing
import UnderstudyTesting

/// A listener whose revoke outlives the consumer's revoke timeout, recording when each call
/// ended (in the order they ended).
final class SlowRevokeListener: KafkaRebalanceListener {
    enum Ended: Sendable, Hashable {
        case assigned(generation: UInt64)
        case revoked(generation: UInt64)
    }

    private let ended = Mutex<[Ended]>([])
    let revokeDelay: Duration

    init(revokeDelay: Duration) {
        self.revokeDelay = revokeDelay
    }

    var order: [Ended] { ended.withLock { $0 } }

    func partitionsAssigned(_ partitions: [KafkaTopicPartition], generation: UInt64) async {
        ended.withLock { $0.append(.assigned(generation: generation)) }
    }

    func partitionsRevoked(_ partitions: [KafkaTopicPartition], lost: Bool, generation: UInt64) async {
        try? await Task.sleep(for: revokeDelay)
        ended.withLock { $0.append(.revoked(generation: generation)) }
    }
}

/// Rebalance generations and the pause state across rebalances, on librdkafka's mock cluster.
@Suite(.timeLimit(.minutes(3)))
struct RebalanceGenerationTests {
    static func produce(_ bootstrapServers: String, topic: String, count: Int, partitions: Int, from start: Int = 0) async throws {
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(common: KafkaConfiguration(bootstrapServers: bootstrapServers)), logger: Rig.logger
        )
        let records = (start..<start + count).map {
            KafkaRecord(topic: topic, partition: Int32($0 % partitions), key: nil, value: Array("\($0)".utf8))
        }
        for result in await producer.send(records) { _ = try result.get() }
        await producer.close(timeout: .seconds(5))
    }

    @Test(
        "every rebalance event has a higher generation; messages carry the generation they were fetched under; isCurrent tells stale ones",
        arguments: ["range,roundrobin", "cooperative-sticky"])
    func generationsTagMessages(strategy: String) async throws {
        let cluster = try KafkaMockCluster(brokers: 1, logger: Rig.logger)
        let topic = Rig.unique("gen")
        try cluster.createTopic(topic, partitions: 4)
        try await Self.produce(cluster.bootstrapServers, topic: topic, count: 400, partitions: 4)
        let group = Rig.unique("g")
        let events = PartitionEvents()
        let a = try KafkaConsumer(
            configuration: Rig.consumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupID: group, assignmentStrategy: strategy),
            topics: [topic], listener: events, logger: Rig.logger
        )
        let first = await Rig.collect(a, count: 400, timeout: .seconds(30))
        #expect(first.count == 400)
        let firstGeneration = try #require(events.numbered.first?.generation)
        #expect(first.allSatisfy { $0.generation == firstGeneration }, "all fetched under the first assignment")
        #expect(first.allSatisfy { a.isCurrent($0) })

        // A second member joins: some of A's partitions move.
        let b = try KafkaConsumer(
            configuration: Rig.consumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupID: group, assignmentStrategy: strategy),
            topics: [topic], logger: Rig.logger
        )
        #expect(await eventually(timeout: .seconds(30)) { a.assignment.count == 2 && b.assignment.count == 2 })
        let numbered = events.numbered
        #expect(numbered.count >= 2)
        #expect(zip(numbered, numbered.dropFirst()).allSatisfy { $0.generation < $1.generation }, "strictly increasing: \(numbered)")
        // A cooperative group may still be applying a follow-up event (its generation already
        // counted, its listener call not yet recorded).
        #expect(a.generation >= numbered.last?.generation ?? 0)
        let moved = Set(first.map(\.topicPartition)).subtracting(a.assignment)
        #expect(moved.count == 2)
        #expect(first.filter { moved.contains($0.topicPartition) }.allSatisfy { !a.isCurrent($0) }, "messages of moved partitions are stale")
        if strategy == "cooperative-sticky" {
            #expect(first.filter { !moved.contains($0.topicPartition) }.allSatisfy { a.isCurrent($0) }, "kept partitions stay current")
        } else {
            #expect(first.allSatisfy { !a.isCurrent($0) }, "eager: every partition was revoked and assigned again")
        }

        try await Self.produce(cluster.bootstrapServers, topic: topic, count: 400, partitions: 4, from: 400)
        let second = await Rig.collect(a, count: 200, timeout: .seconds(30))
        #expect(second.count == 200)
        #expect(second.allSatisfy { a.isCurrent($0) && a.assignment.contains($0.topicPartition) })
        await b.close(timeout: .seconds(10))
        await a.close(timeout: .seconds(10))
    }

    @Test("a revoke listener that outlives the revoke timeout ends after the reassignment, and its generation tells it is late")
    func lateRevokeIsOlderThanReassignment() async throws {
        let cluster = try KafkaMockCluster(brokers: 1, logger: Rig.logger)
        let topic = Rig.unique("late")
        try cluster.createTopic(topic, partitions: 2)
        let listener = SlowRevokeListener(revokeDelay: .seconds(15))
        var configuration = Rig.consumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupID: Rig.unique("g"))
        configuration.revokeTimeout = .milliseconds(300)
        let consumer = try KafkaConsumer(configuration: configuration, topics: [topic], listener: listener, logger: Rig.logger)
        #expect(await eventually(timeout: .seconds(20)) { consumer.assignment.count == 2 })
        // The broker forgets the member: the assignment is lost, then given back.
        cluster.pushRequestErrors(.heartbeat, [.unknownMemberID])
        let reassigned = await eventually(timeout: .seconds(20)) {
            listener.order.filter { if case .assigned = $0 { true } else { false } }.count >= 2
        }
        #expect(reassigned)
        #expect(await eventually(timeout: .seconds(20)) { listener.order.count >= 3 })
        let order = listener.order
        guard order.count >= 3, case .assigned(let again) = order[1], case .revoked(let revoke) = order[2] else {
            Issue.record("expected assigned, assigned again, then the late revoke: \(order)")
            await consumer.close(timeout: .seconds(5))
            return
        }
        #expect(revoke < again, "the late revoke's generation is older than the reassignment's: \(order)")
        #expect(consumer.assignment.count == 2, "the late revoke changed nothing in the consumer")
        try await Self.produce(cluster.bootstrapServers, topic: topic, count: 50, partitions: 2)
        let messages = await Rig.collect(consumer, count: 50, timeout: .seconds(20))
        #expect(messages.count == 50)
        #expect(messages.allSatisfy { $0.generation >= again && consumer.isCurrent($0) })
        await consumer.close(timeout: .seconds(5))
    }

    @Test(
        "a full buffer's pause does not outlive the assignment: after a lost assignment and a reassignment, consumption resumes",
        arguments: ["range,roundrobin", "cooperative-sticky"])
    func pauseDoesNotOutliveAssignment(strategy: String) async throws {
        let cluster = try KafkaMockCluster(brokers: 1, logger: Rig.logger)
        let topic = Rig.unique("paused")
        try cluster.createTopic(topic, partitions: 2)
        let total = 1_000
        try await Self.produce(cluster.bootstrapServers, topic: topic, count: total, partitions: 2)
        let events = PartitionEvents()
        let consumer = try KafkaConsumer(
            configuration: Rig.consumerConfiguration(
                bootstrapServers: cluster.bootstrapServers, groupID: Rig.unique("g"), assignmentStrategy: strategy, bufferCapacity: 16
            ),
            topics: [topic], listener: events, logger: Rig.logger
        )
        var iterator = consumer.messages.makeAsyncIterator()
        var seen: [KafkaMessage] = []
        for _ in 0..<10 {
            if let message = await iterator.next() { seen.append(message) }
        }
        // The reader stops (a worker whose jobs wait on a frozen broker): the buffer fills and
        // the consumer pauses its partitions. Then the group loses and returns the assignment.
        try await Task.sleep(for: .milliseconds(1_500))
        cluster.pushRequestErrors(.heartbeat, [.unknownMemberID])
        let back = await eventually(timeout: .seconds(20)) {
            events.events.filter { if case .assigned = $0 { true } else { false } }.count >= 2 && consumer.assignment.count == 2
        }
        #expect(back, "assigned again: \(events.events)")
        // The reader comes back: everything arrives.
        let reader = Reader(consumer)
        let before = Set(seen.map { "\($0.partition)/\($0.offset)" })
        let all = await eventually(timeout: .seconds(30)) { before.union(reader.offsets).count == total }
        reader.stop()
        #expect(all, "every offset consumed after the pause and the reassignment: \(before.union(reader.offsets).count) of \(total)")
        await consumer.close(timeout: .seconds(5))
    }
}

/// Reads a consumer's messages on its own task until stopped, keeping the distinct offsets.
final class Reader: Sendable {
    private let seen = Mutex<Set<String>>([])
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)

    init(_ consumer: KafkaConsumer) {
        let loop = Task {
            for await message in consumer.messages {
                self.seen.withLock { _ = $0.insert("\(message.partition)/\(message.offset)") }
                _ = try? consumer.store(topic: message.topic, partition: message.partition, offset: message.offset + 1)
            }
        }
        task.withLock { $0 = loop }
    }

    /// Distinct `partition/offset` pairs read so far.
    var offsets: Set<String> { seen.withLock { $0 } }

    func stop() {
        task.withLock { $0?.cancel() }
    }
}
