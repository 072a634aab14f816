import CLibrdkafka

/// Kafka transactions for exactly-once read-process-write: records produced between
/// ``KafkaProducer/beginTransaction()`` and ``KafkaProducer/commitTransaction(timeout:)``, and the
/// consumer offsets sent with them, become visible (to `read_committed` readers) together or not
/// at all. Needs a producer configured with a `transactionalID`.
///
/// Error handling follows librdkafka's model: an error with ``KafkaError/requiresAbort`` leaves
/// the transaction needing ``KafkaProducer/abortTransaction(timeout:)``, after which the next
/// transaction may succeed; ``KafkaError/isFatal`` means the producer must be recreated (for
/// example it was fenced by a newer instance with the same transactional id).
extension KafkaProducer {
    /// Registers the transactional id with the coordinator and fences any older producer that
    /// used it. Call once, before the first transaction.
    package func initTransactions(timeout: Duration) async throws(KafkaError) {
        try await transactional("init transactions") { handle in rd_kafka_init_transactions(handle, Int32(clamping: timeout.milliseconds)) }
    }

    /// Starts a transaction (a local call; cheap).
    package func beginTransaction() throws(KafkaError) {
        let failure = client.withHandle { handle -> KafkaError? in
            guard let error = rd_kafka_begin_transaction(handle) else { return nil }
            return KafkaError(consuming: error, context: "begin transaction")
        }
        guard let failure else { throw KafkaError(code: .state, message: "producer is closed") }
        if let failure { throw client.checked(failure) }
    }

    /// Adds consumed offsets (next offset to read, per partition) to the current transaction, so
    /// they are committed for `consumer`'s group if and only if the transaction commits.
    package func sendOffsetsToTransaction(
        _ offsets: [KafkaPartitionOffset], consumer: KafkaConsumer, timeout: Duration
    ) async throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        guard let metadata = consumer.groupMetadata() else {
            throw KafkaError(code: .state, message: "consumer is closed: no group metadata for the transaction")
        }
        try await sendOffsetsToTransaction(offsets, group: metadata, timeout: timeout)
    }

    /// Adds consumed offsets to the current transaction, for the group `metadata` names (a
    /// consumer's ``KafkaConsumer/groupMetadata()``).
    package func sendOffsetsToTransaction(
        _ offsets: [KafkaPartitionOffset], group metadata: KafkaConsumerGroupMetadata, timeout: Duration
    ) async throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        let list = TopicPartitionList(offsets)
        try await transactional("send offsets to transaction") { handle in
            rd_kafka_send_offsets_to_transaction(handle, list.pointer, metadata.pointer, Int32(clamping: timeout.milliseconds))
        }
        withExtendedLifetime((list, metadata)) {}
    }

    /// Commits the current transaction: flushes its records, then commits them with its offsets.
    package func commitTransaction(timeout: Duration) async throws(KafkaError) {
        try await transactional("commit transaction") { handle in rd_kafka_commit_transaction(handle, Int32(clamping: timeout.milliseconds)) }
    }

    /// Aborts the current transaction: its records are marked aborted and its offsets dropped.
    package func abortTransaction(timeout: Duration) async throws(KafkaError) {
        try await transactional("abort transaction") { handle in rd_kafka_abort_transaction(handle, Int32(clamping: timeout.milliseconds)) }
    }

    /// Runs a blocking transactional call off the cooperative pool and maps its error.
    private func transactional(
        _ what: String, _ call: @escaping @Sendable (OpaquePointer) -> OpaquePointer?
    ) async throws(KafkaError) {
        let client = self.client
        let failure = await offCooperativePool { () -> KafkaError?? in
            client.withHandle { handle -> KafkaError? in
                guard let error = call(handle) else { return nil }
                return KafkaError(consuming: error, context: what)
            }
        }
        guard let failure else { throw KafkaError(code: .state, message: "producer is closed") }
        if let failure { throw client.checked(failure) }
    }
}
