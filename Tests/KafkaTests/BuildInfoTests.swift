import Kafka
import Testing

/// The linked librdkafka is new enough for Tansu and built with TLS, SASL and compression.
struct BuildInfoTests {
    @Test("librdkafka is 2.8.0 or newer")
    func version() throws {
        let parts = KafkaBuildInfo.librdkafkaVersion.split(separator: ".").prefix(3).map { Int($0.prefix { $0.isNumber }) ?? 0 }
        try #require(parts.count == 3, "version \(KafkaBuildInfo.librdkafkaVersion)")
        #expect(parts.lexicographicallyPrecedes([2, 8, 0]) == false, "librdkafka \(KafkaBuildInfo.librdkafkaVersion) is older than 2.8.0")
    }

    @Test("builtin.features include ssl, sasl_scram, sasl_oauthbearer, zstd and lz4")
    func features() {
        let features = KafkaBuildInfo.builtinFeatures
        for feature in ["ssl", "sasl_scram", "sasl_oauthbearer", "zstd", "lz4"] {
            #expect(features.contains(feature), "missing \(feature) in \(features.sorted())")
        }
    }
}
