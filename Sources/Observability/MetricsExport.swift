import CoreMetrics
import Prometheus

/// The process's metrics backend: a Prometheus registry behind swift-metrics, with histogram
/// buckets that fit what understudy times (provider calls and jobs take milliseconds to minutes).
package enum MetricsExport {
    /// Buckets of the duration histograms: 5 ms to 10 min.
    package static let durationBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .milliseconds(2_500), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(120),
        .seconds(300), .seconds(600),
    ]

    /// A factory writing into `registry`.
    package static func factory(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = durationBuckets
        return factory
    }
}
