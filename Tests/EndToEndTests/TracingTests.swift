import Foundation
import Kafka
import Simulator
import Testing
import UnderstudyTesting

extension EndToEndTools {
    /// Spans of the real worker binary, exported over OTLP/HTTP to a local receiver. Needs a build
    /// with the `OTLPTracing` trait (the test script builds so); without it the test is skipped.
    @Suite(.serialized, .timeLimit(.minutes(3)))
    struct TracingTests {
        static let builtWithExporter: Bool = {
            #if OTLPTracing
                true
            #else
                false
            #endif
        }()

        @Test(
            "a job that failed over exports a job span parented on its traceparent, with one attempt span per route and GenAI attributes",
            .enabled(if: builtWithExporter, "built without the OTLPTracing trait")
        )
        func failedOverJobSpans() async throws {
            let receiver = try await OTLPReceiver.start()
            do {
                try await run(receiver)
            } catch {
                await receiver.stop()
                throw error
            }
            await receiver.stop()
        }

        private func run(_ receiver: OTLPReceiver) async throws {
            try await withStack { stack in
                stack.primary.setMode(.error(503))
                stack.config.tracing = "{endpoint: \"\(receiver.tracesURL)\", protocol: http/json, sample_ratio: 0}"
                // Export at once rather than every 5 s.
                let worker = try await stack.startWorker(environment: ["OTEL_BSP_SCHEDULE_DELAY": "100"])
                let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
                let parentID = "00f067aa0ba902b7"
                let traced = KafkaRecord(
                    topic: stack.config.topics.jobs, key: Array("traced-1".utf8), value: Array(JobFactory.json(id: "traced-1").utf8),
                    headers: [KafkaHeader(name: "traceparent", value: Array("00-\(traceID)-\(parentID)-01".utf8))])
                // A job without a traceparent: the ratio (0) leaves it untraced.
                let untraced = KafkaRecord(
                    topic: stack.config.topics.jobs, key: Array("untraced-1".utf8), value: Array(JobFactory.json(id: "untraced-1").utf8))
                try await JobFactory.produce([traced, untraced], bootstrapServers: stack.bootstrap)
                let results = try await stack.results(distinct: 2, idle: .seconds(30))
                #expect(Set(results.map(jobID)) == ["traced-1", "untraced-1"])

                var spans: [OTLPReceiver.Span] = []
                for _ in 0..<200 {
                    spans = receiver.received
                    if spans.filter({ $0.name == "understudy.attempt" }).count >= 2, spans.contains(where: { $0.name == "understudy.job" }) {
                        break
                    }
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(await worker.process.stop() == 0)
                spans = receiver.received
                let jobs = spans.filter { $0.name == "understudy.job" }
                #expect(jobs.count == 1, "only the job with a sampled traceparent is traced: \(spans)")
                let job = try #require(jobs.first, "\(spans)")
                #expect(job.traceID == traceID)
                #expect(job.parentSpanID == parentID, "the job span's parent is the message's traceparent")
                #expect(job.attributes["understudy.job.id"] == "traced-1")
                #expect(job.attributes["messaging.system"] == "kafka")
                let attempts = spans.filter { $0.name == "understudy.attempt" }.sorted {
                    ($0.attributes["understudy.attempt"] ?? "") < ($1.attributes["understudy.attempt"] ?? "")
                }
                #expect(attempts.count == 2, "\(attempts)")
                for attempt in attempts {
                    #expect(attempt.traceID == traceID)
                    #expect(attempt.parentSpanID == job.spanID, "attempt spans are children of the job span")
                    #expect(attempt.attributes["gen_ai.provider.name"] == "anthropic")
                    #expect(attempt.attributes["gen_ai.request.model"] == "claude-sonnet-4-5")
                }
                guard attempts.count == 2 else { return }
                #expect(attempts[0].attributes["understudy.route"] == "claude-direct")
                #expect(attempts[0].attributes["understudy.decision"] == "fail_over")
                #expect(attempts[0].attributes["error.type"] == "overloaded")
                #expect(attempts[0].attributes["http.response.status_code"] == "503")
                #expect(attempts[1].attributes["understudy.route"] == "claude-azure")
                #expect(attempts[1].attributes["understudy.decision"] == "done")
                #expect(attempts[1].attributes["gen_ai.usage.output_tokens"] != nil)
                // No key in any span.
                for span in spans { for key in Stack.environment.values { #expect(!span.description.contains(key)) } }
            }
        }
    }
}
