import Completions
import Failover
import Foundation
import Testing

@testable import Jobs

@Suite("Job decoding and validation")
struct JobDecoderTests {
    private func rejection(_ bytes: [UInt8], decoder: JobDecoder? = nil) throws -> JobRejection {
        let decoder = try decoder ?? Fixtures.decoder()
        do {
            let job = try decoder.decode(bytes)
            Issue.record("expected a rejection, decoded \(job.id)")
            return JobRejection(code: JobRejection.Code(rawValue: "none"), detail: "")
        } catch {
            return error
        }
    }

    private func rejection(_ value: JSONValue) throws -> JobRejection {
        try rejection(Fixtures.bytes(value))
    }

    @Test("the issue's example job decodes with every field")
    func exampleJob() throws {
        let job = try Fixtures.decoder().decode(Array(Fixtures.jobJSON.utf8))
        #expect(job.id == "ticket-8812")
        #expect(job.workload == "support-summaries")
        #expect(job.request.system == "Summarize the ticket for a support lead in 3 bullets.")
        #expect(job.request.messages == [CompletionRequest.Message(role: .user, content: "...")])
        #expect(job.request.maxTokens == 300)
        #expect(job.request.temperature == 0)
        #expect(job.request.responseFormat == .text)
        #expect(job.routes.map(\.description) == ["claude-direct/claude-sonnet-4-5", "claude-azure/claude-sonnet-4-5"])
        #expect(job.metadata == ["tenant": .string("acme")])
        #expect(job.expiresAt == nil)
        #expect(job.policy.maxAttempts == 4)
        #expect(job.policy.attemptTimeout == .milliseconds(20_000))
        #expect(job.policy.hedgeAfter == .milliseconds(8_000))
        #expect(job.policy.failOverOn == [.timeout, .connection, .rateLimited, .overloaded, .serverError, .invalidOutput])
    }

    @Test("a minimal job gets its workload's routes, policy and the request defaults")
    func minimalJob() throws {
        let job = try Fixtures.decoder().decode(Fixtures.job())
        #expect(job.routes.count == 2)
        #expect(job.routes[0] == RouteKey(provider: "claude-direct", model: "claude-sonnet-4-5"))
        #expect(job.request.maxTokens == 1024)
        #expect(job.request.system == nil)
        #expect(job.metadata.isEmpty)
        #expect(job.policy.attemptTimeout == .milliseconds(30_000))
        #expect(job.policy.hedgeAfter == nil)
        // The workload's fail_over_on replaces the default (which includes auth_error).
        #expect(!job.policy.failOverOn.contains(.authError))
    }

    @Test("policy resolution: job routing over workload policy over defaults")
    func policyResolution() throws {
        let yaml = Fixtures.minimalYAML + "\n    policy: {max_attempts: 6, backoff_base_ms: 50}\n"
        let config = try UnderstudyConfig.parse(yaml: yaml, environment: [:])
        let decoder = JobDecoder(config: config)
        let job = try decoder.decode(
            Fixtures.job {
                $0["workload"] = .string("w")
                $0["routing"] = .object(["deadline_ms": .number(5_000), "fail_over_on": .array([.string("timeout")])])
            }
        )
        #expect(job.policy.maxAttempts == 6)  // workload
        #expect(job.policy.backoffBase == .milliseconds(50))  // workload
        #expect(job.policy.deadline == .milliseconds(5_000))  // job
        #expect(job.policy.failOverOn == [.timeout])  // job
        #expect(job.policy.attemptTimeout == .milliseconds(30_000))  // default
        #expect(job.policy.maxRetryWait == .milliseconds(2_000))  // default
        #expect(job.policy.backoffCap == .milliseconds(10_000))  // default
        #expect(FailoverPolicy.defaults.failOverOn.contains(.authError))
        #expect(!FailoverPolicy.defaults.failOverOn.contains(.clientError))
    }

    @Test("json_schema response format, stop sequences and expires_at")
    func optionalInputFields() throws {
        let job = try Fixtures.decoder().decode(
            Fixtures.job {
                $0["input"] = .object([
                    "messages": .array([.object(["role": .string("user"), "content": .string("x")])]),
                    "stop_sequences": .array([.string("END")]),
                    "response_format": .object([
                        "type": .string("json_schema"), "schema": .object(["type": .string("object")]),
                    ]),
                ])
                $0["expires_at"] = .string("2026-11-24T23:10:03.5+01:00")
            }
        )
        #expect(job.request.responseFormat == .jsonSchema(.object(["type": .string("object")])))
        #expect(job.request.stopSequences == ["END"])
        #expect(job.expiresAt == Date(timeIntervalSince1970: 1_795_561_803.5 - 3_600))
        #expect(job.isExpired(at: Date(timeIntervalSince1970: 1_795_561_803.5)))
        #expect(!job.isExpired(at: Date(timeIntervalSince1970: 1_795_558_000)))
    }

    @Test("too_large: checked before parsing, against worker.max_message_bytes")
    func tooLarge() throws {
        let decoder = JobDecoder(workloads: try Fixtures.config().workloads, maxMessageBytes: 1_024)
        let big = Fixtures.job { $0["metadata"] = .object(["pad": .string(String(repeating: "x", count: 2_000))]) }
        let error = try rejection(Fixtures.bytes(big), decoder: decoder)
        #expect(error.code == .tooLarge)
        #expect(error.message.contains("worker.max_message_bytes (1024)"))
        let garbage = try rejection(Array(repeating: 0x7B, count: 1_025), decoder: decoder)
        #expect(garbage.code == .tooLarge)
    }

    @Test(
        "invalid_json: not JSON or not UTF-8",
        arguments: [Array("{\"id\": ".utf8), Array("not json".utf8), [0xFF, 0xFE, 0x7B], []]
    )
    func invalidJSON(bytes: [UInt8]) throws {
        let error = try rejection(bytes)
        #expect(error.code == .invalidJSON)
        #expect(error.fieldPath == nil)
    }

    static let violations: [(String, @Sendable (inout [String: JSONValue]) -> Void, String)] = [
        ("a JSON array", { $0 = [:] }, "id: required field is missing"),
        ("missing id", { $0["id"] = nil }, "id: required field is missing"),
        ("empty id", { $0["id"] = .string("") }, "id: expected a non-empty string, got \"\""),
        ("numeric workload", { $0["workload"] = .number(7) }, "workload: expected a string, got 7"),
        ("missing input", { $0["input"] = nil }, "input: required field is missing"),
        ("missing messages", { $0["input"] = .object([:]) }, "input.messages: required field is missing"),
        ("empty messages", { $0["input"] = .object(["messages": .array([])]) }, "input.messages: expected at least 1 item, got 0"),
        (
            "bad role",
            {
                $0["input"] = .object([
                    "messages": .array([
                        .object(["role": .string("user"), "content": .string("a")]),
                        .object(["role": .string("assistant"), "content": .string("b")]),
                        .object(["role": .string("robot"), "content": .string("c")]),
                    ])
                ])
            },
            "input.messages[2].role: expected \"user\" or \"assistant\", got \"robot\""
        ),
        (
            "content not a string",
            { $0["input"] = .object(["messages": .array([.object(["role": .string("user"), "content": .array([])])])]) },
            "input.messages[0].content: expected a string, got an array"
        ),
        (
            "unknown input field",
            { $0["input"] = .object(["messages": .array([.object(["role": .string("user"), "content": .string("a")])]), "max_token": .number(5)]) },
            "input.max_token: unknown field (expected one of: max_tokens, messages, response_format, stop_sequences, system, temperature)"
        ),
        (
            "fractional max_tokens",
            {
                $0["input"] = .object([
                    "messages": .array([.object(["role": .string("user"), "content": .string("a")])]), "max_tokens": .number(2.5),
                ])
            },
            "input.max_tokens: expected an integer from 1 to 1000000, got 2.5"
        ),
        (
            "temperature out of range",
            {
                $0["input"] = .object(["messages": .array([.object(["role": .string("user"), "content": .string("a")])]), "temperature": .number(3)])
            },
            "input.temperature: expected a number from 0.0 to 2.0, got 3"
        ),
        (
            "unknown response format",
            {
                $0["input"] = .object([
                    "messages": .array([.object(["role": .string("user"), "content": .string("a")])]),
                    "response_format": .object(["type": .string("xml")]),
                ])
            },
            "input.response_format.type: expected \"text\" or \"json_schema\", got \"xml\""
        ),
        (
            "json_schema without schema",
            {
                $0["input"] = .object([
                    "messages": .array([.object(["role": .string("user"), "content": .string("a")])]),
                    "response_format": .object(["type": .string("json_schema")]),
                ])
            },
            "input.response_format.schema: required field is missing"
        ),
        (
            "route with a URL",
            {
                $0["routing"] = .object([
                    "routes": .array([
                        .object([
                            "provider": .string("claude-direct"), "model": .string("claude-sonnet-4-5"),
                            "base_url": .string("https://evil.example"),
                        ])
                    ])
                ])
            },
            "routing.routes[0].base_url: unknown field (expected one of: model, provider)"
        ),
        (
            "route without model",
            { $0["routing"] = .object(["routes": .array([.object(["provider": .string("claude-direct")])])]) },
            "routing.routes[0].model: required field is missing"
        ),
        (
            "unknown outcome in fail_over_on",
            { $0["routing"] = .object(["fail_over_on": .array([.string("timeout"), .string("sometimes")])]) },
            "routing.fail_over_on[1]: expected one of \"timeout\", \"connection\", \"rate_limited\", \"overloaded\", \"server_error\", \"client_error\", \"auth_error\", \"invalid_output\", got \"sometimes\""
        ),
        (
            "zero max_attempts",
            { $0["routing"] = .object(["max_attempts": .number(0)]) },
            "routing.max_attempts: expected an integer from 1 to 100, got 0"
        ),
        (
            "unknown routing field",
            { $0["routing"] = .object(["api_key": .string("sk-...")]) },
            "routing.api_key: unknown field (expected one of: attempt_timeout_ms, deadline_ms, fail_over_on, hedge_after_ms, max_attempts, routes)"
        ),
        (
            "bad expires_at",
            { $0["expires_at"] = .string("tomorrow") },
            "expires_at: expected an RFC 3339 date-time such as \"2026-11-24T22:10:03Z\", got \"tomorrow\""
        ),
        ("metadata not an object", { $0["metadata"] = .string("acme") }, "metadata: expected an object, got \"acme\""),
        (
            "unknown top-level field",
            { $0["priority"] = .number(1) },
            "priority: unknown field (expected one of: expires_at, id, input, metadata, routing, workload)"
        ),
    ]

    @Test("schema_violation names the field and what was expected", arguments: violations.indices)
    func schemaViolation(index: Int) throws {
        let (_, change, expected) = Self.violations[index]
        let error = try rejection(Fixtures.job(change))
        #expect(error.code == .schemaViolation)
        #expect(error.message == expected)
    }

    @Test("a document that is not an object is a schema violation at the root")
    func notAnObject() throws {
        let error = try rejection(Array("[1, 2]".utf8))
        #expect(error.code == .schemaViolation)
        #expect(error.message == "$: expected an object, got an array")
    }

    @Test("unknown_workload")
    func unknownWorkload() throws {
        let error = try rejection(Fixtures.job { $0["workload"] = .string("poetry") })
        #expect(error.code == .unknownWorkload)
        #expect(error.message == "workload: \"poetry\" is not a workload defined in the worker's config")
    }

    @Test("route_not_approved: a defined provider with an unapproved model, and an undefined provider")
    func routeNotApproved() throws {
        let route = { (provider: String, model: String) in JSONValue.object(["provider": .string(provider), "model": .string(model)]) }
        let error = try rejection(
            Fixtures.job {
                $0["routing"] = .object([
                    "routes": .array([route("claude-direct", "claude-sonnet-4-5"), route("claude-direct", "claude-opus-4-1")])
                ])
            }
        )
        #expect(error.code == .routeNotApproved)
        #expect(
            error.message
                == "routing.routes[1]: {provider: \"claude-direct\", model: \"claude-opus-4-1\"} is not an approved route of workload \"support-summaries\""
        )
        let other = try rejection(Fixtures.job { $0["routing"] = .object(["routes": .array([route("my-proxy", "claude-sonnet-4-5")])]) })
        #expect(other.code == .routeNotApproved)
        #expect(other.fieldPath == "routing.routes[0]")
    }

    @Test("a job may list a subset of its workload's routes, in another order")
    func routeSubset() throws {
        let job = try Fixtures.decoder().decode(
            Fixtures.job {
                $0["routing"] = .object([
                    "routes": .array([.object(["provider": .string("claude-azure"), "model": .string("claude-sonnet-4-5")])])
                ])
            }
        )
        #expect(job.routes == [RouteKey(provider: "claude-azure", model: "claude-sonnet-4-5")])
    }

    @Test("encoding a job and decoding it again gives the same job")
    func roundTrip() throws {
        let decoder = try Fixtures.decoder()
        let job = try decoder.decode(Array(Fixtures.jobJSON.utf8))
        let again = try decoder.decode(WireJSON.encodeBytes(job))
        #expect(again == job)
    }

    @Test("dead-letter headers carry the class, message and source in decimal text")
    func deadLetterHeaders() throws {
        let error = try rejection(Fixtures.job { $0["workload"] = .string("poetry") })
        let headers = DeadLetter.headers(for: error, topic: "llm.jobs", partition: 3, offset: 1_234_567_890_123)
        let text = Dictionary(uniqueKeysWithValues: headers.map { ($0.name, String(decoding: $0.value, as: UTF8.self)) })
        #expect(text[DeadLetter.Header.errorClass] == "unknown_workload")
        #expect(text[DeadLetter.Header.errorMessage] == error.message)
        #expect(text[DeadLetter.Header.sourceTopic] == "llm.jobs")
        #expect(text[DeadLetter.Header.sourcePartition] == "3")
        #expect(text[DeadLetter.Header.sourceOffset] == "1234567890123")
        #expect(DeadLetter.Header.truncated == "understudy.error.truncated")
    }
}
