import CLibrdkafka

extension KafkaAdmin {
    /// A topic's configuration as the broker reports it (DescribeConfigs): every entry the broker
    /// returns, by name, with `nil` for entries whose value it does not disclose. Fails with the
    /// broker's error for an unknown topic, and ends by `timeout`.
    package func describeTopicConfigs(_ name: String, timeout: Duration) async throws(KafkaError) -> [String: String?] {
        let client = self.client
        let result = await offCooperativePool { () -> Result<[String: String?], KafkaError>? in
            client.withHandle { handle in Result { () throws(KafkaError) in try Self.describeConfigs(topic: name, handle: handle, timeout: timeout) }
            }
        }
        guard let result else { throw KafkaError(code: .state, message: "admin client is closed") }
        return try result.get()
    }

    private static func describeConfigs(topic: String, handle: OpaquePointer, timeout: Duration) throws(KafkaError) -> [String: String?] {
        var errstr = [CChar](repeating: 0, count: 512)
        guard let resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic) else {
            throw KafkaError(code: .invalidArgument, message: "topic \(topic): cannot describe its configuration")
        }
        var resources: [OpaquePointer?] = [resource]
        defer { rd_kafka_ConfigResource_destroy(resource) }
        guard let queue = rd_kafka_queue_new(handle) else { throw KafkaError(code: .state, message: "no result queue") }
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(handle, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        _ = rd_kafka_AdminOptions_set_request_timeout(options, Int32(clamping: timeout.milliseconds), &errstr, errstr.count)
        resources.withUnsafeMutableBufferPointer { buffer in
            rd_kafka_DescribeConfigs(handle, buffer.baseAddress, buffer.count, options, queue)
        }
        guard let event = rd_kafka_queue_poll(queue, Int32(clamping: timeout.milliseconds + 1000)) else {
            throw KafkaError(code: .timedOut, message: "describing the configuration of \(topic) did not finish within \(timeout)")
        }
        defer { rd_kafka_event_destroy(event) }
        let eventError = rd_kafka_event_error(event)
        if eventError != RD_KAFKA_RESP_ERR_NO_ERROR {
            let text = rd_kafka_event_error_string(event).map { String(cString: $0) } ?? ""
            throw KafkaError(code: .init(eventError), message: "describe configs of \(topic): \(text)")
        }
        guard let result = rd_kafka_event_DescribeConfigs_result(event) else { return [:] }
        var count = 0
        guard let described = rd_kafka_DescribeConfigs_result_resources(result, &count) else { return [:] }
        var configs: [String: String?] = [:]
        for index in 0..<count {
            guard let entryResource = described[index] else { continue }
            let err = rd_kafka_ConfigResource_error(entryResource)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                let text = rd_kafka_ConfigResource_error_string(entryResource).map { String(cString: $0) } ?? ""
                throw KafkaError(code: .init(err), message: "describe configs of \(topic): \(text)")
            }
            var entryCount = 0
            guard let entries = rd_kafka_ConfigResource_configs(entryResource, &entryCount) else { continue }
            for entryIndex in 0..<entryCount {
                guard let entry = entries[entryIndex], let entryName = rd_kafka_ConfigEntry_name(entry) else { continue }
                configs[String(cString: entryName)] = rd_kafka_ConfigEntry_value(entry).map { String(cString: $0) }
            }
        }
        return configs
    }
}
