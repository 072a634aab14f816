import Kafka

/// What the worker asks of the producer it publishes results, telemetry and dead letters with:
/// records sent and acknowledged, and the transaction calls of exactly-once delivery.
/// ``KafkaProducer`` is the one that runs in production; unit tests use one of their own.
///
/// Guarantees a conforming producer gives: ``send(_:)`` returns one result per record, in order,
/// each only once the record was acknowledged or failed for good.
package protocol ResultProducer: AnyObject, Sendable {
    /// Sends `records` and waits for each one's acknowledgement.
    func send(_ records: [KafkaRecord]) async -> [Result<KafkaDeliveryReport, KafkaError>]
    /// Begins a transaction (exactly-once).
    func beginTransaction() throws(KafkaError)
    /// Adds consumed offsets to the open transaction, for the group `metadata` names.
    func sendOffsetsToTransaction(
        _ offsets: [KafkaPartitionOffset], group metadata: KafkaConsumerGroupMetadata, timeout: Duration
    ) async throws(KafkaError)
    /// Commits the open transaction.
    func commitTransaction(timeout: Duration) async throws(KafkaError)
    /// Aborts the open transaction.
    func abortTransaction(timeout: Duration) async throws(KafkaError)
    /// Flushes what is queued and closes, within `timeout`.
    func close(timeout: Duration) async
}

extension KafkaProducer: ResultProducer {}
