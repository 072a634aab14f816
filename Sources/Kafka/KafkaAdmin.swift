import CLibrdkafka
import Logging

/// The topic specification ``KafkaAdmin/createTopics(_:timeout:)`` creates.
package struct KafkaTopicSpec: Sendable, Hashable {
    package var name: String
    package var partitions: Int
    /// -1 lets the broker use its default.
    package var replicationFactor: Int
    /// Topic configs such as `cleanup.policy=compact` or `retention.ms`.
    package var configs: [String: String]

    package init(name: String, partitions: Int, replicationFactor: Int = -1, configs: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.configs = configs
    }
}

/// Topic administration: idempotent creation and description.
///
/// Guarantees: ``createTopics(_:timeout:)`` succeeds for a topic that already exists (whatever
/// its partition count: it reports, it does not alter), and every call ends by its timeout.
package final class KafkaAdmin: Sendable {
    let client: RDKafkaClient

    /// Creates the admin client. `onFatalError` is called at most once, from any thread, if
    /// librdkafka raises a fatal error on its handle (see ``KafkaProducer``).
    package init(
        configuration: KafkaConfiguration, logger: Logger, onFatalError: (@Sendable (KafkaError) -> Void)? = nil
    ) throws(KafkaError) {
        try configuration.validate()
        client = try RDKafkaClient.make(
            kind: .producer,
            // A producer-kind handle would ask the broker to auto-create every topic it describes.
            pairs: configuration.commonPairs() + [("allow.auto.create.topics", "false")] + configuration.passThroughPairs(),
            logger: logger, onFatalError: onFatalError
        )
        client.bootstrapDescription = configuration.bootstrapServers
    }

    /// Creates each topic that does not exist yet. Returns the names it created.
    @discardableResult
    package func createTopics(_ topics: [KafkaTopicSpec], timeout: Duration) async throws(KafkaError) -> [String] {
        guard !topics.isEmpty else { return [] }
        let client = self.client
        let result = await offCooperativePool { () -> Result<[String], KafkaError>? in
            client.withHandle { handle in Result { () throws(KafkaError) in try Self.create(topics, handle: handle, timeout: timeout) } }
        }
        guard let result else { throw KafkaError(code: .state, message: "admin client is closed") }
        return try result.get()
    }

    private static func create(_ topics: [KafkaTopicSpec], handle: OpaquePointer, timeout: Duration) throws(KafkaError) -> [String] {
        var errstr = [CChar](repeating: 0, count: 512)
        var newTopics: [OpaquePointer?] = []
        defer { for topic in newTopics { rd_kafka_NewTopic_destroy(topic) } }
        for spec in topics {
            guard let topic = rd_kafka_NewTopic_new(spec.name, Int32(spec.partitions), Int32(spec.replicationFactor), &errstr, errstr.count) else {
                throw KafkaError(code: .invalidArgument, message: "topic \(spec.name): \(cText(errstr))")
            }
            newTopics.append(topic)
            for (name, value) in spec.configs.sorted(by: { $0.key < $1.key }) {
                let err = rd_kafka_NewTopic_set_config(topic, name, value)
                if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, context: "topic \(spec.name) config \(name)") }
            }
        }
        guard let queue = rd_kafka_queue_new(handle) else { throw KafkaError(code: .state, message: "no result queue") }
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(handle, RD_KAFKA_ADMIN_OP_CREATETOPICS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        _ = rd_kafka_AdminOptions_set_request_timeout(options, Int32(clamping: timeout.milliseconds), &errstr, errstr.count)
        _ = rd_kafka_AdminOptions_set_operation_timeout(options, Int32(clamping: timeout.milliseconds), &errstr, errstr.count)
        newTopics.withUnsafeMutableBufferPointer { buffer in
            rd_kafka_CreateTopics(handle, buffer.baseAddress, buffer.count, options, queue)
        }
        guard let event = rd_kafka_queue_poll(queue, Int32(clamping: timeout.milliseconds + 1000)) else {
            throw KafkaError(code: .timedOut, message: "creating topics did not finish within \(timeout)")
        }
        defer { rd_kafka_event_destroy(event) }
        let eventError = rd_kafka_event_error(event)
        if eventError != RD_KAFKA_RESP_ERR_NO_ERROR {
            let text = rd_kafka_event_error_string(event).map { String(cString: $0) } ?? ""
            throw KafkaError(code: .init(eventError), message: "create topics: \(text)")
        }
        guard let result = rd_kafka_event_CreateTopics_result(event) else { return [] }
        var count = 0
        guard let results = rd_kafka_CreateTopics_result_topics(result, &count) else { return [] }
        var created: [String] = []
        for index in 0..<count {
            guard let topicResult = results[index] else { continue }
            let name = String(cString: rd_kafka_topic_result_name(topicResult))
            let err = rd_kafka_topic_result_error(topicResult)
            switch err {
            case RD_KAFKA_RESP_ERR_NO_ERROR: created.append(name)
            case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS: break
            default:
                let text = rd_kafka_topic_result_error_string(topicResult).map { String(cString: $0) } ?? ""
                throw KafkaError(code: .init(err), message: "create topic \(name): \(text)")
            }
        }
        return created
    }

    /// Describes topics (partitions and leaders) through a metadata request; a topic the broker
    /// does not know comes back with an error code rather than failing the call.
    package func describeTopics(_ names: [String], timeout: Duration) async throws(KafkaError) -> [KafkaClusterMetadata.Topic] {
        let client = self.client
        var topics: [KafkaClusterMetadata.Topic] = []
        for name in names {
            let result = await offCooperativePool { Result { () throws(KafkaError) in try client.metadata(topic: name, timeout: timeout) } }
            let metadata = try result.get()
            topics.append(
                metadata.topics.first { $0.name == name }
                    ?? KafkaClusterMetadata.Topic(name: name, partitions: [], error: .unknownTopicOrPartition)
            )
        }
        return topics
    }

    /// Cluster metadata: brokers and every topic. Unreachable brokers fail after `timeout`, with
    /// the bootstrap address in the message.
    package func metadata(timeout: Duration) async throws(KafkaError) -> KafkaClusterMetadata {
        let client = self.client
        return try await offCooperativePool { Result { () throws(KafkaError) in try client.metadata(timeout: timeout) } }.get()
    }

    /// Destroys the handle.
    package func close() {
        client.destroy()
    }
}
