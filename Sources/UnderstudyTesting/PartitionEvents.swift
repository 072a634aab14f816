import Kafka
import Synchronization

/// A ``KafkaRebalanceListener`` that records what it is told, for tests.
package final class PartitionEvents: KafkaRebalanceListener {
    package enum Event: Sendable, Hashable {
        case assigned([KafkaTopicPartition])
        case revoked([KafkaTopicPartition], lost: Bool)
    }

    /// An event with its rebalance generation.
    package struct Numbered: Sendable, Hashable {
        package let event: Event
        package let generation: UInt64
    }

    private let recorded = Mutex<[Numbered]>([])
    private let onRevoke: (@Sendable ([KafkaTopicPartition]) async -> Void)?

    /// `onRevoke` runs inside the revoke callback (to store offsets of finished work).
    package init(onRevoke: (@Sendable ([KafkaTopicPartition]) async -> Void)? = nil) {
        self.onRevoke = onRevoke
    }

    package var events: [Event] { recorded.withLock { $0.map(\.event) } }

    /// The events with their generations, in the order the listener heard them.
    package var numbered: [Numbered] { recorded.withLock { $0 } }

    package func partitionsAssigned(_ partitions: [KafkaTopicPartition], generation: UInt64) async {
        recorded.withLock { $0.append(Numbered(event: .assigned(partitions), generation: generation)) }
    }

    package func partitionsRevoked(_ partitions: [KafkaTopicPartition], lost: Bool, generation: UInt64) async {
        await onRevoke?(partitions)
        recorded.withLock { $0.append(Numbered(event: .revoked(partitions, lost: lost), generation: generation)) }
    }
}

/// Polls `condition` every 50 ms until it holds or `timeout` passes; returns whether it held.
package func eventually(timeout: Duration, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}
