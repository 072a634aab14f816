import CLibrdkafka
import Logging

/// librdkafka's in-process mock Kafka cluster (`rdkafka_mock.h`): a real Kafka protocol server on
/// loopback whose brokers can be taken down, slowed, or told to fail requests. The test rig uses
/// it for faults a real broker cannot easily give; `understudy demo` uses it as its Kafka.
///
/// Limits (librdkafka 2.8.0): no CreateTopics (topics are made with ``createTopic(_:partitions:replicationFactor:)``
/// or auto-created), about 5 MiB kept per partition, and transactions that accept every call but
/// do not make sent offsets the group's committed offsets nor hide aborted records.
public final class KafkaMockCluster: Sendable {
    /// A Kafka API key, for ``pushRequestErrors(_:_:)``.
    public struct APIKey: Sendable, Hashable {
        public let rawValue: Int16
        public init(rawValue: Int16) { self.rawValue = rawValue }

        public static let produce = APIKey(rawValue: 0)
        public static let fetch = APIKey(rawValue: 1)
        public static let listOffsets = APIKey(rawValue: 2)
        public static let metadata = APIKey(rawValue: 3)
        public static let offsetCommit = APIKey(rawValue: 8)
        public static let offsetFetch = APIKey(rawValue: 9)
        public static let findCoordinator = APIKey(rawValue: 10)
        public static let joinGroup = APIKey(rawValue: 11)
        public static let heartbeat = APIKey(rawValue: 12)
        public static let syncGroup = APIKey(rawValue: 14)
        public static let initProducerID = APIKey(rawValue: 22)
        public static let addPartitionsToTransaction = APIKey(rawValue: 24)
        public static let addOffsetsToTransaction = APIKey(rawValue: 25)
        public static let endTransaction = APIKey(rawValue: 26)
        public static let transactionOffsetCommit = APIKey(rawValue: 28)
    }

    private let owner: RDKafkaClient
    private let cluster: SendablePointer
    /// `host:port,...` of the mock brokers.
    public let bootstrapServers: String

    /// Starts a cluster of `brokers` brokers on loopback.
    public init(brokers: Int = 3, logger: Logger) throws(KafkaError) {
        owner = try RDKafkaClient.make(kind: .producer, pairs: [("log_level", "3")], logger: logger)
        guard let cluster = owner.withHandle({ rd_kafka_mock_cluster_new($0, Int32(brokers)) }) ?? nil else {
            throw KafkaError(code: .state, message: "could not start the mock cluster")
        }
        self.cluster = SendablePointer(cluster)
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws(KafkaError) {
        let err = rd_kafka_mock_topic_create(cluster.pointer, name, Int32(partitions), Int32(replicationFactor))
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, context: "mock topic \(name)") }
    }

    /// Makes broker `id` refuse connections (and drops its open ones) until ``setBrokerUp(_:)``.
    public func setBrokerDown(_ id: Int32) {
        _ = rd_kafka_mock_broker_set_down(cluster.pointer, id)
    }

    public func setBrokerUp(_ id: Int32) {
        _ = rd_kafka_mock_broker_set_up(cluster.pointer, id)
    }

    /// Adds `roundTripTime` to every response of broker `id`.
    public func setRoundTripTime(_ roundTripTime: Duration, broker id: Int32) {
        _ = rd_kafka_mock_broker_set_rtt(cluster.pointer, id, Int32(clamping: roundTripTime.milliseconds))
    }

    /// The next requests of kind `api` (to any broker) fail with `errors`, one per request, in order.
    public func pushRequestErrors(_ api: APIKey, _ errors: [KafkaError.Code]) {
        var raw = errors.map { rd_kafka_resp_err_t(rawValue: $0.rawValue) }
        raw.withUnsafeMutableBufferPointer { buffer in
            rd_kafka_mock_push_request_errors_array(cluster.pointer, api.rawValue, buffer.count, buffer.baseAddress)
        }
    }

    /// Moves the leadership of a partition to broker `id`.
    public func setPartitionLeader(topic: String, partition: Int32, broker id: Int32) {
        _ = rd_kafka_mock_partition_set_leader(cluster.pointer, topic, partition, id)
    }

    /// Makes broker `id` the coordinator of a group (`"group"`) or transactional id (`"transaction"`).
    public func setCoordinator(kind: String, key: String, broker id: Int32) {
        _ = rd_kafka_mock_coordinator_set(cluster.pointer, kind, key, id)
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster.pointer)
        owner.destroy()
    }
}
