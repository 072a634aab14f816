import Kafka
import Testing
import UnderstudyTesting

/// Transactions: committed output and offsets on Tansu; abortable and fatal errors on the mock
/// cluster (Tansu cannot be told to fail a transactional request).
@Suite(.timeLimit(.minutes(3)))
struct TransactionTests {
    static func transactionalProducer(_ bootstrapServers: String) throws -> KafkaProducer {
        try KafkaProducer(
            configuration: KafkaProducerConfiguration(
                common: KafkaConfiguration(bootstrapServers: bootstrapServers), transactionalID: Rig.unique("txn")
            ),
            logger: Rig.logger
        )
    }

    static func records(_ topic: String, _ tag: String, count: Int) -> [KafkaRecord] {
        (0..<count).map { KafkaRecord(topic: topic, partition: 0, key: nil, value: Array("\(tag)-\($0)".utf8)) }
    }

    @Test("Tansu: a committed transaction's output is visible and its offsets become the group's; an aborted one moves nothing")
    func committedAndAbortedTransactionsOnTansu() async throws {
        try await withTansu { broker in
            let input = Rig.unique("in")
            let output = Rig.unique("out")
            let group = Rig.unique("g")
            try await broker.createTopic(input, partitions: 1)
            try await broker.createTopic(output, partitions: 1)
            let plain = try KafkaProducer(
                configuration: KafkaProducerConfiguration(common: KafkaConfiguration(bootstrapServers: broker.bootstrapServers)),
                logger: Rig.logger
            )
            for result in await plain.send(Self.records(input, "job", count: 20)) { _ = try result.get() }
            await plain.close(timeout: .seconds(5))

            // Read-process-write: the consumer reads the input; the producer writes the output
            // and commits the consumed offsets with it.
            let consumer = try KafkaConsumer(
                configuration: Rig.consumerConfiguration(bootstrapServers: broker.bootstrapServers, groupID: group),
                topics: [input], logger: Rig.logger
            )
            let jobs = await Rig.collect(consumer, count: 20, timeout: .seconds(30))
            try #require(jobs.count == 20)
            let partition = KafkaTopicPartition(topic: input, partition: 0)
            let producer = try Self.transactionalProducer(broker.bootstrapServers)
            try await producer.initTransactions(timeout: .seconds(10))

            try producer.beginTransaction()
            // Sent (and acknowledged) before the commit: an `async let` child might otherwise
            // start only after the commit, outside any transaction, on a slow (sanitized) run.
            let firstSends = await producer.send(Self.records(output, "committed", count: 10))
            try await producer.sendOffsetsToTransaction(
                [KafkaPartitionOffset(topic: input, partition: 0, offset: 10)], consumer: consumer, timeout: .seconds(10)
            )
            try await producer.commitTransaction(timeout: .seconds(10))
            for result in firstSends { _ = try result.get() }
            let afterCommit = try await consumer.committed([partition], timeout: .seconds(5))
            #expect(afterCommit[partition] == 10, "the offsets sent with the transaction are the group's committed offsets")

            try producer.beginTransaction()
            async let secondSends = producer.send(Self.records(output, "aborted", count: 5))
            try await producer.sendOffsetsToTransaction(
                [KafkaPartitionOffset(topic: input, partition: 0, offset: 20)], consumer: consumer, timeout: .seconds(10)
            )
            try await producer.abortTransaction(timeout: .seconds(10))
            _ = await secondSends
            let afterAbort = try await consumer.committed([partition], timeout: .seconds(5))
            #expect(afterAbort[partition] == 10, "an aborted transaction does not move the committed offset")
            await producer.close(timeout: .seconds(5))
            await consumer.close()

            let reader = try KafkaConsumer(
                configuration: Rig.consumerConfiguration(bootstrapServers: broker.bootstrapServers, groupID: Rig.unique("reader")),
                topics: [output], logger: Rig.logger
            )
            let visible = await Rig.collect(reader, count: 10, timeout: .seconds(30))
            await reader.close()
            let committedValues = visible.compactMap { String(validating: $0.value, as: UTF8.self) }
            #expect(committedValues == (0..<10).map { "committed-\($0)" }, "the committed output is visible")
        }
    }

    /// Errors librdkafka 2.8.0 classifies as abortable (`rdkafka_txnmgr.c`): a partition-level
    /// TOPIC_AUTHORIZATION_FAILED on AddPartitionsToTxn, and GROUP_AUTHORIZATION_FAILED on
    /// TxnOffsetCommit.
    enum AbortableFault: String, CaseIterable, Sendable {
        case addPartitionsTopicAuthorization
        case txnOffsetCommitGroupAuthorization
    }

    @Test("mock cluster: an abortable error leads to a clean abort, and the next transaction succeeds", arguments: AbortableFault.allCases)
    func abortableErrorThenCleanAbort(fault: AbortableFault) async throws {
        let cluster = try KafkaMockCluster(brokers: 1, logger: Rig.logger)
        let topic = Rig.unique("txn")
        try cluster.createTopic(topic, partitions: 1)
        let consumer = try KafkaConsumer(
            configuration: Rig.consumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupID: Rig.unique("g")),
            topics: [topic], logger: Rig.logger
        )
        let producer = try Self.transactionalProducer(cluster.bootstrapServers)
        try await producer.initTransactions(timeout: .seconds(10))

        switch fault {
        case .addPartitionsTopicAuthorization:
            cluster.pushRequestErrors(.addPartitionsToTransaction, [KafkaError.Code(rawValue: 29)])  // TOPIC_AUTHORIZATION_FAILED
        case .txnOffsetCommitGroupAuthorization:
            cluster.pushRequestErrors(.transactionOffsetCommit, [KafkaError.Code(rawValue: 30)])  // GROUP_AUTHORIZATION_FAILED
        }
        try producer.beginTransaction()
        // `send` queues its records before its first suspension: once the task says it is about
        // to send, the records are in this transaction before the offsets and the commit go out.
        let (sending, started) = AsyncStream.makeStream(of: Void.self)
        let doomed = Task {
            started.yield()
            started.finish()
            return await producer.send(Self.records(topic, "doomed", count: 3))
        }
        for await _ in sending { break }
        var failure: KafkaError?
        do {
            try await producer.sendOffsetsToTransaction(
                [KafkaPartitionOffset(topic: topic, partition: 0, offset: 1)], consumer: consumer, timeout: .seconds(10)
            )
            try await producer.commitTransaction(timeout: .seconds(10))
        } catch {
            failure = error
        }
        let error = try #require(failure, "the injected error surfaces")
        #expect(error.requiresAbort, "\(error) requires an abort")
        #expect(!error.isFatal, "\(error) is not fatal")
        try await producer.abortTransaction(timeout: .seconds(10))
        let doomedResults = await doomed.value
        if fault == .addPartitionsTopicAuthorization {
            // Their partition never joined the transaction: the abort fails them (_PURGE_QUEUE).
            #expect(doomedResults.allSatisfy { (try? $0.get()) == nil }, "the aborted transaction's records fail their senders")
        }

        try producer.beginTransaction()
        // Acknowledged before the commit, so they are surely inside this transaction.
        let sends = await producer.send(Self.records(topic, "next", count: 3))
        try await producer.sendOffsetsToTransaction(
            [KafkaPartitionOffset(topic: topic, partition: 0, offset: 1)], consumer: consumer, timeout: .seconds(10)
        )
        try await producer.commitTransaction(timeout: .seconds(10))
        for result in sends { _ = try result.get() }
        await producer.close(timeout: .seconds(5))
        await consumer.close()
    }

    /// Errors librdkafka 2.8.0 classifies as fatal: PRODUCER_FENCED on EndTxn, and
    /// INVALID_PRODUCER_EPOCH on EndTxn (both normalised to `_FENCED`).
    @Test("mock cluster: a fenced producer gets a clear fatal error", arguments: [Int32(90), Int32(47)])
    func fatalErrorOnEndTransaction(rawCode: Int32) async throws {
        let cluster = try KafkaMockCluster(brokers: 1, logger: Rig.logger)
        let topic = Rig.unique("txn")
        try cluster.createTopic(topic, partitions: 1)
        let producer = try Self.transactionalProducer(cluster.bootstrapServers)
        try await producer.initTransactions(timeout: .seconds(10))
        cluster.pushRequestErrors(.endTransaction, [KafkaError.Code(rawValue: rawCode)])
        try producer.beginTransaction()
        // Awaited before the commit: librdkafka commits an empty transaction without an EndTxn.
        for result in await producer.send(Self.records(topic, "fenced", count: 3)) { _ = try result.get() }
        var failure: KafkaError?
        do {
            try await producer.commitTransaction(timeout: .seconds(10))
        } catch {
            failure = error
        }
        let error = try #require(failure, "the injected error surfaces")
        #expect(error.isFatal, "\(error) is fatal")
        #expect(error.code == .fenced, "\(error) says the producer was fenced")
        // The producer stays unusable: the next transaction fails at once, fatally.
        var next: KafkaError?
        do { try producer.beginTransaction() } catch { next = error }
        #expect(next?.isFatal == true)
        await producer.close(timeout: .seconds(2))
    }
}
