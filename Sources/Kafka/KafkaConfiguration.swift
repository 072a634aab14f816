/// Settings every client shares: where the cluster is, and any librdkafka property passed through.
///
/// ``properties`` reaches every client the worker creates (consumer, producer, admin), so
/// `security.protocol`, `sasl.*` and `ssl.*` are set once. A property only one kind of client
/// knows is ignored by the others (librdkafka logs that it did). Properties that would break the
/// delivery guarantees (`enable.auto.commit`, `enable.auto.offset.store`) are refused by name.
/// Every value is checked by librdkafka itself when the client is created, and its error text is
/// kept in the ``KafkaError``.
package struct KafkaConfiguration: Sendable, Hashable {
    /// Comma-separated `host:port` list.
    package var bootstrapServers: String
    package var clientID: String
    /// Any librdkafka property, applied after the typed settings (so it can override them).
    package var properties: [String: String]
    /// How often librdkafka emits its statistics JSON; `nil` turns statistics off.
    package var statisticsInterval: Duration?

    /// Properties that would let librdkafka commit offsets of work that was never done.
    package static let forbiddenProperties: Set<String> = ["enable.auto.commit", "enable.auto.offset.store"]

    package init(
        bootstrapServers: String, clientID: String = "understudy", properties: [String: String] = [:],
        statisticsInterval: Duration? = nil
    ) {
        self.bootstrapServers = bootstrapServers
        self.clientID = clientID
        self.properties = properties
        self.statisticsInterval = statisticsInterval
    }

    /// Rejects the pass-through properties that would break the delivery guarantees.
    package func validate() throws(KafkaError) {
        for name in properties.keys.sorted() where Self.forbiddenProperties.contains(name) {
            throw KafkaError.configuration(
                property: name,
                "may not be set: understudy stores and commits offsets itself, only for processed messages"
            )
        }
    }

    /// The librdkafka properties shared by every client, typed settings first.
    func commonPairs() -> [(String, String)] {
        var pairs: [(String, String)] = [
            ("bootstrap.servers", bootstrapServers),
            ("client.id", clientID),
        ]
        if let statisticsInterval {
            pairs.append(("statistics.interval.ms", String(statisticsInterval.milliseconds)))
        }
        return pairs
    }

    /// The pass-through properties, in a stable order.
    func passThroughPairs() -> [(String, String)] {
        properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}

/// A consumer in a consumer group that stores and commits only processed offsets.
package struct KafkaConsumerConfiguration: Sendable, Hashable {
    package var common: KafkaConfiguration
    package var groupID: String
    /// Where a group with no committed offset starts: `earliest` (default: jobs enqueued before
    /// the first worker are never skipped) or `latest`.
    package var autoOffsetReset: String
    package var sessionTimeout: Duration
    package var heartbeatInterval: Duration
    /// `range,roundrobin` (librdkafka's default, eager) or `cooperative-sticky`.
    package var assignmentStrategy: String?
    /// How many fetched messages may wait for the application. The poll thread takes no more
    /// than fit; when the application makes no room for a second, the consumer pauses its
    /// partitions (it keeps polling while paused, so it stays in the group).
    package var bufferCapacity: Int
    /// How long a revoke waits for the application to finish or drop in-flight work.
    package var revokeTimeout: Duration
    /// For readers that commit nothing (`report`, `dashboard`): each assigned partition starts at
    /// its first message stamped at or after this time (milliseconds since the epoch), looked up
    /// with the broker's ListOffsets by timestamp; `nil`: the committed offset, else
    /// `autoOffsetReset`. Where the broker cannot answer, the partition starts as if `nil`.
    package var startTimestampMs: Int64? = nil

    package init(
        common: KafkaConfiguration, groupID: String, autoOffsetReset: String = "earliest",
        sessionTimeout: Duration = .seconds(10), heartbeatInterval: Duration = .seconds(1),
        assignmentStrategy: String? = nil, bufferCapacity: Int = 10_000, revokeTimeout: Duration = .seconds(5)
    ) {
        self.common = common
        self.groupID = groupID
        self.autoOffsetReset = autoOffsetReset
        self.sessionTimeout = sessionTimeout
        self.heartbeatInterval = heartbeatInterval
        self.assignmentStrategy = assignmentStrategy
        self.bufferCapacity = bufferCapacity
        self.revokeTimeout = revokeTimeout
    }

    func pairs() -> [(String, String)] {
        var pairs = common.commonPairs()
        pairs += [
            ("group.id", groupID),
            ("enable.auto.commit", "false"),
            ("enable.auto.offset.store", "false"),
            ("auto.offset.reset", autoOffsetReset),
            ("session.timeout.ms", String(sessionTimeout.milliseconds)),
            ("heartbeat.interval.ms", String(heartbeatInterval.milliseconds)),
            ("enable.partition.eof", "false"),
        ]
        if let assignmentStrategy { pairs.append(("partition.assignment.strategy", assignmentStrategy)) }
        // librdkafka (2.2.0 and later) postpones a partition's next fetch by
        // `fetch.queue.backoff.ms`, 1 s by default, whenever its prefetch queue passed its
        // thresholds: a consumer that drains in bursts then sits idle for most of a second with
        // nothing to hand over. Measured here as a 1 s stall in about half of the runs that read
        // a backlog. 2.0.2 (Debian 12) does not know the property, so it is set only where it exists.
        if KafkaBuildInfo.versionNumber >= 0x0202_0000 { pairs.append(("fetch.queue.backoff.ms", "50")) }
        return pairs + common.passThroughPairs()
    }
}

/// A producer that is idempotent by default (`enable.idempotence=true`, `acks=all`): retries
/// inside librdkafka never duplicate or reorder records.
package struct KafkaProducerConfiguration: Sendable, Hashable {
    package var common: KafkaConfiguration
    package var idempotent: Bool
    /// Set to make the producer transactional (exactly-once read-process-write).
    package var transactionalID: String?
    /// The producer's `message.max.bytes`; `nil` keeps librdkafka's default (1,000,000).
    package var messageMaxBytes: Int?
    package var linger: Duration
    /// How long librdkafka keeps retrying a record before reporting it failed.
    package var deliveryTimeout: Duration

    package init(
        common: KafkaConfiguration, idempotent: Bool = true, transactionalID: String? = nil,
        messageMaxBytes: Int? = nil, linger: Duration = .milliseconds(5), deliveryTimeout: Duration = .seconds(120)
    ) {
        self.common = common
        self.idempotent = idempotent
        self.transactionalID = transactionalID
        self.messageMaxBytes = messageMaxBytes
        self.linger = linger
        self.deliveryTimeout = deliveryTimeout
    }

    func pairs() -> [(String, String)] {
        var pairs = common.commonPairs()
        pairs += [
            ("enable.idempotence", idempotent ? "true" : "false"),
            ("acks", "all"),
            ("linger.ms", String(linger.milliseconds)),
            ("delivery.timeout.ms", String(deliveryTimeout.milliseconds)),
        ]
        if let messageMaxBytes { pairs.append(("message.max.bytes", String(messageMaxBytes))) }
        if let transactionalID {
            pairs.append(("transactional.id", transactionalID))
            // librdkafka refuses a transactional producer whose delivery timeout exceeds the
            // transaction timeout (default 60 s, below our default delivery timeout of 120 s).
            pairs.append(("transaction.timeout.ms", String(max(60_000, deliveryTimeout.milliseconds))))
        }
        return pairs + common.passThroughPairs()
    }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
