import Completions
import Foundation
import FuzzTesting
import Testing

@testable import Jobs

/// Seeded fuzzing of the config loader (YAML bytes to ``UnderstudyConfig``): configs shaped
/// like real ones with random values, and line- and byte-level mutations of the README's
/// example. Every input must load or fail with a ``ConfigError`` that has a code and a key path;
/// a trap takes the test process down (the seed is printed first, see `Fuzz`).
@Suite("Config loader fuzzing")
struct ConfigFuzzTests {
    static let environment = Fixtures.environment.merging(["X": "7", "EMPTY": ""]) { $1 }

    /// YAML scalars that are awkward: numbers at the edges, YAML's own types, substitutions.
    static let scalars =
        JobsFuzzPieces.numbers + [
            "~", "null", "true", "yes", "no", "on", ".inf", "-.inf", ".nan", "0x1F", "0o17", "1_000", "2026-11-24",
            "2026-11-24T22:10:03Z", "\"quoted\"", "'single'", "${X}", "${X:-3}", "${UNSET}", "${", "${1BAD}", "${EMPTY}",
            "&anchor 5", "*anchor", "!!binary aGk=", "!!str 5", "!custom x", "|\n  block", ">\n  folded", "[]", "{}", "[1, [2, [3]]]",
            "{a: 1, a: 2}", "\"\\ud800\"", "\"é\"", "acks", "api_key", "none", "bearer", "extractive", "openai", "anthropic",
        ]

    /// Every key the config knows, so random documents reach past "unknown key".
    static let keyPaths: [String] = [
        "kafka.bootstrap_servers", "kafka.group_id", "kafka.delivery", "kafka.create_topics", "kafka.topic_partitions",
        "kafka.auto_offset_reset", "worker.max_in_flight", "worker.max_message_bytes", "worker.shutdown_grace_seconds",
        "worker.commit_interval_ms", "worker.revoke_grace_ms", "engine.breaker_failures", "engine.breaker_failure_ratio",
        "engine.breaker_window_seconds", "engine.breaker_min_calls", "engine.breaker_cooldown_ms", "engine.breaker_max_cooldown_ms",
        "engine.half_open_probes", "engine.retry_budget_ratio", "engine.retry_budget_floor", "engine.hedge_budget_ratio",
        "engine.adaptive_concurrency",
    ]

    static let providerKeys = [
        "type", "base_url", "api_key_env", "auth", "api_key_header", "token_env", "token_file", "api_version", "region",
        "native_structured_output", "max_concurrency", "slow_after_ms",
    ]
    static let policyKeys = [
        "max_attempts", "attempt_timeout_ms", "deadline_ms", "hedge_after_ms", "fail_over_on", "max_retry_wait_ms", "backoff_base_ms",
        "backoff_cap_ms",
    ]
    static let limitKeys = ["max_job_id_bytes", "max_attempts", "max_deadline_ms", "max_attempt_timeout_ms"]

    /// A config shaped like a real one, with random values at random known keys.
    static func configLike(_ random: inout FuzzRandom) -> String {
        var sections: [String: [String]] = ["kafka": [], "worker": [], "engine": []]
        for path in keyPaths where random.oneIn(4) {
            let parts = path.split(separator: ".")
            sections[String(parts[0]), default: []].append("  \(parts[1]): \(random.pick(scalars))")
        }
        if random.oneIn(3) {
            let name = random.pick(["acks", "topic.acks", "linger.ms", "request.required.acks", "security.protocol", "group.instance.id"])
            sections["kafka", default: []].append("  properties: {\(name): \(random.pick(scalars))}")
        }
        var provider = ["type: \(random.pick(["extractive", "openai", "anthropic", "azure-openai", "bedrock", "gemini", "nope"]))"]
        for key in providerKeys.dropFirst() where random.oneIn(5) {
            provider.append("\(key): \(random.pick(scalars + ["ANTHROPIC_API_KEY", "/dev/null", "\"https://h\""]))")
        }
        var policy: [String] = []
        for key in policyKeys where random.oneIn(4) { policy.append("\(key): \(random.pick(scalars))") }
        var limits: [String] = []
        for key in limitKeys where random.oneIn(4) { limits.append("\(key): \(random.pick(scalars))") }
        var lines = [
            "kafka:",
            "  bootstrap_servers: \(random.oneIn(8) ? random.pick(scalars) : "localhost:9092")",
            "  topics: {jobs: j, results: r, telemetry: t, dead_letter: d}",
        ]
        lines += sections["kafka"] ?? []
        for section in ["worker", "engine"] where !(sections[section] ?? []).isEmpty {
            lines.append("\(section):")
            lines += sections[section] ?? []
        }
        lines += [
            "providers:",
            "  p: {\(provider.joined(separator: ", "))}",
            "workloads:",
            "  w:",
            "    routes: [{provider: \(random.oneIn(8) ? "q" : "p"), model: m}]",
        ]
        if !policy.isEmpty { lines.append("    policy: {\(policy.joined(separator: ", "))}") }
        if !limits.isEmpty { lines.append("    limits: {\(limits.joined(separator: ", "))}") }
        if random.oneIn(6) { lines.insert(lines[random.below(lines.count)], at: random.below(lines.count + 1)) }  // duplicate keys
        return lines.joined(separator: "\n") + "\n"
    }

    static func input(_ random: inout FuzzRandom) -> [UInt8] {
        switch random.below(3) {
        case 0: return Array(configLike(&random).utf8)
        default:
            var bytes = Array((random.oneIn(2) ? Fixtures.configYAML : configLike(&random)).utf8)
            for _ in 0..<(1 + random.below(4)) {
                FuzzBytes.mutate(
                    &bytes, &random, tokens: [":", "\n", "  ", "- ", "{", "}", "[", "]", "#", "&a ", "*a", "!!", "${", "\"", "'"] + scalars,
                    numbers: JobsFuzzPieces.numbers)
            }
            return bytes
        }
    }

    /// Loads `bytes`; true when they are a valid config, else checks the error is classified.
    @discardableResult
    static func check(_ bytes: [UInt8], _ replay: @autoclosure () -> String) -> Bool {
        do {
            _ = try UnderstudyConfig.parse(yaml: bytes, environment: environment)
            return true
        } catch {
            #expect(!error.code.rawValue.isEmpty, "\(replay())")
            #expect(!error.keyPath.isEmpty, "\(error) has no key path: \(replay())")
            #expect(!error.detail.isEmpty, "\(replay())")
            return false
        }
    }

    @Test("random and mutated configs load or fail with a key path, never trap")
    func fuzzConfigLoader() {
        var loaded = 0
        Fuzz.run("ConfigLoader") { random, replay in
            let bytes = Self.input(&random)
            if Self.check(bytes, replay) { loaded += 1 }
        }
        FileHandle.standardError.write(Data("fuzz ConfigLoader: \(loaded) loaded\n".utf8))
        #expect(loaded > 0, "the generator never makes a valid config: it tests only the first checks")
    }

    @Test("the edge cases named in the issue, one by one")
    func edgeCases() {
        for scalar in Self.scalars {
            for key in ["worker.max_in_flight", "engine.breaker_failure_ratio", "kafka.group_id"] {
                let parts = key.split(separator: ".")
                let yaml = Fixtures.minimalYAML + "\n\(parts[0]):\n  \(parts[1]): \(scalar)\n"
                Self.check(Array(yaml.utf8), "\(key): \(scalar)")
            }
            let limits = Fixtures.minimalYAML + "\n    limits: {max_deadline_ms: \(scalar)}\n"
            Self.check(Array(limits.utf8), "limits: \(scalar)")
        }
        for depth in [100, 999, 1_000, 1_001, 10_000] {
            Self.check(Array((Fixtures.minimalYAML + "\npricing: " + String(repeating: "[", count: depth)).utf8), "flow depth \(depth)")
            Self.check(Array((Fixtures.minimalYAML + "\npricing: " + String(repeating: "{a: ", count: depth)).utf8), "flow map depth \(depth)")
            Self.check(Array((Fixtures.minimalYAML + "\npricing:\n" + String(repeating: "- ", count: depth) + "x\n").utf8), "block depth \(depth)")
        }
        for invalid in FuzzBytes.invalidUTF8 {
            Self.check(Array(Fixtures.minimalYAML.utf8) + invalid, "invalid UTF-8 \(invalid)")
        }
        Self.check(Array((Fixtures.minimalYAML + "\nkafka: {}\n").utf8), "duplicate top-level key")
        Self.check(
            Array((Fixtures.minimalYAML + "\npricing: {m: {input_per_mtok: \"" + String(repeating: "x", count: 1_000_000) + "\"}}\n").utf8),
            "huge string")
    }
}
