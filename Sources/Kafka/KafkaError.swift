import CLibrdkafka

/// An error from the Kafka layer: librdkafka's own code and text, plus what we were doing.
///
/// A struct with a nested ``Code`` rather than a public enum, so new codes never break callers.
/// Callers never import librdkafka: ``isRetriable``, ``isFatal`` and ``requiresAbort`` say what
/// to do next.
package struct KafkaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// librdkafka's `rd_kafka_resp_err_t`, as a number with names for the codes we act on.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        package let rawValue: Int32

        package init(rawValue: Int32) { self.rawValue = rawValue }

        init(_ err: rd_kafka_resp_err_t) { self.rawValue = err.rawValue }

        /// librdkafka's symbolic name (`_QUEUE_FULL`, `NOT_LEADER_FOR_PARTITION`, ...).
        package var name: String { String(cString: rd_kafka_err2name(rd_kafka_resp_err_t(rawValue: rawValue))) }

        package var description: String { name }

        package static let noError = Code(RD_KAFKA_RESP_ERR_NO_ERROR)
        package static let queueFull = Code(RD_KAFKA_RESP_ERR__QUEUE_FULL)
        package static let msgSizeTooLarge = Code(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
        package static let messageTimedOut = Code(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT)
        package static let timedOut = Code(RD_KAFKA_RESP_ERR__TIMED_OUT)
        package static let state = Code(RD_KAFKA_RESP_ERR__STATE)
        package static let noOffset = Code(RD_KAFKA_RESP_ERR__NO_OFFSET)
        package static let unknownTopicOrPartition = Code(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
        package static let topicAlreadyExists = Code(RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        package static let notLeaderForPartition = Code(RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION)
        package static let notEnoughReplicas = Code(RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS)
        package static let requestTimedOut = Code(RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT)
        package static let coordinatorNotAvailable = Code(RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE)
        package static let notCoordinator = Code(RD_KAFKA_RESP_ERR_NOT_COORDINATOR)
        package static let invalidProducerEpoch = Code(RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH)
        package static let producerFenced = Code(RD_KAFKA_RESP_ERR_PRODUCER_FENCED)
        package static let invalidTransactionState = Code(RD_KAFKA_RESP_ERR_INVALID_TXN_STATE)
        package static let concurrentTransactions = Code(RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS)
        package static let rebalanceInProgress = Code(RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS)
        package static let unknownMemberID = Code(RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID)
        package static let outOfOrderSequenceNumber = Code(RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER)
        package static let allBrokersDown = Code(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
        package static let transport = Code(RD_KAFKA_RESP_ERR__TRANSPORT)
        package static let invalidArgument = Code(RD_KAFKA_RESP_ERR__INVALID_ARG)
        package static let fatal = Code(RD_KAFKA_RESP_ERR__FATAL)
        package static let fenced = Code(RD_KAFKA_RESP_ERR__FENCED)
        /// A static group member (`group.instance.id`) replaced by a newer one with the same id.
        package static let fencedInstanceID = Code(RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID)
        /// Not from librdkafka: a configuration the Kafka layer refuses on its own.
        package static let configuration = Code(rawValue: -10_001)
    }

    package var code: Code
    /// librdkafka's text (or ours, for ``Code/configuration``).
    package var message: String
    /// The configuration property at fault, when there is one.
    package var property: String?
    /// Retrying the same call may succeed.
    package var isRetriable: Bool
    /// The client instance is unusable and must be recreated (librdkafka raised a fatal error:
    /// a fenced static member or transactional producer, a fatal idempotent-producer error).
    package var isFatal: Bool
    /// A transactional error that leaves the current transaction needing an abort.
    package var requiresAbort: Bool

    package init(
        code: Code, message: String, property: String? = nil,
        isRetriable: Bool = false, isFatal: Bool = false, requiresAbort: Bool = false
    ) {
        self.code = code
        self.message = message
        self.property = property
        self.isRetriable = isRetriable
        self.isFatal = isFatal
        self.requiresAbort = requiresAbort
    }

    package var description: String {
        if let property { return "\(property): \(message)" }
        return "\(message) (\(code.name))"
    }

    static func configuration(property: String, _ message: String) -> KafkaError {
        KafkaError(code: .configuration, message: message, property: property)
    }

    init(_ err: rd_kafka_resp_err_t, context: String? = nil) {
        let text = String(cString: rd_kafka_err2str(err))
        self.init(code: Code(err), message: context.map { "\($0): \(text)" } ?? text, isFatal: err == RD_KAFKA_RESP_ERR__FATAL)
    }

    /// Takes ownership of `error` and destroys it.
    init(consuming error: OpaquePointer, context: String? = nil) {
        let text = String(cString: rd_kafka_error_string(error))
        self.init(
            code: Code(rd_kafka_error_code(error)),
            message: context.map { "\($0): \(text)" } ?? text,
            isRetriable: rd_kafka_error_is_retriable(error) != 0,
            isFatal: rd_kafka_error_is_fatal(error) != 0,
            requiresAbort: rd_kafka_error_txn_requires_abort(error) != 0
        )
        rd_kafka_error_destroy(error)
    }
}
