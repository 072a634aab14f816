import Completions
import Failover
import Foundation
import Jobs
import Kafka
import Tracing

/// Spans of a job's run (swift-distributed-tracing): one `understudy.job` span per job, parented on
/// the trace the job message carries (its `traceparent` header, read by the tracer's own
/// propagation), and under it one `understudy.attempt` span per provider call or breaker skip,
/// with the engine's decision after it. Attribute names follow the OpenTelemetry GenAI
/// conventions (``GenAIAttributes``).
///
/// Attempt spans are made from the attempt events once the job has run, with the times the
/// engine measured (a call's span ends at its event and lasts its latency), so the engine knows
/// nothing of tracing. Without a tracer (`nil` in the worker) none of this runs.
package struct JobTracing: Sendable {
    let tracer: any Tracer
    /// Adapter kinds by provider name, for `gen_ai.provider.name`.
    let providerKinds: [String: String]

    package init(tracer: any Tracer, providerKinds: [String: String]) {
        self.tracer = tracer
        self.providerKinds = providerKinds
    }

    /// Starts the span of the job in `message`, as a child of the trace its headers carry.
    func startJob(_ message: KafkaMessage, job: Job) -> any Span {
        var context = InstrumentationContext.topLevel
        tracer.extract(message.headers, into: &context, using: HeaderExtractor())
        let span = tracer.startSpan("understudy.job", context: context, ofKind: .consumer)
        span.attributes["understudy.job.id"] = job.id
        span.attributes["understudy.workload"] = job.workload
        span.attributes["messaging.system"] = "kafka"
        span.attributes["messaging.destination.name"] = message.topic
        span.attributes["messaging.kafka.offset"] = Int(message.offset)
        return span
    }

    /// Ends the job's span with its result, after one child span per attempt.
    func finish(_ span: any Span, result: JobResult, attempts: [AttemptEvent]) {
        for event in attempts {
            let end = EpochInstant(event.at)
            let start = EpochInstant(event.at.addingTimeInterval(-event.latency.seconds))
            let attempt = tracer.startSpan("understudy.attempt", context: span.context, ofKind: .client, at: start)
            let kind = providerKinds[event.provider] ?? event.providerKind
            attempt.attributes[GenAIAttributes.providerName] = GenAIAttributes.providerName(ofKind: kind)
            attempt.attributes[GenAIAttributes.requestModel] = event.model
            attempt.attributes[GenAIAttributes.route] = event.provider
            attempt.attributes["understudy.attempt"] = event.attempt
            attempt.attributes["understudy.route_index"] = event.routeIndex
            attempt.attributes["understudy.outcome"] = event.outcome.rawValue
            attempt.attributes["understudy.decision"] = event.decision.rawValue
            if let status = event.httpStatus { attempt.attributes["http.response.status_code"] = status }
            if let usage = event.usage {
                attempt.attributes[GenAIAttributes.inputTokens] = usage.inputTokens
                attempt.attributes[GenAIAttributes.outputTokens] = usage.outputTokens
            }
            if event.outcome != .ok {
                attempt.attributes[GenAIAttributes.errorType] = event.outcome.rawValue
                attempt.setStatus(SpanStatus(code: .error))
            }
            attempt.end(at: max(start, end))
        }
        span.attributes["understudy.attempts"] = result.attempts
        if let servedBy = result.servedBy {
            span.attributes[GenAIAttributes.route] = servedBy.provider
            span.attributes[GenAIAttributes.requestModel] = servedBy.model
            span.attributes["understudy.route_index"] = servedBy.routeIndex
        }
        if let failure = result.failure {
            span.attributes[GenAIAttributes.errorType] = failure.errorClass.rawValue
            span.setStatus(SpanStatus(code: .error))
        }
        span.end()
    }

    /// Reads trace headers from a Kafka message's headers (the first value of a name).
    struct HeaderExtractor: Extractor {
        func extract(key: String, from carrier: [KafkaHeader]) -> String? {
            carrier.first { $0.name.lowercased() == key.lowercased() }?.value.map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// A wall-clock instant for the tracer (the engine's events carry `Date`s).
    struct EpochInstant: TracerInstant {
        let nanosecondsSinceEpoch: UInt64

        init(_ date: Date) {
            let nanoseconds = (date.timeIntervalSince1970 * 1e9).rounded()
            nanosecondsSinceEpoch = nanoseconds.isFinite && nanoseconds > 0 ? UInt64(min(nanoseconds, 1.8e19)) : 0
        }

        static func < (lhs: EpochInstant, rhs: EpochInstant) -> Bool { lhs.nanosecondsSinceEpoch < rhs.nanosecondsSinceEpoch }
    }
}
