import Kafka
import Synchronization
import Testing
import UnderstudyTesting

/// Collects what `onFatalError` is told, and how often.
final class FatalErrors: Sendable {
    private let heard = Mutex<[KafkaError]>([])
    var errors: [KafkaError] { heard.withLock { $0 } }
    var handler: @Sendable (KafkaError) -> Void { { error in self.heard.withLock { $0.append(error) } } }
}

/// Fatal means exit: every way librdkafka reports a fatal error reaches `onFatalError` once,
/// with the real cause and `isFatal`, on librdkafka's mock cluster (which can inject them).
@Suite(.timeLimit(.minutes(3)))
struct FatalErrorTests {
    @Test("producer: a fatal error (error callback) reaches onFatalError once, with its cause; sends after it fail as fatal")
    func producerFatalError() async throws {
        let cluster = try KafkaMockCluster(brokers: 1, logger: Rig.logger)
        let topic = Rig.unique("fatal")
        try cluster.createTopic(topic, partitions: 1)
        let fatal = FatalErrors()
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(common: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers)),
            logger: Rig.logger, onFatalError: fatal.handler
        )
        _ = try await producer.send(KafkaRecord(topic: topic, key: nil, value: Array("before".utf8)))
        #expect(fatal.errors.isEmpty)

        producer.raiseTestFatalError(.outOfOrderSequenceNumber, reason: "injected by the test")
        producer.raiseTestFatalError(.outOfOrderSequenceNumber, reason: "a second one")
        #expect(await eventually(timeout: .seconds(5)) { !fatal.errors.isEmpty })
        try await Task.sleep(for: .milliseconds(300))
        let errors = fatal.errors
        #expect(errors.count == 1, "called once: \(errors)")
        #expect(errors.first?.isFatal == true)
        #expect(errors.first?.code == .outOfOrderSequenceNumber, "the real cause, not _FATAL: \(String(describing: errors.first))")

        let after = await producer.send([KafkaRecord(topic: topic, key: nil, value: Array("after".utf8))])
        guard case .failure(let error) = after[0] else {
            Issue.record("a send after a fatal error succeeded")
            return
        }
        #expect(error.isFatal, "\(error)")
        await producer.close(timeout: .seconds(2))
        #expect(fatal.errors.count == 1)
    }

    @Test("producer: records waiting for delivery when a fatal error is raised fail with isFatal")
    func deliveryReportsCarryFatal() async throws {
        let cluster = try KafkaMockCluster(brokers: 1, logger: Rig.logger)
        let topic = Rig.unique("fatal-dr")
        try cluster.createTopic(topic, partitions: 1)
        let fatal = FatalErrors()
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(common: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers)),
            logger: Rig.logger, onFatalError: fatal.handler
        )
        _ = try await producer.send(KafkaRecord(topic: topic, key: nil, value: Array("warm-up".utf8)))
        // With the broker down the records stay queued; the fatal error purges them.
        cluster.setBrokerDown(1)
        async let results = producer.send((0..<20).map { KafkaRecord(topic: topic, key: nil, value: Array("\($0)".utf8)) })
        try await Task.sleep(for: .milliseconds(300))
        producer.raiseTestFatalError(.outOfOrderSequenceNumber, reason: "injected by the test")
        let outcomes = await results
        // The broker stays down: bringing a mock broker up again re-binds its port, which another
        // test may have taken meanwhile (librdkafka then aborts the process).
        let failures = outcomes.compactMap { outcome -> KafkaError? in
            if case .failure(let error) = outcome { return error }
            return nil
        }
        #expect(failures.count == 20, "every queued record failed")
        #expect(failures.allSatisfy { $0.isFatal }, "\(failures.first.map { "\($0)" } ?? "")")
        #expect(fatal.errors.count == 1)
        await producer.close(timeout: .seconds(2))
    }

    @Test("consumer: a fenced static member (FENCED_INSTANCE_ID on a heartbeat) reaches onFatalError once, and later calls fail as fatal")
    func fencedStaticMember() async throws {
        let cluster = try KafkaMockCluster(brokers: 1, logger: Rig.logger)
        let topic = Rig.unique("fenced")
        try cluster.createTopic(topic, partitions: 2)
        let fatal = FatalErrors()
        let consumer = try KafkaConsumer(
            configuration: Rig.consumerConfiguration(
                bootstrapServers: cluster.bootstrapServers, groupID: Rig.unique("g"), properties: ["group.instance.id": Rig.unique("pod")]
            ),
            topics: [topic], logger: Rig.logger, onFatalError: fatal.handler
        )
        #expect(await eventually(timeout: .seconds(20)) { consumer.assignment.count == 2 })
        cluster.pushRequestErrors(.heartbeat, [.fencedInstanceID, .fencedInstanceID])
        #expect(await eventually(timeout: .seconds(10)) { !fatal.errors.isEmpty }, "the fenced member hears of it")
        try await Task.sleep(for: .seconds(1))
        let errors = fatal.errors
        #expect(errors.count == 1, "\(errors)")
        #expect(errors.first?.isFatal == true)
        #expect(errors.first?.code == .fencedInstanceID, "\(String(describing: errors.first))")
        await #expect {
            try await consumer.commit(timeout: .seconds(2))
        } throws: { error in
            (error as? KafkaError)?.isFatal == true
        }
        let start = ContinuousClock.now
        await consumer.close(timeout: .seconds(5))
        #expect(ContinuousClock.now - start < .seconds(7))
    }
}
