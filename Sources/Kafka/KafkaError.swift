import CLibrdkafka

/// An error from the Kafka layer: librdkafka's own code and text, plus what we were doing.
///
/// A struct with a nested ``Code`` rather than a public enum, so new codes never break callers.
/// Callers never import librdkafka: ``isRetriable``, ``isFatal`` and ``requiresAbort`` say what
/// to do next.
public struct KafkaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// librdkafka's `rd_kafka_resp_err_t`, as a number with names for the codes we act on.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let rawValue: Int32

        public init(rawValue: Int32) { self.rawValue = rawValue }

        init(_ err: rd_kafka_resp_err_t) { self.rawValue = err.rawValue }

        /// librdkafka's symbolic name (`_QUEUE_FULL`, `NOT_LEADER_FOR_PARTITION`, ...).
        public var name: String { String(cString: rd_kafka_err2name(rd_kafka_resp_err_t(rawValue: rawValue))) }

        public var description: String { name }

        public static let noError = Code(RD_KAFKA_RESP_ERR_NO_ERROR)
        public static let queueFull = Code(RD_KAFKA_RESP_ERR__QUEUE_FULL)
        public static let msgSizeTooLarge = Code(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
        public static let messageTimedOut = Code(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT)
        public static let timedOut = Code(RD_KAFKA_RESP_ERR__TIMED_OUT)
        public static let state = Code(RD_KAFKA_RESP_ERR__STATE)
        public static let noOffset = Code(RD_KAFKA_RESP_ERR__NO_OFFSET)
        public static let unknownTopicOrPartition = Code(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
        public static let topicAlreadyExists = Code(RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        public static let notLeaderForPartition = Code(RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION)
        public static let notEnoughReplicas = Code(RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS)
        public static let requestTimedOut = Code(RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT)
        public static let coordinatorNotAvailable = Code(RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE)
        public static let notCoordinator = Code(RD_KAFKA_RESP_ERR_NOT_COORDINATOR)
        public static let invalidProducerEpoch = Code(RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH)
        public static let producerFenced = Code(RD_KAFKA_RESP_ERR_PRODUCER_FENCED)
        public static let invalidTransactionState = Code(RD_KAFKA_RESP_ERR_INVALID_TXN_STATE)
        public static let concurrentTransactions = Code(RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS)
        public static let rebalanceInProgress = Code(RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS)
        public static let unknownMemberID = Code(RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID)
        public static let outOfOrderSequenceNumber = Code(RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER)
        public static let allBrokersDown = Code(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
        public static let transport = Code(RD_KAFKA_RESP_ERR__TRANSPORT)
        public static let invalidArgument = Code(RD_KAFKA_RESP_ERR__INVALID_ARG)
        public static let fatal = Code(RD_KAFKA_RESP_ERR__FATAL)
        public static let fenced = Code(RD_KAFKA_RESP_ERR__FENCED)
        /// A static group member (`group.instance.id`) replaced by a newer one with the same id.
        public static let fencedInstanceID = Code(RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID)
        /// Not from librdkafka: a configuration the Kafka layer refuses on its own.
        public static let configuration = Code(rawValue: -10_001)
    }

    public var code: Code
    /// librdkafka's text (or ours, for ``Code/configuration``).
    public var message: String
    /// The configuration property at fault, when there is one.
    public var property: String?
    /// Retrying the same call may succeed.
    public var isRetriable: Bool
    /// The client instance is unusable and must be recreated (librdkafka raised a fatal error:
    /// a fenced static member or transactional producer, a fatal idempotent-producer error).
    public var isFatal: Bool
    /// A transactional error that leaves the current transaction needing an abort.
    public var requiresAbort: Bool

    public init(
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

    public var description: String {
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
