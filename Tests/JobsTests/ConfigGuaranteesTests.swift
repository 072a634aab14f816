import Completions
import Foundation
import Testing

@testable import Jobs

@Suite("Config cannot void the guarantees; provider auth and token files")
struct ConfigGuaranteesTests {
    private func parse(_ yaml: String, environment: [String: String] = [:]) throws(ConfigError) -> UnderstudyConfig {
        try UnderstudyConfig.parse(yaml: yaml, environment: environment)
    }

    private func error(_ yaml: String, environment: [String: String] = [:]) -> ConfigError? {
        do {
            _ = try parse(yaml, environment: environment)
            Issue.record("expected a config error")
            return nil
        } catch {
            return error
        }
    }

    private func withProperties(_ properties: String) -> String {
        Fixtures.minimalYAML.replacingOccurrences(
            of: "  topics: {jobs: j, results: r, telemetry: t, dead_letter: d}",
            with: "  topics: {jobs: j, results: r, telemetry: t, dead_letter: d}\n  properties: {\(properties)}"
        )
    }

    static let reserved: [(String, String)] = [
        ("acks: 1", "kafka.properties.acks"),
        ("enable.idempotence: false", "kafka.properties.enable.idempotence"),
        ("isolation.level: read_uncommitted", "kafka.properties.isolation.level"),
        ("enable.auto.commit: true", "kafka.properties.enable.auto.commit"),
        ("enable.auto.offset.store: true", "kafka.properties.enable.auto.offset.store"),
        ("transactional.id: mine", "kafka.properties.transactional.id"),
        ("group.id: other", "kafka.properties.group.id"),
        ("bootstrap.servers: \"x:9092\"", "kafka.properties.bootstrap.servers"),
        ("auto.offset.reset: latest", "kafka.properties.auto.offset.reset"),
        ("message.max.bytes: 100", "kafka.properties.message.max.bytes"),
        // librdkafka's aliases and its `topic.` prefix reach the same settings.
        ("request.required.acks: 0", "kafka.properties.request.required.acks"),
        ("topic.acks: 1", "kafka.properties.topic.acks"),
        ("auto.commit.enable: true", "kafka.properties.auto.commit.enable"),
        ("metadata.broker.list: \"x:9092\"", "kafka.properties.metadata.broker.list"),
    ]

    @Test("kafka.properties may not set what the worker sets itself", arguments: reserved.indices)
    func reservedProperties(index: Int) {
        let (property, keyPath) = Self.reserved[index]
        let failure = error(withProperties(property))
        #expect(failure?.code == .invalidValue)
        #expect(failure?.keyPath == keyPath)
        #expect(failure?.detail.hasPrefix("may not be set") == true, "\(failure?.message ?? "")")
    }

    @Test("the refusal says why")
    func refusalMessage() {
        #expect(
            error(withProperties("acks: 1"))?.message
                == "kafka.properties.acks: may not be set: the worker's producers use acks=all (with idempotence) so that an acknowledged result is replicated"
        )
        #expect(
            error(withProperties("request.required.acks: 1"))?.message.hasPrefix(
                "kafka.properties.request.required.acks: may not be set (librdkafka's acks): "
            ) == true
        )
    }

    @Test("the timeouts the worker reads itself must be whole milliseconds; unset, they take the documented defaults")
    func numericProperties() throws {
        let failure = error(withProperties("session.timeout.ms: soon"))
        #expect(failure?.code == .invalidValue)
        #expect(failure?.keyPath == "kafka.properties.session.timeout.ms")
        #expect(error(withProperties("heartbeat.interval.ms: -5"))?.keyPath == "kafka.properties.heartbeat.interval.ms")
        let set = try parse(withProperties("session.timeout.ms: \"6000\", heartbeat.interval.ms: 500"))
        #expect(set.kafka.sessionTimeoutMs == 6_000)
        #expect(set.kafka.heartbeatIntervalMs == 500)
        let unset = try parse(withProperties("linger.ms: 5"))
        #expect(unset.kafka.sessionTimeoutMs == KafkaConfig.defaultSessionTimeoutMs)
        #expect(unset.kafka.heartbeatIntervalMs == KafkaConfig.defaultHeartbeatIntervalMs)
    }

    @Test("a provider's response size and body time are bounded by default, configurable, and checked")
    func responseBounds() throws {
        let withProvider = { (entry: String) in
            Fixtures.minimalYAML.replacingOccurrences(of: "  local: {type: extractive}", with: "  local: {type: extractive\(entry)}")
        }
        let defaults = try #require(try parse(Fixtures.minimalYAML).providers["local"])
        #expect(defaults.maxResponseBytes == ProviderDefaults.maxResponseBytes)
        #expect(defaults.bodyTimeoutMs == ProviderDefaults.bodyTimeoutMs)
        let set = try #require(try parse(withProvider(", max_response_bytes: 65536, body_timeout_ms: 1500")).providers["local"])
        #expect(set.maxResponseBytes == 65_536)
        #expect(set.bodyTimeoutMs == 1_500)
        #expect(error(withProvider(", max_response_bytes: 10"))?.keyPath == "providers.local.max_response_bytes")
        #expect(error(withProvider(", max_response_bytes: 1e12"))?.keyPath == "providers.local.max_response_bytes")
        #expect(error(withProvider(", body_timeout_ms: 0"))?.keyPath == "providers.local.body_timeout_ms")
    }

    @Test("other properties pass through")
    func otherProperties() throws {
        let config = try parse(withProperties("security.protocol: SASL_SSL, group.instance.id: pod-1, session.timeout.ms: 45000"))
        #expect(config.kafka.properties == ["security.protocol": "SASL_SSL", "group.instance.id": "pod-1", "session.timeout.ms": "45000"])
    }

    private func withProvider(_ provider: String) -> String {
        Fixtures.minimalYAML.replacingOccurrences(of: "local: {type: extractive}", with: "local: {\(provider)}")
    }

    @Test("auth: none configures a keyless OpenAI-compatible server without a dummy variable")
    func keylessServer() throws {
        let config = try parse(withProvider("type: openai, base_url: \"http://127.0.0.1:8000\", auth: none"))
        let provider = try #require(config.providers["local"])
        #expect(provider.auth == .unauthenticated)
        #expect(provider.apiKeyEnv == nil)
    }

    static let authErrors: [(String, String)] = [
        (
            "type: openai, auth: none, api_key_env: KEY",
            "providers.local.api_key_env: auth \"none\" sends no credential; remove api_key_env or choose another auth"
        ),
        (
            "type: openai, auth: none, token_file: /t",
            "providers.local.token_file: auth \"none\" sends no credential; remove token_file or choose another auth"
        ),
        (
            "type: bedrock, region: us-east-1, auth: none",
            "providers.local.auth: type \"bedrock\" needs a credential: leave auth out for SigV4, or \"bearer\" for a Bedrock API key"
        ),
        (
            "type: openai, api_key_env: KEY, api_key_header: api-key",
            "providers.local.api_key_header: only type \"anthropic\" takes a key header; type \"openai\" has a fixed one"
        ),
        (
            "type: anthropic, auth: bearer, token_env: KEY, api_key_header: api-key",
            "providers.local.api_key_header: only auth \"api_key\" sends a key header"
        ),
        (
            "type: anthropic, api_key_env: KEY, api_key_header: authorization",
            "providers.local.api_key_header: expected \"x-api-key\" or \"api-key\", got \"authorization\""
        ),
        ("type: openai, auth: anonymous", "providers.local.auth: expected one of \"api_key\", \"bearer\", \"none\", got \"anonymous\""),
    ]

    @Test("contradictory auth settings are config errors", arguments: authErrors.indices)
    func contradictoryAuth(index: Int) {
        let (provider, message) = Self.authErrors[index]
        #expect(error(withProvider(provider), environment: ["KEY": "k"])?.message == message)
    }

    @Test("Foundry with auth: api_key chooses the api-key header")
    func foundryKeyHeader() throws {
        let config = try parse(
            withProvider("type: anthropic, base_url: \"https://r.services.ai.azure.com/anthropic\", api_key_env: KEY, api_key_header: api-key"),
            environment: ["KEY": "k"]
        )
        #expect(config.providers["local"]?.apiKeyHeader == "api-key")
        #expect(config.providers["local"]?.auth == .apiKey)
    }

    @Test("check-config's token file check: missing, a directory, empty, readable; never the content")
    func tokenFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-token-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func check(_ path: String) -> ConfigError? {
            let provider = ProviderConfig(name: "az", type: .azureOpenAI, auth: .bearer, tokenFile: path)
            do {
                try provider.checkTokenFile()
                return nil
            } catch {
                return error
            }
        }
        let missing = directory.appendingPathComponent("missing").path
        #expect(check(missing)?.message == "providers.az.token_file: \(missing) does not exist")
        #expect(check(directory.path)?.message == "providers.az.token_file: \(directory.path) is a directory, not a token file")
        let empty = directory.appendingPathComponent("empty")
        try Data().write(to: empty)
        #expect(check(empty.path)?.message == "providers.az.token_file: \(empty.path) is empty")
        let token = directory.appendingPathComponent("token")
        let secret = "eyJ-secret-token-content"
        try Data(secret.utf8).write(to: token)
        #expect(check(token.path) == nil)
        for failure in [check(missing), check(empty.path)].compactMap({ $0 }) {
            #expect(!failure.message.contains(secret))
        }
        #expect(throws: Never.self) { try ProviderConfig(name: "x", type: .extractive).checkTokenFile() }
    }

    @Test("a config that is not UTF-8 is invalid_yaml naming the byte; an over-large one is refused")
    func bytes() {
        var bytes = Array(Fixtures.minimalYAML.utf8)
        bytes.insert(0xFF, at: 10)
        do {
            _ = try UnderstudyConfig.parse(yaml: bytes, environment: [:])
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidYAML)
            #expect(error.message == "$: not UTF-8 (at byte 10)")
        }
        do {
            _ = try UnderstudyConfig.parse(yaml: Array(repeating: UInt8(ascii: "#"), count: UnderstudyConfig.maxConfigBytes + 1), environment: [:])
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidYAML)
        }
    }
}
