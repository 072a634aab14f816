import Completions
import Failover
import Foundation
import Jobs
import Kafka
import Observability
import Prometheus
import Testing

@testable import Worker

/// ``WorkerMetrics`` written through a Prometheus registry, as `/metrics` serves it.
@Suite("Worker metrics")
struct WorkerMetricsTests {
    static func event(_ attempt: Int, _ provider: String, _ outcome: Outcome, _ decision: Decision, cost: Double = 0) -> AttemptEvent {
        AttemptEvent(
            jobID: "job-secret-id-1", workload: "w", attempt: attempt, routeIndex: attempt - 1, provider: provider, model: "m",
            providerKind: "anthropic", outcome: outcome, latency: .milliseconds(40), decision: decision, costUSD: cost,
            usage: outcome == .ok ? .init(inputTokens: 120, outputTokens: 30) : nil, at: Date())
    }

    @Test("a failed-over job counts its attempts, the failover, tokens, cost and its result, with bounded labels and no job id")
    func failoverJob() {
        let registry = PrometheusCollectorRegistry()
        let metrics = WorkerMetrics(factory: MetricsExport.factory(registry: registry))
        metrics.attempts(
            [Self.event(1, "primary", .overloaded, .failOver), Self.event(2, "backup", .ok, .done, cost: 0.0025)], workload: "w")
        let result = JobResult(
            jobID: "job-secret-id-1", workload: "w",
            status: .succeeded(.init(text: "the text", finishReason: .stop), servedBy: .init(provider: "backup", model: "m", routeIndex: 1)),
            attempts: 2, usage: .init(inputTokens: 120, outputTokens: 30), costUSD: 0.0025, latencyMs: 80, queueMs: 12,
            metadata: [:], completedAt: Date())
        metrics.count(.job(result: result, resultsTopic: "r", telemetry: [], headers: []))
        metrics.breakerChanged(RouteKey(provider: "primary", model: "m"), to: .open)
        let text = registry.emitToString()
        for line in [
            #"understudy_attempts_total{provider="primary",model="m",outcome="overloaded"} 1"#,
            #"understudy_attempts_total{provider="backup",model="m",outcome="ok"} 1"#,
            #"understudy_failovers_total{workload="w",from_route="primary/m",to_route="backup/m"} 1"#,
            #"understudy_tokens_total{workload="w",provider="backup",model="m",direction="input"} 120"#,
            #"understudy_cost_usd_total{workload="w",provider="backup",model="m"} 0.0025"#,
            #"understudy_jobs_total{workload="w",status="succeeded"} 1"#,
            #"understudy_breaker_state{provider="primary",model="m"} 2"#,
            #"understudy_breaker_transitions_total{provider="primary",model="m",state="open"} 1"#,
        ] {
            #expect(text.contains(line), "missing \(line) in:\n\(text)")
        }
        #expect(text.contains("understudy_job_duration_seconds_bucket{workload=\"w\",status=\"succeeded\",le=\"0.1\"} 1"), "\(text)")
        #expect(text.contains("understudy_job_queue_seconds_count{workload=\"w\"} 1"), "\(text)")
        #expect(!text.contains("job-secret-id-1") && !text.contains("the text"))
    }

    @Test("a dead letter counts under its class, read from the header understudy set, not one a producer sent")
    func deadLetterClass() {
        let registry = PrometheusCollectorRegistry()
        let metrics = WorkerMetrics(factory: MetricsExport.factory(registry: registry))
        let record = KafkaRecord(
            topic: "dlq", key: nil, value: [],
            headers: [
                KafkaHeader(name: DeadLetter.Header.errorClass, text: "made-up-by-a-producer"),
                KafkaHeader(name: DeadLetter.Header.errorClass, text: "invalid_json"),
            ])
        metrics.count(.deadLetter(record))
        let text = registry.emitToString()
        #expect(text.contains(#"understudy_dead_letters_total{class="invalid_json"} 1"#), "\(text)")
        #expect(!text.contains("made-up-by-a-producer"))
    }
}
