import Kafka

/// What the worker asks of the consumer it reads jobs with, and nothing more: batches of messages
/// tagged with the rebalance generation they were fetched under, offsets stored and committed,
/// and a bounded close. ``KafkaConsumer`` is the one that runs in production; unit tests drive the
/// worker through its whole lifecycle with one of their own.
///
/// Guarantees a conforming consumer gives: ``nextBatch(max:)`` returns `nil` once delivery
/// stopped (``stopDelivery()``, close, a fatal error) and never again a batch; rebalances reach
/// the listener the worker was made with, before any message fetched under the new assignment.
package protocol JobConsumer: AnyObject, Sendable {
    /// Up to `max` messages (at least one), waiting for the first; `nil` once delivery stopped.
    func nextBatch(max: Int) async -> ArraySlice<KafkaMessage>?
    /// Ends delivery: the next ``nextBatch(max:)`` returns `nil`.
    func stopDelivery()
    /// Stores processed offsets (the next message to read) for the next commit; returns the
    /// partitions this member no longer owns, whose store was refused.
    @discardableResult
    func store(_ offsets: [KafkaPartitionOffset]) throws(KafkaError) -> [KafkaTopicPartition]
    /// Starts a commit of the stored offsets without waiting for it.
    func commitInBackground()
    /// Commits the stored offsets and waits for the answer, at most `timeout`.
    func commit(timeout: Duration) async throws(KafkaError)
    /// The group's identity for a transaction's offsets; `nil` once closed.
    func groupMetadata() -> KafkaConsumerGroupMetadata?
    /// Leaves the group and closes, within `timeout`.
    func close(timeout: Duration) async
    /// Stops fetching from `partitions` (messages already fetched are still delivered).
    func pause(_ partitions: [KafkaTopicPartition])
    /// Fetches from `partitions` again.
    func resume(_ partitions: [KafkaTopicPartition])
}

extension KafkaConsumer: JobConsumer {
    package func nextBatch(max: Int) async -> ArraySlice<KafkaMessage>? {
        // The iterator holds no state of its own: each one continues where the last stopped.
        var iterator = messages.makeAsyncIterator()
        return await iterator.nextBatch(max: max)
    }
}
