/// Log metadata keys of the Kafka layer, in one place so log pipelines can index them.
package enum KafkaLoggingKeys {
    package static let facility = "kafka.facility"
    package static let errorCode = "kafka.error"
    package static let topic = "kafka.topic"
    package static let partition = "kafka.partition"
    package static let offset = "kafka.offset"
    package static let groupID = "kafka.group.id"
    package static let partitions = "kafka.partitions"
}
