import Completions
import Foundation

/// The `kafka` section: where the broker is, which topics, which delivery guarantee, and any
/// librdkafka property passed through (TLS, SASL, tuning).
///
/// Guarantees: `properties` cannot void the delivery guarantees or shadow a typed key: the
/// properties the worker sets itself (``reservedProperties``, under any librdkafka alias or with a
/// `topic.` prefix) are refused at load with their key path (`kafka.properties.acks: ...`).
package struct KafkaConfig: Sendable, Hashable {
    /// The four topics of the contract.
    package struct Topics: Sendable, Hashable {
        package var jobs: String
        package var results: String
        package var telemetry: String
        package var deadLetter: String
        /// Shared breaker state (compacted, keyed `provider/model`); `nil`: `<group_id>.route-health`.
        package var routeHealth: String?
        /// Each worker's spend per budgeted workload (compacted, keyed `workload/worker`); `nil`:
        /// `<group_id>.spend`.
        package var spend: String?
        /// Jobs waiting for their workload's budget, with a not-before header; `nil`:
        /// `<group_id>.deferred`.
        package var deferred: String?
        /// The open provider batches and the jobs waiting in them (compacted, keyed by job
        /// origin and by batch); `nil`: `<group_id>.batches`.
        package var batches: String?

        package init(
            jobs: String, results: String, telemetry: String, deadLetter: String, routeHealth: String? = nil, spend: String? = nil,
            deferred: String? = nil, batches: String? = nil
        ) {
            self.jobs = jobs
            self.results = results
            self.telemetry = telemetry
            self.deadLetter = deadLetter
            self.routeHealth = routeHealth
            self.spend = spend
            self.deferred = deferred
            self.batches = batches
        }
    }

    /// The delivery guarantee between a job message and its result.
    package enum Delivery: String, Sendable, Hashable, CaseIterable {
        /// Commit after results and telemetry are acknowledged; a crash may repeat jobs.
        case atLeastOnce = "at_least_once"
        /// Results, telemetry and offsets in one Kafka transaction.
        case exactlyOnce = "exactly_once"
    }

    /// Where a consumer group with no committed offset starts.
    package enum AutoOffsetReset: String, Sendable, Hashable, CaseIterable {
        case earliest
        case latest
    }

    /// The route-health topic: `topics.route_health`, else `<group_id>.route-health`.
    package var routeHealthTopic: String { topics.routeHealth ?? "\(groupID).route-health" }
    /// The spend topic: `topics.spend`, else `<group_id>.spend`.
    package var spendTopic: String { topics.spend ?? "\(groupID).spend" }
    /// The deferred-jobs topic: `topics.deferred`, else `<group_id>.deferred`.
    package var deferredTopic: String { topics.deferred ?? "\(groupID).deferred" }
    /// The batch-state topic: `topics.batches`, else `<group_id>.batches`.
    package var batchesTopic: String { topics.batches ?? "\(groupID).batches" }

    /// librdkafka's `bootstrap.servers`: `host:port[,host:port...]`.
    package var bootstrapServers: String
    /// The consumer group of the workers. Default ``defaultGroupID``.
    package var groupID: String
    package var topics: Topics
    /// Default ``defaultDelivery``.
    package var delivery: Delivery
    /// librdkafka properties, passed through as strings (numbers in decimal, booleans as `true`/`false`).
    package var properties: [String: String]
    /// Create missing topics at start-up (else report them and stop). Default ``defaultCreateTopics``.
    package var createTopics: Bool
    /// Partitions of the topics the worker creates. Default ``defaultTopicPartitions``.
    package var topicPartitions: Int
    /// Default ``defaultAutoOffsetReset``: jobs enqueued before the first worker started are never skipped.
    package var autoOffsetReset: AutoOffsetReset

    package static let defaultGroupID = "understudy"
    package static let defaultDelivery = Delivery.atLeastOnce
    package static let defaultCreateTopics = true
    package static let defaultTopicPartitions = 6
    package static let defaultAutoOffsetReset = AutoOffsetReset.earliest
    /// The consumer's `session.timeout.ms` unless `properties` sets it: shorter than librdkafka's
    /// 45 s, so a dead worker's partitions move on within seconds.
    package static let defaultSessionTimeoutMs = 10_000
    /// The consumer's `heartbeat.interval.ms` unless `properties` sets it.
    package static let defaultHeartbeatIntervalMs = 1_000

    /// The pass-through properties the worker reads itself, so they must be whole numbers in
    /// librdkafka's range: the name and that range.
    static let numericProperties: [String: ClosedRange<Int>] = [
        "session.timeout.ms": 1...3_600_000,
        "heartbeat.interval.ms": 1...3_600_000,
    ]

    /// The group session timeout the consumer runs with, in milliseconds.
    package var sessionTimeoutMs: Int {
        properties["session.timeout.ms"].flatMap { Int($0) } ?? Self.defaultSessionTimeoutMs
    }

    /// The heartbeat interval the consumer runs with, in milliseconds.
    package var heartbeatIntervalMs: Int {
        properties["heartbeat.interval.ms"].flatMap { Int($0) } ?? Self.defaultHeartbeatIntervalMs
    }

    /// The librdkafka properties `properties` may not set, by canonical name, with why: the
    /// worker sets each itself, and another value would break a guarantee or shadow a typed key.
    package static let reservedProperties: [String: String] = [
        "acks": "the worker's producers use acks=all (with idempotence) so that an acknowledged result is replicated",
        "enable.idempotence": "the worker's producers are idempotent so that retries never duplicate or reorder records",
        "transactional.id": "the worker derives it from kafka.group_id and its instance (exactly_once)",
        "isolation.level": "the worker reads jobs with read_committed so that aborted jobs are never run",
        "enable.auto.commit": "understudy stores and commits offsets itself, only for finished jobs",
        "enable.auto.offset.store": "understudy stores and commits offsets itself, only for finished jobs",
        "bootstrap.servers": "set kafka.bootstrap_servers instead",
        "group.id": "set kafka.group_id instead",
        "auto.offset.reset": "set kafka.auto_offset_reset instead",
        "message.max.bytes": "the worker derives it from worker.max_message_bytes",
    ]

    /// librdkafka's other names for the reserved properties.
    static let propertyAliases: [String: String] = [
        "request.required.acks": "acks",
        "auto.commit.enable": "enable.auto.commit",
        "metadata.broker.list": "bootstrap.servers",
    ]

    /// The reserved property `name` stands for (librdkafka accepts a `topic.` prefix and a few
    /// aliases), or `nil`.
    static func reservedName(_ name: String) -> String? {
        var canonical = name.trimmingCharacters(in: .whitespaces)
        if canonical.hasPrefix("topic.") { canonical.removeFirst("topic.".count) }
        canonical = propertyAliases[canonical] ?? canonical
        return reservedProperties[canonical] == nil ? nil : canonical
    }

    package init(
        bootstrapServers: String,
        groupID: String = KafkaConfig.defaultGroupID,
        topics: Topics,
        delivery: Delivery = KafkaConfig.defaultDelivery,
        properties: [String: String] = [:],
        createTopics: Bool = KafkaConfig.defaultCreateTopics,
        topicPartitions: Int = KafkaConfig.defaultTopicPartitions,
        autoOffsetReset: AutoOffsetReset = KafkaConfig.defaultAutoOffsetReset
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
            groupID: try object.optional("group_id", Read.nonEmptyString) ?? defaultGroupID,
            topics: try object.required("topics", readTopics),
            delivery: try object.optional("delivery", Read.oneOf(Delivery.self)) ?? defaultDelivery,
            properties: try object.optional("properties", Read.map(readProperty)) ?? [:],
            createTopics: try object.optional("create_topics", Read.bool) ?? defaultCreateTopics,
            topicPartitions: try object.optional("topic_partitions", Read.integer(in: 1...10_000)) ?? defaultTopicPartitions,
            autoOffsetReset: try object.optional("auto_offset_reset", Read.oneOf(AutoOffsetReset.self)) ?? defaultAutoOffsetReset
        )
    }

    private static func readTopics(_ value: JSONValue, _ path: FieldPath) throws(FieldError) -> Topics {
        let object = try ObjectReader(value, at: path)
        try object.rejectUnknown(["jobs", "results", "telemetry", "dead_letter", "route_health", "spend", "deferred", "batches"])
        return Topics(
            jobs: try object.required("jobs", Read.nonEmptyString),
            results: try object.required("results", Read.nonEmptyString),
            telemetry: try object.required("telemetry", Read.nonEmptyString),
            deadLetter: try object.required("dead_letter", Read.nonEmptyString),
            routeHealth: try object.optional("route_health", Read.nonEmptyString),
            spend: try object.optional("spend", Read.nonEmptyString),
            deferred: try object.optional("deferred", Read.nonEmptyString),
            batches: try object.optional("batches", Read.nonEmptyString)
        )
    }

    private static func readProperty(_ key: String, _ value: JSONValue, _ path: FieldPath) throws(FieldError) -> String {
        if let reserved = reservedName(key) {
            let alias = reserved == key ? "" : " (librdkafka's \(reserved))"
            throw .invalid(path, "may not be set\(alias): \(reservedProperties[reserved] ?? "the worker sets it itself")")
        }
        if let range = numericProperties[key] {
            var number = value
            if case .string(let string) = value, let integer = Int(string) { number = .number(Double(integer)) }
            return String(try Read.integer(in: range)(number, path))
        }
        switch value {
        case .string(let string): return string
        case .bool(let bool): return bool ? "true" : "false"
        case .number(let number) where number.isFinite: return JSONValue.number(number).shortDescription
        default: throw .invalid(path, expected: "a string, a number or a boolean", got: value)
        }
    }
}
