import Completions
import Foundation

/// `worker.tracing`: where the worker sends its spans (one per job, one per attempt) over
/// OTLP/HTTP, and which share of traces it keeps.
///
/// Guarantees: `endpoint` is an absolute `http://` or `https://` URL, used as is (the OTLP
/// convention for a per-signal endpoint: give the whole path, usually `/v1/traces`);
/// `sampleRatio` is in `0...1`. Sampling is parent-based: a job whose `traceparent` says sampled
/// is traced whatever the ratio, and one that says not sampled is not.
package struct TracingConfig: Sendable, Hashable {
    /// The OTLP payload encoding (`protocol`), as OpenTelemetry names it.
    package enum WireProtocol: String, Sendable, Hashable, CaseIterable {
        case httpProtobuf = "http/protobuf"
        case httpJSON = "http/json"
    }

    /// The OTLP/HTTP traces endpoint (`endpoint`), for example `http://otel-collector:4318/v1/traces`.
    package var endpoint: URL
    /// The share of root traces kept (`sample_ratio`), for jobs that carry no sampling decision.
    package var sampleRatio: Double
    /// `protocol`: `http/protobuf` (the OTLP default) or `http/json`.
    package var wireProtocol: WireProtocol

    package init(endpoint: URL, sampleRatio: Double = 1, wireProtocol: WireProtocol = .httpProtobuf) {
        self.endpoint = endpoint
        self.sampleRatio = sampleRatio
        self.wireProtocol = wireProtocol
    }

    static func read(_ value: JSONValue, _ path: FieldPath) throws(FieldError) -> TracingConfig {
        let object = try ObjectReader(value, at: path)
        try object.rejectUnknown(["endpoint", "sample_ratio", "protocol"])
        return TracingConfig(
            endpoint: try object.required("endpoint", Read.httpURL),
            sampleRatio: try object.optional("sample_ratio", Read.number(in: 0...1)) ?? 1,
            wireProtocol: try object.optional("protocol", Read.oneOf(WireProtocol.self)) ?? .httpProtobuf
        )
    }
}
