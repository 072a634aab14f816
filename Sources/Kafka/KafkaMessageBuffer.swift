import Synchronization

/// The bounded hand-over between the consumer's poll thread and the task iterating
/// ``KafkaConsumer/messages``: batches go in on the poll thread, come out in an async iterator.
///
/// It never blocks the poll thread. The poll thread adds no more than the room left below
/// ``capacity``; when a reader leaves it full for a second, the consumer pauses its partitions
/// (and keeps polling) until the reader drains it below half.
final class KafkaMessageBuffer: Sendable {
    private struct State {
        var batches: [[KafkaMessage]] = []
        /// Position of the next message in `batches[0]`.
        var head = 0
        var count = 0
        var waiter: (continuation: CheckedContinuation<ArraySlice<KafkaMessage>?, Never>, max: Int)?
        var finished = false
        /// Set when the buffer reached its capacity; cleared (and the drain handler called) once
        /// a reader brings it down to half.
        var full = false
        var onDrain: (@Sendable () -> Void)?

        mutating func take(max: Int) -> ArraySlice<KafkaMessage> {
            let first = batches[0]
            let end = min(first.count, head + max)
            let slice = first[head..<end]
            head = end
            count -= slice.count
            if head == first.count {
                batches.removeFirst()
                head = 0
            }
            return slice
        }
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    var count: Int { state.withLock { $0.count } }

    /// Adds a batch (poll thread).
    func append(_ batch: [KafkaMessage]) {
        guard !batch.isEmpty else { return }
        let wake = state.withLock { state -> (CheckedContinuation<ArraySlice<KafkaMessage>?, Never>, ArraySlice<KafkaMessage>)? in
            guard !state.finished else { return nil }
            state.batches.append(batch)
            state.count += batch.count
            if state.count >= capacity { state.full = true }
            guard let waiter = state.waiter else { return nil }
            state.waiter = nil
            return (waiter.continuation, state.take(max: waiter.max))
        }
        if let (continuation, slice) = wake { continuation.resume(returning: slice) }
    }

    /// `handler` runs on the reading task each time a reader drains a full buffer to half, so
    /// the consumer can resume fetching at once rather than at its next poll.
    func setDrainHandler(_ handler: @escaping @Sendable () -> Void) {
        state.withLock { $0.onDrain = handler }
    }

    /// Drops buffered messages of `partitions` (they were revoked, so the new owner reads them).
    func purge(_ partitions: Set<KafkaTopicPartition>) {
        state.withLock { state in
            guard !state.batches.isEmpty else { return }
            state.batches[0] = Array(state.batches[0][state.head...])
            state.head = 0
            state.batches = state.batches.map { $0.filter { !partitions.contains($0.topicPartition) } }.filter { !$0.isEmpty }
            state.count = state.batches.reduce(0) { $0 + $1.count }
        }
    }

    /// Ends the sequence: iterators get what is buffered, then `nil`.
    func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<ArraySlice<KafkaMessage>?, Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter?.continuation
        }
        waiter?.resume(returning: nil)
    }

    /// Up to `max` messages in fetch order, waiting for at least one; `nil` once finished and
    /// drained, or when the task is cancelled. Messages not taken stay buffered.
    func next(max: Int) async -> ArraySlice<KafkaMessage>? {
        // Fast path: messages are buffered, no suspension needed.
        let (ready, drained) = state.withLock { state -> (ArraySlice<KafkaMessage>?, (@Sendable () -> Void)?) in
            guard state.count > 0 else { return (nil, nil) }
            let slice = state.take(max: max)
            guard state.full && state.count <= capacity / 2 else { return (slice, nil) }
            state.full = false
            return (slice, state.onDrain)
        }
        if let ready {
            drained?()
            return ready
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<ArraySlice<KafkaMessage>?, Never>) in
                let ready = state.withLock { state -> ArraySlice<KafkaMessage>?? in
                    if state.count > 0 { return .some(state.take(max: max)) }
                    if state.finished || Task.isCancelled { return .some(nil) }
                    state.waiter = (continuation, max)
                    return .none
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<ArraySlice<KafkaMessage>?, Never>? in
                defer { state.waiter = nil }
                return state.waiter?.continuation
            }
            waiter?.resume(returning: nil)
        }
    }
}

/// The messages a ``KafkaConsumer`` fetches, in order within each partition.
///
/// Iterate it from one task at a time. Messages not yet taken by an iterator stay in the
/// consumer's buffer, so a new iterator continues where the last one stopped.
package struct KafkaMessageSequence: AsyncSequence, Sendable {
    package typealias Element = KafkaMessage
    let buffer: KafkaMessageBuffer

    package struct AsyncIterator: AsyncIteratorProtocol {
        let buffer: KafkaMessageBuffer

        package mutating func next() async -> KafkaMessage? {
            await buffer.next(max: 1)?.first
        }

        /// Up to `max` messages at once (at least one), for callers that work in batches;
        /// `nil` at the end.
        package mutating func nextBatch(max: Int = 1024) async -> ArraySlice<KafkaMessage>? {
            await buffer.next(max: max)
        }
    }

    package func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(buffer: buffer)
    }
}
