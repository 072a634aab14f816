import Completions
import Failover
import Foundation
import InMemoryTracing
import Jobs
import Kafka
import Logging
import Testing
import Tracing

@testable import Worker

/// ``JobTracing`` through the real ``JobProcessor`` with an in-memory tracer: the job's span, its
/// attempts as children, the parent from the message's headers, and the GenAI attributes.
@Suite("Job tracing")
struct JobTracingTests {
    @Test("a job that failed over: one job span, parented on the message's trace, with an attempt span per call")
    func failedOverJob() async throws {
        let config = try ShadowTrafficTests.config(rate: 0)
        let providers: [String: any CompletionProvider] = [
            "primary": ShadowTrafficTests.InstantProvider(nil), "twin": ShadowTrafficTests.InstantProvider("the answer"),
            "broken": ShadowTrafficTests.InstantProvider(nil),
        ]
        let tracer = InMemoryTracer()
        let processor = JobProcessor(
            decoder: JobDecoder(config: config), engine: FailoverEngine(providers: providers, configuration: config.engineConfiguration),
            providerKinds: ["primary": "anthropic", "twin": "azure-openai"], topics: config.kafka.topics, maxMessageBytes: 1 << 20,
            logger: Logger(label: "tracing-test"),
            tracing: JobTracing(tracer: tracer, providerKinds: ["primary": "anthropic", "twin": "azure-openai"]))
        let json = """
            {"id": "traced-1", "workload": "w", "routing": {"max_attempts": 2}, "input": {"messages": [{"role": "user", "content": "hello"}]}}
            """
        let message = KafkaMessage(
            topic: "jobs", partition: 0, offset: 7, key: nil, value: Array(json.utf8),
            headers: [
                KafkaHeader(name: InMemoryTracer.traceIDKey, text: "trace-from-producer"),
                KafkaHeader(name: InMemoryTracer.spanIDKey, text: "span-of-producer"),
            ])
        let publication = try #require(await processor.process(message))
        guard case .job(let result, _, _, _) = publication else {
            Issue.record("not a job: \(publication)")
            return
        }
        #expect(result.servedBy?.provider == "twin")

        let spans = tracer.finishedSpans
        let job = try #require(spans.first { $0.operationName == "understudy.job" })
        #expect(job.traceID == "trace-from-producer" && job.parentSpanID == "span-of-producer", "parented on the message's trace")
        #expect(job.kind == .consumer)
        let attempts = spans.filter { $0.operationName == "understudy.attempt" }
        #expect(attempts.count == 2)
        #expect(attempts.allSatisfy { $0.parentSpanID == job.spanID && $0.traceID == job.traceID })
        let first = try #require(attempts.first { $0.attributes["understudy.attempt"]?.toSpanAttribute() == .int64(1) })
        #expect(first.attributes[GenAIAttributes.providerName]?.toSpanAttribute() == .string("anthropic"))
        #expect(first.attributes["understudy.decision"]?.toSpanAttribute() == .string("fail_over"))
        #expect(first.attributes[GenAIAttributes.errorType]?.toSpanAttribute() == .string("server_error"))
        let second = try #require(attempts.first { $0.attributes["understudy.attempt"]?.toSpanAttribute() == .int64(2) })
        #expect(second.attributes[GenAIAttributes.providerName]?.toSpanAttribute() == .string("azure.ai.openai"))
        #expect(second.attributes[GenAIAttributes.outputTokens]?.toSpanAttribute() == .int64(5))
        #expect(second.attributes["understudy.decision"]?.toSpanAttribute() == .string("done"))
        #expect(job.attributes[GenAIAttributes.route]?.toSpanAttribute() == .string("twin"))
    }
}
