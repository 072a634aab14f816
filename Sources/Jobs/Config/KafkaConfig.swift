import Completions

/// The `kafka` section: where the broker is, which topics, which delivery guarantee, and any
/// librdkafka property passed through (TLS, SASL, tuning).
public struct KafkaConfig: Sendable, Hashable {
    /// The four topics of the contract.
    public struct Topics: Sendable, Hashable {
        public var jobs: String
        public var results: String
        public var telemetry: String
        public var deadLetter: String

        public init(jobs: String, results: String, telemetry: String, deadLetter: String) {
            self.jobs = jobs
            self.results = results
            self.telemetry = telemetry
            self.deadLetter = deadLetter
        }
    }

    /// The delivery guarantee between a job message and its result.
    public enum Delivery: String, Sendable, Hashable, CaseIterable {
        /// Commit after results and telemetry are acknowledged; a crash may repeat jobs.
        case atLeastOnce = "at_least_once"
        /// Results, telemetry and offsets in one Kafka transaction.
        case exactlyOnce = "exactly_once"
    }

    /// Where a consumer group with no committed offset starts.
    public enum AutoOffsetReset: String, Sendable, Hashable, CaseIterable {
        case earliest
        case latest
    }

    /// librdkafka's `bootstrap.servers`: `host:port[,host:port...]`.
    public var bootstrapServers: String
    /// The consumer group of the workers. Default `understudy`.
    public var groupID: String
    public var topics: Topics
    /// Default `at_least_once`.
    public var delivery: Delivery
    /// librdkafka properties, passed through as strings (numbers in decimal, booleans as `true`/`false`).
    public var properties: [String: String]
    /// Create missing topics at start-up (else report them and stop). Default true.
    public var createTopics: Bool
    /// Partitions of the topics the worker creates. Default 6.
    public var topicPartitions: Int
    /// Default `earliest`: jobs enqueued before the first worker started are never skipped.
    public var autoOffsetReset: AutoOffsetReset

    public init(
        bootstrapServers: String,
        groupID: String = "understudy",
        topics: Topics,
        delivery: Delivery = .atLeastOnce,
        properties: [String: String] = [:],
        createTopics: Bool = true,
        topicPartitions: Int = 6,
        autoOffsetReset: AutoOffsetReset = .earliest
    ) {
        self.bootstrapServers = bootstrapServers
        self.groupID = groupID
        self.topics = topics
        self.delivery = delivery
        self.properties = properties
        self.createTopics = createTopics
        self.topicPartitions = topicPartitions
        self.autoOffsetReset = autoOffsetReset
    }

    static func read(_ value: JSONValue, _ path: FieldPath) throws(FieldError) -> KafkaConfig {
        let object = try ObjectReader(value, at: path)
        try object.rejectUnknown([
            "bootstrap_servers", "group_id", "topics", "delivery", "properties", "create_topics", "topic_partitions",
            "auto_offset_reset",
        ])
        return KafkaConfig(
            bootstrapServers: try object.required("bootstrap_servers", Read.nonEmptyString),
            groupID: try object.optional("group_id", Read.nonEmptyString) ?? "understudy",
            topics: try object.required("topics", readTopics),
            delivery: try object.optional("delivery", Read.oneOf(Delivery.self)) ?? .atLeastOnce,
            properties: try object.optional("properties", Read.map(readProperty)) ?? [:],
            createTopics: try object.optional("create_topics", Read.bool) ?? true,
            topicPartitions: try object.optional("topic_partitions", Read.integer(in: 1...10_000)) ?? 6,
            autoOffsetReset: try object.optional("auto_offset_reset", Read.oneOf(AutoOffsetReset.self)) ?? .earliest
        )
    }

    private static func readTopics(_ value: JSONValue, _ path: FieldPath) throws(FieldError) -> Topics {
        let object = try ObjectReader(value, at: path)
        try object.rejectUnknown(["jobs", "results", "telemetry", "dead_letter"])
        return Topics(
            jobs: try object.required("jobs", Read.nonEmptyString),
            results: try object.required("results", Read.nonEmptyString),
            telemetry: try object.required("telemetry", Read.nonEmptyString),
            deadLetter: try object.required("dead_letter", Read.nonEmptyString)
        )
    }

    private static func readProperty(_ key: String, _ value: JSONValue, _ path: FieldPath) throws(FieldError) -> String {
        switch value {
        case .string(let string): return string
        case .bool(let bool): return bool ? "true" : "false"
        case .number(let number) where number.isFinite: return JSONValue.number(number).shortDescription
        default: throw .invalid(path, expected: "a string, a number or a boolean", got: value)
        }
    }
}
