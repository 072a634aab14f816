import CLibrdkafka

/// What the linked librdkafka is and can do.
package enum KafkaBuildInfo {
    /// librdkafka's version string (`2.8.0`).
    package static var librdkafkaVersion: String { String(cString: rd_kafka_version_str()) }

    /// librdkafka's version as `0xMMmmrrxx` (major, minor, revision, pre-release), for settings
    /// that only newer versions know.
    package static var versionNumber: Int { Int(rd_kafka_version()) }

    /// librdkafka's `builtin.features` (`gzip`, `ssl`, `sasl_scram`, `zstd`, ...).
    package static var builtinFeatures: Set<String> {
        guard let conf = rd_kafka_conf_new() else { return [] }
        defer { rd_kafka_conf_destroy(conf) }
        var buffer = [CChar](repeating: 0, count: 1024)
        var size = buffer.count
        guard rd_kafka_conf_get(conf, "builtin.features", &buffer, &size) == RD_KAFKA_CONF_OK else { return [] }
        return Set(cText(buffer).split(separator: ",").map(String.init))
    }
}
