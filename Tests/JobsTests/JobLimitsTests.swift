import Completions
import Failover
import Foundation
import Testing

@testable import Jobs

@Suite("Job limits: per workload, with defaults and hard caps")
struct JobLimitsTests {
    /// A config whose workload `w` has `limits` (YAML flow mapping body) and `policy`.
    private func config(limits: String? = nil, policy: String? = nil) throws -> UnderstudyConfig {
        var yaml = Fixtures.minimalYAML
        if let limits { yaml += "\n    limits: {\(limits)}" }
        if let policy { yaml += "\n    policy: {\(policy)}" }
        return try UnderstudyConfig.parse(yaml: yaml, environment: [:])
    }

    private func configError(limits: String? = nil, policy: String? = nil) -> ConfigError? {
        do {
            _ = try config(limits: limits, policy: policy)
            Issue.record("expected a config error")
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    private func job(_ routing: [String: JSONValue] = [:], id: String = "j-1") -> JSONValue {
        Fixtures.job {
            $0["workload"] = .string("w")
            $0["id"] = .string(id)
            if !routing.isEmpty { $0["routing"] = .object(routing) }
        }
    }

    private func rejection(_ value: JSONValue, config: UnderstudyConfig) -> JobRejection? {
        do {
            _ = try JobDecoder(config: config).decode(Fixtures.bytes(value))
            Issue.record("expected a rejection")
            return nil
        } catch let error as JobRejection {
            return error
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    @Test("the defaults, and the workload's default policy sits within them")
    func defaults() throws {
        let limits = try #require(try config().workloads["w"]?.limits)
        #expect(limits == .defaults)
        #expect(limits.maxJobIDBytes == 512)
        #expect(limits.maxAttempts == 10)
        #expect(limits.maxDeadlineMs == 3_600_000)
        #expect(limits.maxAttemptTimeoutMs == 600_000)
        let policy = FailoverPolicy.defaults
        #expect(policy.maxAttempts <= limits.maxAttempts)
        #expect(policy.deadline <= .milliseconds(limits.maxDeadlineMs))
        #expect(policy.attemptTimeout <= .milliseconds(limits.maxAttemptTimeoutMs))
        #expect(JobLimits.defaults.maxJobIDBytes <= JobLimits.hardMaxJobIDBytes)
        #expect(JobLimits.defaults.maxAttempts <= JobLimits.hardMaxAttempts)
        #expect(JobLimits.defaults.maxDeadlineMs <= JobLimits.hardMaxDeadlineMs)
        #expect(JobLimits.defaults.maxAttemptTimeoutMs <= JobLimits.hardMaxAttemptTimeoutMs)
    }

    @Test("a job at its limits decodes")
    func atTheLimits() throws {
        let config = try config()
        let job = try JobDecoder(config: config).decode(
            Fixtures.bytes(
                job(
                    ["max_attempts": .number(10), "deadline_ms": .number(3_600_000), "attempt_timeout_ms": .number(600_000)],
                    id: String(repeating: "i", count: 512)
                )
            )
        )
        #expect(job.policy.maxAttempts == 10)
        #expect(job.policy.deadline == .milliseconds(3_600_000))
        #expect(job.id.utf8.count == 512)
    }

    static let overLimit: [([String: JSONValue], String)] = [
        (["max_attempts": .number(11)], "routing.max_attempts: 11 is over workloads.w.limits.max_attempts (10)"),
        (["deadline_ms": .number(3_600_001)], "routing.deadline_ms: 3600001 is over workloads.w.limits.max_deadline_ms (3600000)"),
        (
            ["attempt_timeout_ms": .number(600_001)],
            "routing.attempt_timeout_ms: 600001 is over workloads.w.limits.max_attempt_timeout_ms (600000)"
        ),
        (["hedge_after_ms": .number(600_001)], "routing.hedge_after_ms: 600001 is over workloads.w.limits.max_attempt_timeout_ms (600000)"),
    ]

    @Test("a job asking for more is an over_limit dead letter naming the field and the limit", arguments: overLimit.indices)
    func overTheLimits(index: Int) throws {
        let (routing, message) = Self.overLimit[index]
        let error = rejection(job(routing), config: try config())
        #expect(error?.code == .overLimit)
        #expect(error?.message == message)
    }

    @Test("the id is measured in UTF-8 bytes, against the workload's limit and then the hard cap")
    func jobID() throws {
        let config = try config(limits: "max_job_id_bytes: 5")
        // Three characters, six bytes.
        let error = rejection(job(id: "ééé"), config: config)
        #expect(error?.code == .overLimit)
        #expect(error?.message == "id: 6 bytes is over workloads.w.limits.max_job_id_bytes (5)")
        let five = try JobDecoder(config: config).decode(Fixtures.bytes(job(id: "ééx")))
        #expect(five.id == "ééx")
        let huge = rejection(job(id: String(repeating: "x", count: 4_097)), config: config)
        #expect(huge?.code == .schemaViolation)
        #expect(huge?.message == "id: expected at most 4096 bytes, got 4097")
    }

    @Test("configured limits apply to the workload's jobs")
    func configuredLimits() throws {
        let config = try config(
            limits: "max_attempts: 3, max_deadline_ms: 60000, max_attempt_timeout_ms: 20000",
            policy: "max_attempts: 2, deadline_ms: 30000, attempt_timeout_ms: 10000"
        )
        let limits = try #require(config.workloads["w"]?.limits)
        #expect(limits == JobLimits(maxJobIDBytes: 512, maxAttempts: 3, maxDeadlineMs: 60_000, maxAttemptTimeoutMs: 20_000))
        let error = rejection(job(["deadline_ms": .number(60_001)]), config: config)
        #expect(error?.message == "routing.deadline_ms: 60001 is over workloads.w.limits.max_deadline_ms (60000)")
        let ok = try JobDecoder(config: config).decode(Fixtures.bytes(job(["max_attempts": .number(3)])))
        #expect(ok.policy.maxAttempts == 3)
    }

    static let configErrors: [(String?, String?, String)] = [
        ("max_deadline_ms: 86400001", nil, "workloads.w.limits.max_deadline_ms: expected an integer from 1 to 86400000, got 86400001"),
        ("max_attempts: 101", nil, "workloads.w.limits.max_attempts: expected an integer from 1 to 100, got 101"),
        ("max_job_id_bytes: 4097", nil, "workloads.w.limits.max_job_id_bytes: expected an integer from 1 to 4096, got 4097"),
        (
            "max_attempt_timeout_ms: 3600001", nil,
            "workloads.w.limits.max_attempt_timeout_ms: expected an integer from 1 to 3600000, got 3600001"
        ),
        (
            "max_attempt: 3", nil,
            "workloads.w.limits.max_attempt: unknown key (expected one of: max_attempt_timeout_ms, max_attempts, max_deadline_ms, max_job_id_bytes)"
        ),
        (
            "max_deadline_ms: 600000", "deadline_ms: 900000",
            "workloads.w.policy.deadline_ms: 900000 is over workloads.w.limits.max_deadline_ms (600000)"
        ),
        (
            "max_deadline_ms: 300000", nil,
            "workloads.w.policy.deadline_ms: the default 600000 is over workloads.w.limits.max_deadline_ms (300000); set workloads.w.policy.deadline_ms within it"
        ),
        (
            "max_attempts: 2", nil,
            "workloads.w.policy.max_attempts: the default 4 is over workloads.w.limits.max_attempts (2); set workloads.w.policy.max_attempts within it"
        ),
        (nil, "deadline_ms: 86400001", "workloads.w.policy.deadline_ms: expected an integer from 1 to 86400000, got 86400001"),
        (nil, "hedge_after_ms: 700000", "workloads.w.policy.hedge_after_ms: 700000 is over workloads.w.limits.max_attempt_timeout_ms (600000)"),
    ]

    @Test("limits over a hard cap, and a policy over its limits, are config errors naming the key", arguments: configErrors.indices)
    func configLimitErrors(index: Int) {
        let (limits, policy, message) = Self.configErrors[index]
        let error = configError(limits: limits, policy: policy)
        #expect(error?.message == message)
    }

    static let fixedBounds: [(String, @Sendable (inout [String: JSONValue]) -> Void, String)] = [
        (
            "too many messages",
            {
                $0["input"] = .object([
                    "messages": .array(Array(repeating: .object(["role": .string("user"), "content": .string("a")]), count: 10_001))
                ])
            },
            "input.messages: expected at most 10000 items, got 10001"
        ),
        (
            "too many stop sequences",
            {
                $0["input"] = .object([
                    "messages": .array([.object(["role": .string("user"), "content": .string("a")])]),
                    "stop_sequences": .array(Array(repeating: .string("x"), count: 65)),
                ])
            },
            "input.stop_sequences: expected at most 64 items, got 65"
        ),
        (
            "too many metadata entries",
            { $0["metadata"] = .object(Dictionary(uniqueKeysWithValues: (0..<257).map { ("k\($0)", JSONValue.null) })) },
            "metadata: expected at most 256 entries, got 257"
        ),
        (
            "metadata too large",
            { $0["metadata"] = .object(["pad": .string(String(repeating: "x", count: 70_000))]) },
            "metadata: expected at most 65536 bytes of JSON, got more"
        ),
        (
            "metadata too deep",
            { $0["metadata"] = JobLimitsTests.nested(70) },
            "metadata: nested deeper than 64 levels"
        ),
        (
            "schema too deep",
            {
                $0["input"] = .object([
                    "messages": .array([.object(["role": .string("user"), "content": .string("a")])]),
                    "response_format": .object(["type": .string("json_schema"), "schema": JobLimitsTests.nested(65)]),
                ])
            },
            "input.response_format.schema: nested deeper than 64 levels"
        ),
    ]

    /// An object nested `levels` deep (the outermost counts as one).
    static func nested(_ levels: Int) -> JSONValue {
        var value = JSONValue.object([:])
        for _ in 1..<levels { value = .object(["a": value]) }
        return value
    }

    @Test("every count and size a job carries has a fixed bound", arguments: fixedBounds.indices)
    func fixedBound(index: Int) throws {
        let (_, change, message) = Self.fixedBounds[index]
        let error = rejection(Fixtures.job(change), config: try Fixtures.config())
        #expect(error?.code == .schemaViolation)
        #expect(error?.message == message)
    }

    @Test("at the fixed bounds a job decodes")
    func atTheFixedBounds() throws {
        let job = Fixtures.job {
            $0["metadata"] = JobLimitsTests.nested(64)
            $0["input"] = .object([
                "messages": .array([.object(["role": .string("user"), "content": .string("a")])]),
                "response_format": .object(["type": .string("json_schema"), "schema": JobLimitsTests.nested(64)]),
            ])
        }
        let decoded = try Fixtures.decoder().decode(Fixtures.bytes(job))
        #expect(decoded.metadata["a"] != nil)
    }
}
