import CLibrdkafka

/// A consumer's group identity (group, generation, member), which a transaction needs to commit
/// offsets on the group's behalf. Owns the librdkafka object and destroys it.
package final class KafkaConsumerGroupMetadata: @unchecked Sendable {
    let pointer: OpaquePointer

    init(pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        rd_kafka_consumer_group_metadata_destroy(pointer)
    }
}
