import Comparison
import Completions
import Failover
import Foundation
import Testing

@testable import Jobs

@Suite("Result and telemetry encoding")
struct WireEncodingTests {
    static let succeeded = JobResult(
        jobID: "ticket-8812",
        workload: "support-summaries",
        status: .succeeded(
            JobResult.Output(text: "...", finishReason: .stop),
            servedBy: JobResult.ServedBy(provider: "claude-azure", model: "claude-sonnet-4-5", routeIndex: 1)
        ),
        attempts: 2,
        usage: CompletionResponse.Usage(inputTokens: 812, outputTokens: 96),
        costUSD: 0.003876,
        latencyMs: 2_143,
        metadata: ["tenant": .string("acme")],
        completedAt: Fixtures.completedAt
    )

    static let failed = JobResult(
        jobID: "ticket-9",
        workload: "support-summaries",
        status: .failed(JobResult.Failure(.deadlineExceeded, message: "deadline of 600000 ms passed after 4 attempts")),
        attempts: 4,
        latencyMs: 600_000,
        queueMs: 12,
        completedAt: Fixtures.completedAt
    )

    static let attempt = TelemetryEvent.attempt(
        TelemetryEvent.Attempt(
            jobID: "ticket-8812",
            workload: "support-summaries",
            attempt: 1,
            routeIndex: 0,
            route: RouteKey(provider: "claude-direct", model: "claude-sonnet-4-5"),
            outcome: .overloaded,
            httpStatus: 529,
            latencyMs: 312,
            decision: .failOver,
            at: Date(timeIntervalSince1970: 1_795_558_201.002)
        )
    )

    static let circuit = TelemetryEvent.circuit(
        TelemetryEvent.Circuit(
            route: RouteKey(provider: "claude-direct", model: "claude-sonnet-4-5"),
            state: .halfOpen,
            at: Fixtures.completedAt
        )
    )

    private func json(_ value: some JSONWritable) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: WireJSON.encode(value))
    }

    @Test("a succeeded result is the issue's example, field for field")
    func succeededResult() throws {
        let expected = """
            {"job_id": "ticket-8812", "workload": "support-summaries", "status": "succeeded",
             "output": {"text": "...", "finish_reason": "stop"},
             "served_by": {"provider": "claude-azure", "model": "claude-sonnet-4-5", "route_index": 1},
             "fallback_used": true, "attempts": 2, "usage": {"input_tokens": 812, "output_tokens": 96},
             "cost_usd": 0.003876, "latency_ms": 2143, "error": null, "metadata": {"tenant": "acme"},
             "completed_at": "2026-11-24T22:10:03.120Z"}
            """
        #expect(try json(Self.succeeded) == JSONDecoder().decode(JSONValue.self, from: Data(expected.utf8)))
        let text = String(decoding: try WireJSON.encode(Self.succeeded), as: UTF8.self)
        #expect(text.contains("\"error\":null"))
        #expect(!text.contains("queue_ms"))
    }

    @Test("a failed result has output and served_by null and an error object")
    func failedResult() throws {
        let value = try json(Self.failed)
        #expect(value["status"] == .string("failed"))
        #expect(value["output"] == .null)
        #expect(value["served_by"] == .null)
        #expect(value["fallback_used"] == .bool(false))
        #expect(
            value["error"] == .object(["class": .string("deadline_exceeded"), "message": .string("deadline of 600000 ms passed after 4 attempts")]))
        #expect(value["metadata"] == .object([:]))
        #expect(value["queue_ms"] == .number(12))
        #expect(value["usage"] == .object(["input_tokens": .number(0), "output_tokens": .number(0)]))
        let tooLarge = Self.succeeded.failing(with: JobResult.Failure(.resultTooLarge, message: "2 MB"))
        #expect(try json(tooLarge)["output"] == .null)
        #expect(tooLarge.fallbackUsed == false)
    }

    @Test("an attempt event is the issue's example, nulls included")
    func attemptEvent() throws {
        let expected = """
            {"event": "attempt", "job_id": "ticket-8812", "workload": "support-summaries", "attempt": 1, "route_index": 0, "provider": "claude-direct", "model": "claude-sonnet-4-5", "outcome": "overloaded", "http_status": 529, "latency_ms": 312, "retry_after_ms": null, "decision": "fail_over", "at": "2026-11-24T22:10:01.002Z"}
            """
        #expect(try json(Self.attempt) == JSONDecoder().decode(JSONValue.self, from: Data(expected.utf8)))
        #expect(Self.attempt.key == "ticket-8812")
    }

    @Test("a job event is the issue's example")
    func jobEvent() throws {
        let event = TelemetryEvent.job(TelemetryEvent.JobFinished(Self.succeeded))
        let expected = """
            {"event": "job", "job_id": "ticket-8812", "workload": "support-summaries", "status": "succeeded", "served_by": {"provider": "claude-azure", "model": "claude-sonnet-4-5", "route_index": 1}, "attempts": 2, "fallback_used": true, "latency_ms": 2143, "cost_usd": 0.003876, "at": "2026-11-24T22:10:03.120Z"}
            """
        #expect(try json(event) == JSONDecoder().decode(JSONValue.self, from: Data(expected.utf8)))
        let failed = try json(TelemetryEvent.job(TelemetryEvent.JobFinished(Self.failed)))
        #expect(failed["error_class"] == .string("deadline_exceeded"))
        #expect(failed["served_by"] == .null)
    }

    @Test("a circuit event is keyed provider/model")
    func circuitEvent() throws {
        #expect(Self.circuit.key == "claude-direct/claude-sonnet-4-5")
        #expect(
            try json(Self.circuit)
                == .object([
                    "event": .string("circuit"), "provider": .string("claude-direct"), "model": .string("claude-sonnet-4-5"),
                    "state": .string("half_open"), "at": .string("2026-11-24T22:10:03.120Z"),
                ])
        )
    }

    @Test(
        "RFC 3339 timestamps: UTC, milliseconds, Z",
        arguments: [
            (0.0, "1970-01-01T00:00:00.000Z"),
            (1_795_558_203.120, "2026-11-24T22:10:03.120Z"),
            (951_782_400.999, "2000-02-29T00:00:00.999Z"),
            (-1.5, "1969-12-31T23:59:58.500Z"),
            (4_102_444_799.0, "2099-12-31T23:59:59.000Z"),
        ]
    )
    func timestamps(seconds: Double, text: String) throws {
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: seconds)) == text)
        let parsed = try #require(RFC3339.date(from: text))
        #expect(abs(parsed.timeIntervalSince1970 - seconds) < 0.001)
    }

    @Test("RFC 3339 parsing accepts offsets and rejects non-dates")
    func timestampParsing() {
        #expect(RFC3339.date(from: "2026-11-24T23:10:03+01:00") == Date(timeIntervalSince1970: 1_795_558_203))
        #expect(RFC3339.date(from: "2026-11-24t22:10:03z") == Date(timeIntervalSince1970: 1_795_558_203))
        for bad in ["2026-11-24", "2026-02-30T00:00:00Z", "2026-11-24T22:10:03", "2026-11-24T25:00:00Z", "2026-11-24T22:10:03.Z", "x"] {
            #expect(RFC3339.date(from: bad) == nil, "\(bad)")
        }
    }

    /// Shadow events of every shape: a text comparison, a `json_schema` one with more fields
    /// than an event lists, and a backup that failed (no measure).
    static let shadowEvents: [TelemetryEvent.Shadow] = {
        let primary = TelemetryEvent.Shadow.Side(route: RouteKey(provider: "p", model: "m"), outcome: .ok, latencyMs: 120, costUSD: 0.002)
        let backup = TelemetryEvent.Shadow.Side(route: RouteKey(provider: "b", model: "m"), outcome: .ok, latencyMs: 340, costUSD: nil)
        let fields = (0..<70).map { PairMeasure.FieldVerdict(path: "items[\($0)].name", agrees: $0 % 3 != 0) }
        var json = backup
        json.schemaValid = true
        var failed = backup
        failed.outcome = .serverError
        return [
            .init(
                jobID: "j1", workload: "w", primary: primary, backup: backup,
                measure: PairMeasure(similarity: 0.75, shape: .text(lengthRatio: 1.25, sameStructure: true)), at: Fixtures.completedAt),
            .init(
                jobID: "j2", workload: "w", primary: primary, backup: backup,
                measure: PairMeasure(similarity: 0.5, shape: .text(lengthRatio: .infinity, sameStructure: false)), at: Fixtures.completedAt),
            .init(
                jobID: "j3", workload: "w", primary: primary, backup: json,
                measure: PairMeasure(similarity: 0.6, shape: .json(fields: fields, truncated: false)), at: Fixtures.completedAt),
            .init(jobID: "j4", workload: "w", primary: primary, backup: failed, measure: nil, at: Fixtures.completedAt),
        ]
    }()

    @Test("a shadow event reads back as written; an event lists at most 64 fields and says it left some out")
    func shadowRoundTrip() throws {
        for event in Self.shadowEvents {
            let bytes = try WireJSON.encodeBytes(TelemetryEvent.shadow(event))
            let read = try #require(TelemetryEvent.Shadow.read(bytes), "\(event.jobID) did not read back")
            switch (event.measure?.shape, read.measure?.shape) {
            case (.json(let fields, _), .json(let readFields, let truncated)):
                #expect(readFields == Array(fields.prefix(TelemetryEvent.Shadow.maxFields)) && truncated)
            default:
                #expect(read == event)
            }
        }
        #expect(TelemetryEvent.Shadow.read(Array(#"{"event":"job","job_id":"j"}"#.utf8)) == nil)
        #expect(TelemetryEvent.Shadow.read(Array("not json".utf8)) == nil)
    }

    @Test("a shadow event read off the topic with out-of-range values is refused, and a negative cost reads as unknown")
    func shadowHostileValues() throws {
        func event(cost: String = "0.1", similarity: String = "0.5", ratio: String = "1", path: String = "a") -> [UInt8] {
            Array(
                """
                {"event":"shadow","job_id":"j","workload":"w","at":"2026-11-24T22:10:03.120Z","similarity":\(similarity),"shape_matches":true,
                "primary":{"provider":"p","model":"m","outcome":"ok","latency_ms":1,"cost_usd":\(cost)},
                "backup":{"provider":"b","model":"m","outcome":"ok","latency_ms":1,"cost_usd":\(cost)},
                "shape":{"kind":"text","similarity_measure":"rouge_l_f1","length_ratio":\(ratio),"same_bullets_and_paragraphs":true}}
                """.utf8)
        }
        func json(path: String) -> [UInt8] {
            Array(
                """
                {"event":"shadow","job_id":"j","workload":"w","at":"2026-11-24T22:10:03.120Z","similarity":1,"shape_matches":true,
                "primary":{"provider":"p","model":"m","outcome":"ok","latency_ms":1,"cost_usd":null},
                "backup":{"provider":"b","model":"m","outcome":"ok","latency_ms":1,"cost_usd":null},
                "shape":{"kind":"json","similarity_measure":"field_agreement","fields":[{"path":"\(path)","agrees":true}],"fields_truncated":false}}
                """.utf8)
        }
        #expect(TelemetryEvent.Shadow.read(event()) != nil)
        let negative = try #require(TelemetryEvent.Shadow.read(event(cost: "-5")))
        #expect(negative.primary.costUSD == nil && negative.backup.costUSD == nil)
        #expect(TelemetryEvent.Shadow.read(event(similarity: "1.5")) == nil)
        #expect(TelemetryEvent.Shadow.read(event(similarity: "-0.1")) == nil)
        #expect(TelemetryEvent.Shadow.read(event(ratio: "-2")) == nil)
        #expect(TelemetryEvent.Shadow.read(json(path: "items[0].name")) != nil)
        #expect(TelemetryEvent.Shadow.read(json(path: String(repeating: "x", count: TelemetryEvent.Shadow.maxPathBytes + 1))) == nil)
    }
}
