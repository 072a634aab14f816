/// Log metadata keys of the Kafka layer, in one place so log pipelines can index them.
public enum KafkaLoggingKeys {
    public static let facility = "kafka.facility"
    public static let errorCode = "kafka.error"
    public static let topic = "kafka.topic"
    public static let partition = "kafka.partition"
    public static let offset = "kafka.offset"
    public static let groupID = "kafka.group.id"
    public static let partitions = "kafka.partitions"
}
