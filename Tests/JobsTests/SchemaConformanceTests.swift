import Completions
import Failover
import Foundation
import Testing
import UnderstudyTesting

@testable import Jobs

/// What Swift writes and accepts, checked against the schema files with Python's `jsonschema`.
@Suite("Schema conformance (jsonschema)")
struct SchemaConformanceTests {
    private func expectValid(_ documents: [Data], _ schema: String) throws {
        let report = try JSONSchemaValidator.validate(documents, against: schema)
        #expect(report.isValid, "\(schema): \(report.output)")
    }

    private func compact(_ json: String) throws -> Data {
        try WireJSON.encode(JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)))
    }

    @Test("the schema files are valid draft 2020-12 schemas with the URN ids")
    func schemaFiles() throws {
        for name in ["job", "result", "telemetry", "config", "compare-report"] {
            let schema = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: JSONSchemaValidator.schemaURL(name)))
            #expect(schema["$schema"] == .string("https://json-schema.org/draft/2020-12/schema"))
            #expect(schema["$id"] == .string("urn:understudy:schema:\(name):v1"))
        }
        // An empty input is valid (the script also checks the schema itself).
        try expectValid([], "job")
    }

    @Test("encoded results validate against result.v1.json")
    func results() throws {
        let tooLarge = WireEncodingTests.succeeded.failing(with: JobResult.Failure(.resultTooLarge, message: "too large"))
        try expectValid(
            [WireEncodingTests.succeeded, WireEncodingTests.failed, tooLarge].map { try WireJSON.encode($0) },
            "result"
        )
    }

    @Test("encoded telemetry validates against telemetry.v1.json")
    func telemetry() throws {
        let full = TelemetryEvent.attempt(
            TelemetryEvent.Attempt(
                jobID: "j", workload: "w", attempt: 3, routeIndex: 1, route: RouteKey(provider: "p", model: "m"),
                outcome: .rateLimited, httpStatus: 429, latencyMs: 12, retryAfterMs: 3_600_000, decision: .failOver,
                at: Fixtures.completedAt, costUSD: 0.5, usage: CompletionResponse.Usage(inputTokens: 1, outputTokens: 2),
                providerType: "anthropic", providerErrorType: "rate_limit_error", errorMessage: "slow down"
            )
        )
        let skipped = TelemetryEvent.attempt(
            TelemetryEvent.Attempt(
                jobID: "j", workload: "w", attempt: 1, routeIndex: 0, route: RouteKey(provider: "p", model: "m"),
                outcome: .circuitOpen, latencyMs: 0, decision: .failOver, at: Fixtures.completedAt
            )
        )
        let open = TelemetryEvent.circuit(
            TelemetryEvent.Circuit(
                route: RouteKey(provider: "p", model: "m"), state: .open, at: Fixtures.completedAt, cooldownMs: 5_000, worker: "pod-0-3f2a")
        )
        var events = [WireEncodingTests.attempt, full, skipped, WireEncodingTests.circuit, open]
        events.append(.job(TelemetryEvent.JobFinished(WireEncodingTests.succeeded)))
        events.append(.job(TelemetryEvent.JobFinished(WireEncodingTests.failed)))
        events += WireEncodingTests.shadowEvents.map(TelemetryEvent.shadow)
        for state in TelemetryEvent.Budget.State.allCases {
            events.append(
                .budget(
                    .init(
                        workload: "w", window: "hour", windowStart: Fixtures.completedAt, state: state, spentUSD: 49.5, capUSD: 50,
                        waiting: 12, worker: "host-1-abc", at: Fixtures.completedAt)))
        }
        for outcome in Outcome.allCases {
            for decision in Decision.allCases {
                events.append(
                    .attempt(
                        TelemetryEvent.Attempt(
                            jobID: "j", workload: "w", attempt: 1, routeIndex: 0, route: RouteKey(provider: "p", model: "m"),
                            outcome: outcome, latencyMs: 1, decision: decision, at: Fixtures.completedAt
                        )
                    )
                )
            }
        }
        try expectValid(events.map { try WireJSON.encode($0) }, "telemetry")
    }

    @Test("telemetry.v1.json rejects an attempt without its required fields and an unknown outcome")
    func telemetryNegative() throws {
        let report = try JSONSchemaValidator.validate(
            [
                #"{"event":"attempt","job_id":"j"}"#,
                #"{"event":"circuit","provider":"p","model":"m","state":"ajar","at":"2026-11-24T22:10:03.120Z"}"#,
                #"{"event":"shadow","job_id":"j","workload":"w","primary":{"provider":"p","model":"m","outcome":"ok","latency_ms":1,"cost_usd":null},"backup":{"provider":"b","model":"m","outcome":"ok","latency_ms":1,"cost_usd":null},"shape_matches":true,"similarity":1.5,"at":"2026-11-24T22:10:03.120Z"}"#,
            ],
            against: "telemetry"
        )
        #expect(report.exitCode == 1)
        #expect(report.output.contains("line 1:"))
        #expect(report.output.contains("line 2:"))
        #expect(report.output.contains("line 3:"), "a similarity above 1 is rejected")
    }

    @Test("sample jobs that Swift accepts validate against job.v1.json")
    func acceptedJobs() throws {
        let decoder = try Fixtures.decoder()
        let withSchema = Fixtures.job {
            $0["input"] = .object([
                "messages": .array([.object(["role": .string("user"), "content": .string("x")])]),
                "response_format": .object(["type": .string("json_schema"), "schema": .object(["type": .string("object")])]),
                "stop_sequences": .array([.string("END")]),
            ])
            $0["expires_at"] = .string("2026-11-24T22:10:03Z")
        }
        let documents = [try compact(Fixtures.jobJSON), try WireJSON.encode(Fixtures.job()), try WireJSON.encode(withSchema)]
        for document in documents {
            let job = try decoder.decode(document)
            // What Swift writes for a job validates too.
            try expectValid([try WireJSON.encode(job)], "job")
        }
        try expectValid(documents, "job")
    }

    @Test("every schema violation Swift rejects, the schema rejects too")
    func rejectedJobs() throws {
        let documents = try JobDecoderTests.violations.map { try WireJSON.encode(Fixtures.job($0.1)) }
        let report = try JSONSchemaValidator.validate(documents, against: "job")
        for index in documents.indices {
            #expect(report.output.contains("line \(index + 1):"), "schema accepts: \(JobDecoderTests.violations[index].0)")
        }
    }

    @Test("the bounds the schema can express agree with the decoder's")
    func bounds() throws {
        let counted = JobLimitsTests.fixedBounds.filter { !$0.0.contains("large") && !$0.0.contains("deep") }
        var rejected = counted.map { Fixtures.job($0.1) }
        rejected.append(Fixtures.job { $0["id"] = .string(String(repeating: "i", count: 513)) })
        rejected.append(Fixtures.job { $0["routing"] = .object(["deadline_ms": .number(86_400_001)]) })
        rejected.append(Fixtures.job { $0["routing"] = .object(["attempt_timeout_ms": .number(3_600_001)]) })
        let decoder = try Fixtures.decoder()
        for document in rejected {
            #expect(throws: JobRejection.self) { try decoder.decode(WireJSON.encode(document)) }
        }
        let report = try JSONSchemaValidator.validate(try rejected.map { try WireJSON.encode($0) }, against: "job")
        for index in rejected.indices {
            #expect(report.output.contains("line \(index + 1):"), "schema accepts bound \(index)")
        }
        let atTheBound = Fixtures.job { $0["id"] = .string(String(repeating: "i", count: 512)) }
        _ = try decoder.decode(WireJSON.encode(atTheBound))
        try expectValid([try WireJSON.encode(atTheBound)], "job")

        let limits = try WireJSON.encode(
            YAMLDocument.parse(Fixtures.minimalYAML + "\n    limits: {max_job_id_bytes: 100, max_deadline_ms: 60000}\n", environment: [:])
        )
        try expectValid([limits], "config")
        let refused = try [
            Fixtures.minimalYAML + "\n    limits: {max_deadline_ms: 86400001}\n",
            Fixtures.minimalYAML.replacingOccurrences(of: "  topics:", with: "  properties: {acks: 1}\n  topics:"),
        ].map { try WireJSON.encode(YAMLDocument.parse($0, environment: [:])) }
        let configReport = try JSONSchemaValidator.validate(refused, against: "config")
        #expect(configReport.output.contains("line 1:") && configReport.output.contains("line 2:"), "\(configReport.output)")
    }

    @Test("sample configs validate against config.v1.json, and a bad one does not")
    func configs() throws {
        let documents = try [Fixtures.configYAML, Fixtures.minimalYAML].map {
            try WireJSON.encode(YAMLDocument.parse($0, environment: Fixtures.environment))
        }
        try expectValid(documents, "config")
        let bad = try WireJSON.encode(
            YAMLDocument.parse(Fixtures.minimalYAML + "\n    policy: {retries: 3}\n", environment: [:])
        )
        let report = try JSONSchemaValidator.validate([bad], against: "config")
        #expect(report.exitCode == 1)
        #expect(report.output.contains("$.workloads.w.policy"), "\(report.output)")
    }
}
