import Completions
import Foundation

@testable import Jobs

/// Documents shared by the tests: the examples, verbatim where the issue gives them.
enum Fixtures {
    static let environment = ["ANTHROPIC_API_KEY": "sk-test-1", "AZURE_AI_API_KEY": "az-test-2"]

    /// The config example of issue 3.
    static let configYAML = """
        kafka:
          bootstrap_servers: "127.0.0.1:9092"
          group_id: understudy
          topics: {jobs: llm.jobs, results: llm.results, telemetry: llm.telemetry, dead_letter: llm.jobs.dead-letter}
          delivery: at_least_once          # or exactly_once
          properties: {}                   # any librdkafka property, passed through
        worker:
          max_in_flight: 256
          max_message_bytes: 1048576
          shutdown_grace_seconds: 30
        providers:
          claude-direct: {type: anthropic, base_url: "https://api.anthropic.com", api_key_env: ANTHROPIC_API_KEY, max_concurrency: 64}
          claude-azure:  {type: anthropic, base_url: "https://RESOURCE.services.ai.azure.com/anthropic", api_key_env: AZURE_AI_API_KEY}
        pricing:
          claude-sonnet-4-5: {input_per_mtok: 3.0, output_per_mtok: 15.0}
        workloads:
          support-summaries:
            routes:                        # ordered: primary first, then the approved backups
              - {provider: claude-direct, model: claude-sonnet-4-5}
              - {provider: claude-azure, model: claude-sonnet-4-5}
            policy: {max_attempts: 4, attempt_timeout_ms: 30000, deadline_ms: 600000, fail_over_on: [timeout, connection, rate_limited, overloaded, server_error, invalid_output]}
        """

    /// The smallest valid config: only the required keys.
    static let minimalYAML = """
        kafka:
          bootstrap_servers: localhost:9092
          topics: {jobs: j, results: r, telemetry: t, dead_letter: d}
        providers:
          local: {type: extractive}
        workloads:
          w:
            routes: [{provider: local, model: m}]
        """

    /// The job example of issue 3.
    static let jobJSON = """
        {
          "id": "ticket-8812",
          "workload": "support-summaries",
          "input": {
            "system": "Summarize the ticket for a support lead in 3 bullets.",
            "messages": [{"role": "user", "content": "..."}],
            "max_tokens": 300,
            "temperature": 0,
            "response_format": {"type": "text"}
          },
          "routing": {
            "routes": [{"provider": "claude-direct", "model": "claude-sonnet-4-5"},
                       {"provider": "claude-azure", "model": "claude-sonnet-4-5"}],
            "max_attempts": 4,
            "attempt_timeout_ms": 20000,
            "deadline_ms": 600000,
            "hedge_after_ms": 8000,
            "fail_over_on": ["timeout", "connection", "rate_limited", "overloaded", "server_error", "invalid_output"]
          },
          "metadata": {"tenant": "acme"}
        }
        """

    static func config() throws -> UnderstudyConfig {
        try UnderstudyConfig.parse(yaml: configYAML, environment: environment)
    }

    static func decoder() throws -> JobDecoder {
        JobDecoder(config: try config())
    }

    /// A minimal valid job document with `change` applied to it.
    static func job(_ change: (inout [String: JSONValue]) -> Void = { _ in }) -> JSONValue {
        var object: [String: JSONValue] = [
            "id": .string("j-1"),
            "workload": .string("support-summaries"),
            "input": .object(["messages": .array([.object(["role": .string("user"), "content": .string("hi")])])]),
        ]
        change(&object)
        return .object(object)
    }

    static func bytes(_ value: JSONValue) throws -> [UInt8] {
        try WireJSON.encodeBytes(value)
    }

    static let completedAt = Date(timeIntervalSince1970: 1_795_558_203.120)
}
