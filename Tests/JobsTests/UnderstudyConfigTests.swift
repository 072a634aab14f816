import Completions
import Failover
import Foundation
import Testing

@testable import Jobs

@Suite("Config parsing")
struct UnderstudyConfigTests {
    private func error(_ yaml: String, environment: [String: String] = Fixtures.environment) -> ConfigError? {
        do {
            _ = try UnderstudyConfig.parse(yaml: yaml, environment: environment)
            Issue.record("expected a config error")
            return nil
        } catch {
            return error
        }
    }

    @Test("the issue's full example")
    func fullExample() throws {
        let config = try Fixtures.config()
        #expect(config.kafka.bootstrapServers == "127.0.0.1:9092")
        #expect(config.kafka.groupID == "understudy")
        #expect(
            config.kafka.topics
                == KafkaConfig.Topics(jobs: "llm.jobs", results: "llm.results", telemetry: "llm.telemetry", deadLetter: "llm.jobs.dead-letter"))
        #expect(config.kafka.delivery == .atLeastOnce)
        #expect(config.kafka.properties.isEmpty)
        #expect(config.worker.maxInFlight == 256)
        #expect(config.worker.maxMessageBytes == 1_048_576)
        let direct = try #require(config.providers["claude-direct"])
        #expect(direct.type == .anthropic)
        #expect(direct.baseURL?.absoluteString == "https://api.anthropic.com")
        #expect(direct.apiKeyEnv == "ANTHROPIC_API_KEY")
        #expect(direct.maxConcurrency == 64)
        #expect(config.providers["claude-azure"]?.maxConcurrency == nil)
        #expect(config.pricing["claude-sonnet-4-5"] == PriceTable.Price(inputPerMillionTokens: 3, outputPerMillionTokens: 15))
        #expect(config.priceTable.price(for: "gpt-4o") != nil)
        let workload = try #require(config.workloads["support-summaries"])
        #expect(workload.name == "support-summaries")
        #expect(workload.routes.map(\.provider) == ["claude-direct", "claude-azure"])
        #expect(workload.policy.failOverOn == [.timeout, .connection, .rateLimited, .overloaded, .serverError, .invalidOutput])
        // The secret values never end up in the config.
        #expect(!"\(config)".contains("sk-test-1"))
    }

    @Test("every optional key gets its documented default")
    func defaults() throws {
        let config = try UnderstudyConfig.parse(yaml: Fixtures.minimalYAML, environment: [:])
        #expect(config.kafka.groupID == "understudy")
        #expect(config.kafka.delivery == .atLeastOnce)
        #expect(config.kafka.createTopics)
        #expect(config.kafka.topicPartitions == 6)
        #expect(config.kafka.autoOffsetReset == .earliest)
        #expect(
            config.worker
                == WorkerConfig(maxInFlight: 256, maxMessageBytes: 1_048_576, shutdownGraceSeconds: 30, commitIntervalMs: 100, revokeGraceMs: 5_000))
        #expect(config.engine == EngineConfig())
        #expect(config.engine.breakerFailures == 5)
        #expect(config.engine.retryBudgetRatio == 0.2)
        #expect(config.engine.adaptiveConcurrency)
        let provider = try #require(config.providers["local"])
        #expect(provider.auth == .apiKey)
        #expect(!provider.nativeStructuredOutput)
        #expect(provider.baseURL == nil)
        let policy = try #require(config.workloads["w"]?.policy)
        #expect(policy == .defaults)
        #expect(policy.maxAttempts == 4)
        #expect(policy.attemptTimeout == .milliseconds(30_000))
        #expect(policy.deadline == .milliseconds(600_000))
        #expect(policy.maxRetryWait == .milliseconds(2_000))
        #expect(policy.failOverOn.contains(.authError))
        #expect(config.pricing.isEmpty)
    }

    @Test("every documented key is accepted")
    func everyKey() throws {
        let yaml = """
            kafka:
              bootstrap_servers: "b1:9092,b2:9092"
              group_id: g
              topics: {jobs: j, results: r, telemetry: t, dead_letter: d}
              delivery: exactly_once
              properties: {security.protocol: SASL_SSL, linger.ms: 20, enable.gapless.guarantee: true}
              create_topics: false
              topic_partitions: 12
              auto_offset_reset: latest
            worker: {max_in_flight: 4000, max_message_bytes: 2097152, shutdown_grace_seconds: 10, commit_interval_ms: 50, revoke_grace_ms: 1000}
            providers:
              az:
                type: azure-openai
                base_url: http://127.0.0.1:8080
                auth: bearer
                token_file: /var/run/token
                api_version: "2024-10-21"
                native_structured_output: true
                max_concurrency: 8
                slow_after_ms: 4000
              br: {type: bedrock, region: us-east-1}
              gm: {type: gemini, api_key_env: GEMINI_KEY}
              oa: {type: openai, token_env: OA_TOKEN, auth: bearer}
            engine: {breaker_failures: 3, breaker_failure_ratio: 0.25, breaker_window_seconds: 10, breaker_min_calls: 5, breaker_cooldown_ms: 1000, breaker_max_cooldown_ms: 2000, half_open_probes: 2, retry_budget_ratio: 0.1, retry_budget_floor: 1, hedge_budget_ratio: 0.05, adaptive_concurrency: false}
            workloads:
              w:
                routes: [{provider: az, model: gpt-4o}, {provider: br, model: claude}]
                policy: {max_attempts: 2, attempt_timeout_ms: 1000, deadline_ms: 5000, hedge_after_ms: 300, fail_over_on: [timeout, client_error], max_retry_wait_ms: 0, backoff_base_ms: 10, backoff_cap_ms: 100}
            """
        let config = try UnderstudyConfig.parse(yaml: yaml, environment: ["GEMINI_KEY": "g", "OA_TOKEN": "t"])
        #expect(config.kafka.delivery == .exactlyOnce)
        #expect(config.kafka.properties == ["security.protocol": "SASL_SSL", "linger.ms": "20", "enable.gapless.guarantee": "true"])
        #expect(!config.kafka.createTopics)
        #expect(config.kafka.autoOffsetReset == .latest)
        #expect(config.worker.maxInFlight == 4_000)
        #expect(config.providers["az"]?.auth == .bearer)
        #expect(config.providers["az"]?.apiVersion == "2024-10-21")
        #expect(config.providers["az"]?.slowAfterMs == 4_000)
        #expect(config.providers["br"]?.region == "us-east-1")
        #expect(config.engine.halfOpenProbes == 2)
        #expect(!config.engine.adaptiveConcurrency)
        #expect(config.workloads["w"]?.policy.hedgeAfter == .milliseconds(300))
        #expect(config.workloads["w"]?.policy.failOverOn == [.timeout, .clientError])
    }

    @Test("worker.http_listen, log_format and log_level: read when right, and a wrong one names its key path")
    func operationsKeys() throws {
        func yaml(_ worker: String) -> String {
            Fixtures.minimalYAML + "\nworker: \(worker)\n"
        }
        let config = try UnderstudyConfig.parse(
            yaml: yaml("{http_listen: \"0.0.0.0:9464\", log_format: json, log_level: debug}"), environment: [:])
        #expect(config.worker.httpListen == WorkerConfig.HostPort(host: "0.0.0.0", port: 9_464))
        #expect(config.worker.logFormat == .json && config.worker.logLevel == "debug")
        let v6 = try UnderstudyConfig.parse(yaml: yaml("{http_listen: \"[::1]:0\"}"), environment: [:])
        #expect(v6.worker.httpListen == WorkerConfig.HostPort(host: "::1", port: 0))
        let cases: [(String, String)] = [
            (
                "{http_listen: \"9464\"}",
                "worker.http_listen: expected host:port (for example 0.0.0.0:9464), got \"9464\""
            ),
            (
                "{http_listen: \"0.0.0.0:70000\"}",
                "worker.http_listen: expected host:port with a port from 0 to 65535 (for example 0.0.0.0:9464), got \"0.0.0.0:70000\""
            ),
            ("{log_format: yaml}", "worker.log_format: expected \"text\" or \"json\", got \"yaml\""),
        ]
        for (worker, message) in cases {
            #expect(error(yaml(worker), environment: [:])?.message == message)
        }
        #expect(error(yaml("{log_level: loud}"), environment: [:])?.message.hasPrefix("worker.log_level: expected") == true)
    }

    @Test("worker.tracing: endpoint, sample_ratio and protocol read when right; a wrong one names its key path")
    func tracingKeys() throws {
        func yaml(_ tracing: String) -> String {
            Fixtures.minimalYAML + "\nworker: {tracing: \(tracing)}\n"
        }
        let config = try UnderstudyConfig.parse(
            yaml: yaml("{endpoint: \"http://otel:4318/v1/traces\", sample_ratio: 0.01, protocol: http/json}"), environment: [:])
        #expect(config.worker.tracing?.endpoint.absoluteString == "http://otel:4318/v1/traces")
        #expect(config.worker.tracing?.sampleRatio == 0.01)
        #expect(config.worker.tracing?.wireProtocol == .httpJSON)
        let defaults = try UnderstudyConfig.parse(yaml: yaml("{endpoint: \"https://otel/v1/traces\"}"), environment: [:])
        #expect(defaults.worker.tracing?.sampleRatio == 1 && defaults.worker.tracing?.wireProtocol == .httpProtobuf)
        let cases: [(String, String)] = [
            ("{sample_ratio: 0.5}", "worker.tracing.endpoint: required field is missing"),
            ("{endpoint: \"otel:4318\"}", "worker.tracing.endpoint: expected an http:// or https:// URL, got \"otel:4318\""),
            ("{endpoint: \"http://otel\", sample_ratio: 2}", "worker.tracing.sample_ratio: expected a number from 0.0 to 1.0, got 2"),
            ("{endpoint: \"http://otel\", protocol: grpc}", "worker.tracing.protocol: expected \"http/protobuf\" or \"http/json\", got \"grpc\""),
        ]
        for (tracing, message) in cases {
            #expect(error(yaml(tracing), environment: [:])?.message == message)
        }
    }

    @Test("workloads.NAME.shadow: routes default to the backups, and bad values name their key path")
    func shadow() throws {
        func yaml(_ shadow: String, routes: String = "[{provider: a, model: m}, {provider: b, model: m}]") -> String {
            """
            kafka:
              bootstrap_servers: localhost:9092
              topics: {jobs: j, results: r, telemetry: t, dead_letter: d}
            providers:
              a: {type: extractive}
              b: {type: extractive}
              c: {type: extractive}
            workloads:
              w:
                routes: \(routes)
                shadow: \(shadow)
            """
        }
        let defaults = try #require(try UnderstudyConfig.parse(yaml: yaml("{sample_rate: 0.02}"), environment: [:]).workloads["w"]?.shadow)
        #expect(defaults == ShadowConfig(sampleRate: 0.02, maxInFlight: 16, routes: [RouteKey(provider: "b", model: "m")]))
        let listed = try #require(
            try UnderstudyConfig.parse(
                yaml: yaml("{sample_rate: 1, max_in_flight: 4, routes: [{provider: c, model: x}]}"), environment: [:]
            ).workloads["w"]?.shadow)
        #expect(listed == ShadowConfig(sampleRate: 1, maxInFlight: 4, routes: [RouteKey(provider: "c", model: "x")]))

        let cases: [(String, String, String)] = [
            ("{sample_rate: 1.5}", "[{provider: a, model: m}]", "workloads.w.shadow.sample_rate: expected a number from 0.0 to 1.0, got 1.5"),
            ("{max_in_flight: 4}", "[{provider: a, model: m}]", "workloads.w.shadow.sample_rate: required field is missing"),
            (
                "{sample_rate: 0.1, max_in_flight: 0}", "[{provider: a, model: m}]",
                "workloads.w.shadow.max_in_flight: expected an integer from 1 to 1024, got 0"
            ),
            (
                "{sample_rate: 0.1}", "[{provider: a, model: m}]",
                "workloads.w.shadow.routes: the workload has no backup to shadow; list the routes to shadow here"
            ),
            (
                "{sample_rate: 0.1, routes: [{provider: z, model: m}]}", "[{provider: a, model: m}]",
                "workloads.w.shadow.routes[0].provider: \"z\" is not a provider defined under providers"
            ),
            (
                "{sample_rate: 0.1, rate: 2}", "[{provider: a, model: m}]",
                "workloads.w.shadow.rate: unknown key (expected one of: max_in_flight, routes, sample_rate)"
            ),
        ]
        let judge = """
            kafka:
              bootstrap_servers: localhost:9092
              topics: {jobs: j, results: r, telemetry: t, dead_letter: d}
            providers:
              a: {type: extractive}
            workloads:
              w:
                routes: [{provider: a, model: m}]
                validation: {judge: {provider: nope, model: j}}
            """
        #expect(
            error(judge, environment: [:])?.message == "workloads.w.validation.judge.provider: \"nope\" is not a provider defined under providers")
        let judged = try UnderstudyConfig.parse(yaml: judge.replacingOccurrences(of: "provider: nope", with: "provider: a"), environment: [:])
        #expect(judged.workloads["w"]?.judge == RouteKey(provider: "a", model: "j"))
        let seventeen = (0..<17).map { "{provider: c, model: m\($0)}" }.joined(separator: ", ")
        #expect(
            error(yaml("{sample_rate: 0.1, routes: [\(seventeen)]}"), environment: [:])?.message
                == "workloads.w.shadow.routes: expected at most 16 routes, got 17")
        for (shadow, routes, message) in cases {
            #expect(error(yaml(shadow, routes: routes), environment: [:])?.message == message)
        }
    }

    @Test("${VAR} and ${VAR:-default} are substituted in string values; plain scalars are typed afterwards")
    func environmentSubstitution() throws {
        let yaml = """
            kafka:
              bootstrap_servers: ${KAFKA_HOST}:${KAFKA_PORT:-9092}
              group_id: "${GROUP}"
              topics: {jobs: "${PREFIX}.jobs", results: r, telemetry: t, dead_letter: d}
            worker:
              max_in_flight: ${IN_FLIGHT}
            providers:
              local: {type: extractive}
            workloads:
              w: {routes: [{provider: local, model: m}]}
            """
        let config = try UnderstudyConfig.parse(
            yaml: yaml,
            environment: ["KAFKA_HOST": "kafka-1", "GROUP": "g-7", "PREFIX": "prod", "IN_FLIGHT": "512"]
        )
        #expect(config.kafka.bootstrapServers == "kafka-1:9092")
        #expect(config.kafka.groupID == "g-7")
        #expect(config.kafka.topics.jobs == "prod.jobs")
        #expect(config.worker.maxInFlight == 512)

        let missing = error(yaml, environment: ["KAFKA_HOST": "k", "PREFIX": "p", "IN_FLIGHT": "1"])
        #expect(missing?.code == .missingEnvironmentVariable)
        #expect(missing?.message == "kafka.group_id: environment variable GROUP is not set (referenced as ${GROUP})")
    }

    static let errors: [(String, String, ConfigError.Code)] = [
        (
            Fixtures.configYAML.replacingOccurrences(of: "- {provider: claude-azure,", with: "- {provider: claude-azur,"),
            "workloads.support-summaries.routes[1].provider: \"claude-azur\" is not a provider defined under providers",
            .undefinedProvider
        ),
        (
            Fixtures.configYAML.replacingOccurrences(of: "claude-azure:  {type: anthropic,", with: "claude-azure:  {type: anthropix,"),
            "providers.claude-azure.type: expected one of \"anthropic\", \"openai\", \"azure-openai\", \"bedrock\", \"gemini\", \"extractive\", got \"anthropix\"",
            .invalidValue
        ),
        (
            Fixtures.configYAML.replacingOccurrences(of: "  shutdown_grace_seconds: 30", with: "  shutdown_grace_secs: 30"),
            "worker.shutdown_grace_secs: unknown key (expected one of: commit_interval_ms, http_listen, log_format, log_level, max_in_flight, max_message_bytes, revoke_grace_ms, shutdown_grace_seconds, tracing)",
            .unknownKey
        ),
        (
            Fixtures.configYAML.replacingOccurrences(of: "policy: {max_attempts: 4,", with: "policy: {retries: 4,"),
            "workloads.support-summaries.policy.retries: unknown key (expected one of: attempt_timeout_ms, backoff_base_ms, backoff_cap_ms, deadline_ms, fail_over_on, hedge_after_ms, max_attempts, max_retry_wait_ms)",
            .unknownKey
        ),
        (
            Fixtures.configYAML.replacingOccurrences(of: "api_key_env: AZURE_AI_API_KEY", with: "api_key_env: AZURE_AI_API_KEY, api_key: sk-123"),
            "providers.claude-azure.api_key: unknown key (expected one of: api_key_env, api_key_header, api_version, auth, base_url, body_timeout_ms, max_concurrency, max_response_bytes, native_structured_output, region, slow_after_ms, token_env, token_file, type)",
            .unknownKey
        ),
        (
            Fixtures.configYAML.replacingOccurrences(of: "  bootstrap_servers: \"127.0.0.1:9092\"\n", with: ""),
            "kafka.bootstrap_servers: required field is missing",
            .missingKey
        ),
        (
            Fixtures.configYAML.replacingOccurrences(
                of: "  topics: {jobs: llm.jobs, results: llm.results, telemetry: llm.telemetry, dead_letter: llm.jobs.dead-letter}\n", with: ""),
            "kafka.topics: required field is missing",
            .missingKey
        ),
        (
            Fixtures.configYAML.replacingOccurrences(of: ", dead_letter: llm.jobs.dead-letter}", with: "}"),
            "kafka.topics.dead_letter: required field is missing",
            .missingKey
        ),
        (
            Fixtures.configYAML.replacingOccurrences(of: "delivery: at_least_once", with: "delivery: at_most_once"),
            "kafka.delivery: expected \"at_least_once\" or \"exactly_once\", got \"at_most_once\"",
            .invalidValue
        ),
        (
            Fixtures.configYAML.replacingOccurrences(of: "max_in_flight: 256", with: "max_in_flight: lots"),
            "worker.max_in_flight: expected an integer from 1 to 1000000, got \"lots\"",
            .invalidValue
        ),
        (
            Fixtures.configYAML.replacingOccurrences(of: "base_url: \"https://api.anthropic.com\"", with: "base_url: \"ftp://api.anthropic.com\""),
            "providers.claude-direct.base_url: expected an http:// or https:// URL, got \"ftp://api.anthropic.com\"",
            .invalidValue
        ),
        (
            Fixtures.configYAML.replacingOccurrences(of: "fail_over_on: [timeout,", with: "fail_over_on: [ok,"),
            "workloads.support-summaries.policy.fail_over_on[0]: expected one of \"timeout\", \"connection\", \"rate_limited\", \"overloaded\", \"server_error\", \"client_error\", \"auth_error\", \"invalid_output\", got \"ok\"",
            .invalidValue
        ),
        (
            Fixtures.configYAML + "\nengine: {breaker_cooldown_ms: 9000, breaker_max_cooldown_ms: 1000}\n",
            "engine.breaker_max_cooldown_ms: must be at least breaker_cooldown_ms (9000), got 1000",
            .invalidValue
        ),
        (
            Fixtures.configYAML + "\ntracing: {}\n",
            "tracing: unknown key (expected one of: engine, fleet, kafka, pricing, providers, worker, workloads)",
            .unknownKey
        ),
        (
            Fixtures.minimalYAML.replacingOccurrences(of: "    routes: [{provider: local, model: m}]", with: "    routes: []"),
            "workloads.w.routes: expected at least 1 item, got 0",
            .invalidValue
        ),
        (
            Fixtures.minimalYAML.replacingOccurrences(of: "local: {type: extractive}", with: "az: {type: azure-openai}"),
            "providers.az.base_url: required field is missing",
            .missingKey
        ),
        ("kafka: [", "$: not valid YAML", .invalidYAML),
    ]

    @Test("errors name the key path", arguments: errors.indices)
    func keyPathErrors(index: Int) {
        let (yaml, expected, code) = Self.errors[index]
        let failure = error(yaml)
        #expect(failure?.code == code)
        if code == .invalidYAML {
            #expect(failure?.message.hasPrefix(expected) == true, "\(failure?.message ?? "")")
        } else {
            #expect(failure?.message == expected)
        }
    }

    @Test("an unset api_key_env fails without printing any value")
    func missingKeyVariable() {
        let failure = error(Fixtures.configYAML, environment: ["ANTHROPIC_API_KEY": "sk-secret-value"])
        #expect(failure?.code == .missingEnvironmentVariable)
        #expect(failure?.message == "providers.claude-azure.api_key_env: environment variable AZURE_AI_API_KEY is not set")
        #expect(failure?.message.contains("sk-secret-value") == false)
        let empty = error(Fixtures.configYAML, environment: ["ANTHROPIC_API_KEY": "", "AZURE_AI_API_KEY": "x"])
        #expect(empty?.keyPath == "providers.claude-direct.api_key_env")
    }

    @Test("load(path:) reads a file, and reports an unreadable one")
    func loadFromFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-config-\(UUID().uuidString).yaml")
        try Fixtures.configYAML.write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let config = try UnderstudyConfig.load(path: url.path, environment: Fixtures.environment)
        #expect(config == (try Fixtures.config()))
        #expect(throws: ConfigError.self) { try UnderstudyConfig.load(path: url.path + ".missing", environment: [:]) }
    }
}
