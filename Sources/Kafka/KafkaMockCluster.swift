import CLibrdkafka
import Logging

/// librdkafka's in-process mock Kafka cluster (`rdkafka_mock.h`): a real Kafka protocol server on
/// loopback whose brokers can be taken down, slowed, or told to fail requests. The test rig uses
/// it for faults a real broker cannot easily give; `understudy demo` uses it as its Kafka.
///
/// Limits (librdkafka 2.8.0): no CreateTopics (topics are made with ``createTopic(_:partitions:replicationFactor:)``
/// or auto-created), about 5 MiB kept per partition, and transactions that accept every call but
/// do not make sent offsets the group's committed offsets nor hide aborted records.
package final class KafkaMockCluster: Sendable {
    /// A Kafka API key, for ``pushRequestErrors(_:_:)``.
    package struct APIKey: Sendable, Hashable {
        package let rawValue: Int16
        package init(rawValue: Int16) { self.rawValue = rawValue }

        package static let produce = APIKey(rawValue: 0)
        package static let fetch = APIKey(rawValue: 1)
        package static let listOffsets = APIKey(rawValue: 2)
        package static let metadata = APIKey(rawValue: 3)
        package static let offsetCommit = APIKey(rawValue: 8)
        package static let offsetFetch = APIKey(rawValue: 9)
        package static let findCoordinator = APIKey(rawValue: 10)
        package static let joinGroup = APIKey(rawValue: 11)
        package static let heartbeat = APIKey(rawValue: 12)
        package static let syncGroup = APIKey(rawValue: 14)
        package static let initProducerID = APIKey(rawValue: 22)
        package static let addPartitionsToTransaction = APIKey(rawValue: 24)
        package static let addOffsetsToTransaction = APIKey(rawValue: 25)
        package static let endTransaction = APIKey(rawValue: 26)
        package static let transactionOffsetCommit = APIKey(rawValue: 28)
    }

    private let owner: RDKafkaClient
    private let cluster: SendablePointer
    /// `host:port,...` of the mock brokers.
    package let bootstrapServers: String

    /// Starts a cluster of `brokers` brokers on loopback.
    package init(brokers: Int = 3, logger: Logger) throws(KafkaError) {
        owner = try RDKafkaClient.make(kind: .producer, pairs: [("log_level", "3")], logger: logger)
        guard let cluster = owner.withHandle({ rd_kafka_mock_cluster_new($0, Int32(brokers)) }) ?? nil else {
            throw KafkaError(code: .state, message: "could not start the mock cluster")
        }
        self.cluster = SendablePointer(cluster)
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    package func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws(KafkaError) {
        let err = rd_kafka_mock_topic_create(cluster.pointer, name, Int32(partitions), Int32(replicationFactor))
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, context: "mock topic \(name)") }
    }

    /// Makes broker `id` refuse connections (and drops its open ones) until ``setBrokerUp(_:)``.
    package func setBrokerDown(_ id: Int32) {
        _ = rd_kafka_mock_broker_set_down(cluster.pointer, id)
    }

    /// Brings broker `id` back. Beware in tests that run in parallel: librdkafka re-binds the
    /// broker's old port, and if another socket took it meanwhile it aborts the process. Prefer
    /// leaving the broker down and moving leadership (``setPartitionLeader(topic:partition:broker:)``).
    package func setBrokerUp(_ id: Int32) {
        _ = rd_kafka_mock_broker_set_up(cluster.pointer, id)
    }

    /// Adds `roundTripTime` to every response of broker `id`.
    package func setRoundTripTime(_ roundTripTime: Duration, broker id: Int32) {
        _ = rd_kafka_mock_broker_set_rtt(cluster.pointer, id, Int32(clamping: roundTripTime.milliseconds))
    }

    /// The next requests of kind `api` (to any broker) fail with `errors`, one per request, in order.
    package func pushRequestErrors(_ api: APIKey, _ errors: [KafkaError.Code]) {
        var raw = errors.map { rd_kafka_resp_err_t(rawValue: $0.rawValue) }
        raw.withUnsafeMutableBufferPointer { buffer in
            rd_kafka_mock_push_request_errors_array(cluster.pointer, api.rawValue, buffer.count, buffer.baseAddress)
        }
    }

    /// Moves the leadership of a partition to broker `id`.
    package func setPartitionLeader(topic: String, partition: Int32, broker id: Int32) {
        _ = rd_kafka_mock_partition_set_leader(cluster.pointer, topic, partition, id)
    }

    /// Makes broker `id` the coordinator of a group (`"group"`) or transactional id (`"transaction"`).
    package func setCoordinator(kind: String, key: String, broker id: Int32) {
        _ = rd_kafka_mock_coordinator_set(cluster.pointer, kind, key, id)
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster.pointer)
        owner.destroy()
    }
}
