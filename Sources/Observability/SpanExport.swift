import Foundation
import Jobs
import Logging
import ServiceLifecycle
import Tracing
import Worker

#if OTLPTracing
    import OTel
#endif

/// The worker's span exporter (`worker.tracing`): swift-otel's tracer with a batch span processor
/// and an OTLP/HTTP exporter, plus the `Service` that flushes and stops them, to run in the
/// worker's service group.
///
/// Guarantees: only traces are exported (no OTel metrics or logs: those go through Prometheus and
/// swift-log); propagation is W3C trace context, so a job's span is parented on its message's
/// `traceparent`; sampling is parent-based with `sample_ratio` for root traces. The standard
/// `OTEL_*` environment variables override the config, as the OpenTelemetry spec asks. A build
/// without the `OTLPTracing` package trait has no exporter, and asking for one is a start-up error
/// that says how to get it.
package enum SpanExport {
    /// Whether this build carries the exporter (the `OTLPTracing` trait).
    package static var isBuiltIn: Bool {
        #if OTLPTracing
            true
        #else
            false
        #endif
    }

    /// A tracing config this build cannot serve.
    package struct Unavailable: Error, CustomStringConvertible {
        package var description: String {
            "worker.tracing: this understudy was built without the OTLP exporter; build it with "
                + "`swift build -c release --traits OTLPTracing` (the Dockerfile does), or remove worker.tracing"
        }
    }

    /// The tracer to give the worker and the service that exports its spans.
    ///
    /// - Parameter instance: this worker's identity (`service.instance.id`), e.g. its client id.
    package static func backend(
        config: TracingConfig, instance: String, logger: Logger
    ) throws -> (tracer: any Tracer, service: any Service) {
        #if OTLPTracing
            var otel = OTel.Configuration.default
            otel.serviceName = "understudy"
            otel.resourceAttributes = ["service.version": UnderstudyVersion.current, "service.instance.id": instance]
            otel.diagnosticLogger = .custom(logger)
            otel.propagators = [.traceContext]
            otel.metrics.enabled = false
            otel.logs.enabled = false
            otel.traces.enabled = true
            otel.traces.exporter = .otlp
            // `TracingConfig` keeps the ratio in 0...1, for which the sampler always exists.
            otel.traces.sampler = .parentBasedTraceIDRatio(ratio: config.sampleRatio) ?? .parentBasedAlwaysOn
            otel.traces.otlpExporter.endpoint = config.endpoint.absoluteString
            otel.traces.otlpExporter.protocol =
                switch config.wireProtocol {
                case .httpProtobuf: .httpProtobuf
                case .httpJSON: .httpJSON
                }
            let backend = try OTel.makeTracingBackend(configuration: otel)
            return (backend.factory, backend.service)
        #else
            throw Unavailable()
        #endif
    }
}
