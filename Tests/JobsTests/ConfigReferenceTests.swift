import Comparison
import Completions
import Failover
import Foundation
import Testing

@testable import Jobs

/// The README's config reference and `schemas/config.v1.json` against the defaults the loader
/// applies (which come from one place each: ``EngineDefaults``, ``PolicyDefaults``,
/// ``JobLimits`` and each section's type).
@Suite("Config reference matches the defaults in code")
struct ConfigReferenceTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Every documented key with the default the loader applies to a config that leaves it out
    /// (`nil`: no default).
    static func codeDefaults() throws -> [String: JSONValue?] {
        let config = try UnderstudyConfig.parse(yaml: Fixtures.minimalYAML, environment: [:])
        let provider = try #require(config.providers["local"])
        let workload = try #require(config.workloads["w"])
        let batch = BatchConfig(routes: [])
        let policy = workload.policy
        let limits = workload.limits
        let validation = workload.validation
        let engine = config.engine
        func int(_ value: Int) -> JSONValue { .number(Double(value)) }
        func ms(_ value: Duration) -> JSONValue { .number(Double(value.milliseconds)) }
        return [
            "kafka.bootstrap_servers": nil,
            "kafka.group_id": .string(config.kafka.groupID),
            "kafka.topics.jobs": nil,
            "kafka.topics.results": nil,
            "kafka.topics.telemetry": nil,
            "kafka.topics.dead_letter": nil,
            "kafka.topics.route_health": nil,
            "kafka.topics.spend": nil,
            "kafka.topics.deferred": nil,
            "kafka.topics.batches": nil,
            "kafka.delivery": .string(config.kafka.delivery.rawValue),
            "kafka.properties": .object(config.kafka.properties.mapValues(JSONValue.string)),
            "kafka.create_topics": .bool(config.kafka.createTopics),
            "kafka.topic_partitions": int(config.kafka.topicPartitions),
            "kafka.auto_offset_reset": .string(config.kafka.autoOffsetReset.rawValue),
            "worker.max_in_flight": int(config.worker.maxInFlight),
            "worker.max_message_bytes": int(config.worker.maxMessageBytes),
            "worker.shutdown_grace_seconds": int(config.worker.shutdownGraceSeconds),
            "worker.commit_interval_ms": int(config.worker.commitIntervalMs),
            "worker.revoke_grace_ms": int(config.worker.revokeGraceMs),
            "worker.http_listen": nil,
            "worker.log_format": .string(config.worker.logFormat.rawValue),
            "worker.log_level": .string(config.worker.logLevel),
            "worker.tracing": nil,
            "worker.tracing.endpoint": nil,
            "worker.tracing.sample_ratio": .number(TracingConfig(endpoint: try #require(URL(string: "http://collector"))).sampleRatio),
            "worker.tracing.protocol": .string(TracingConfig.WireProtocol.httpProtobuf.rawValue),
            "providers.NAME.type": nil,
            "providers.NAME.base_url": provider.baseURL.map { .string($0.absoluteString) },
            "providers.NAME.api_key_env": provider.apiKeyEnv.map(JSONValue.string),
            "providers.NAME.auth": .string(provider.auth.rawValue),
            "providers.NAME.api_key_header": provider.apiKeyHeader.map(JSONValue.string),
            "providers.NAME.token_env": provider.tokenEnv.map(JSONValue.string),
            "providers.NAME.token_file": provider.tokenFile.map(JSONValue.string),
            "providers.NAME.api_version": provider.apiVersion.map(JSONValue.string),
            "providers.NAME.region": provider.region.map(JSONValue.string),
            "providers.NAME.native_structured_output": .bool(provider.nativeStructuredOutput),
            "providers.NAME.max_concurrency": provider.maxConcurrency.map(int),
            "providers.NAME.slow_after_ms": provider.slowAfterMs.map(int),
            "providers.NAME.max_response_bytes": int(provider.maxResponseBytes),
            "providers.NAME.body_timeout_ms": int(provider.bodyTimeoutMs),
            "pricing.NAME.input_per_mtok": nil,
            "pricing.NAME.output_per_mtok": nil,
            "pricing.NAME.cache_read_per_mtok": nil,
            "pricing.NAME.cache_write_per_mtok": nil,
            "pricing.NAME.batch_share": nil,
            "fleet.route_health.enabled": .bool(config.routeHealth.enabled),
            "fleet.route_health.heartbeat_ms": int(config.routeHealth.heartbeatMs),
            "fleet.route_health.ttl_ms": int(config.routeHealth.ttlMs),
            "fleet.route_health.probe_grace_ms": int(config.routeHealth.probeGraceMs),
            "engine.breaker_failures": int(engine.breakerFailures),
            "engine.breaker_failure_ratio": .number(engine.breakerFailureRatio),
            "engine.breaker_window_seconds": int(engine.breakerWindowSeconds),
            "engine.breaker_min_calls": int(engine.breakerMinCalls),
            "engine.breaker_cooldown_ms": int(engine.breakerCooldownMs),
            "engine.breaker_max_cooldown_ms": int(engine.breakerMaxCooldownMs),
            "engine.half_open_probes": int(engine.halfOpenProbes),
            "engine.retry_budget_ratio": .number(engine.retryBudgetRatio),
            "engine.retry_budget_floor": int(engine.retryBudgetFloor),
            "engine.hedge_budget_ratio": .number(engine.hedgeBudgetRatio),
            "engine.adaptive_concurrency": .bool(engine.adaptiveConcurrency),
            "workloads.NAME.routes": nil,
            "workloads.NAME.policy.max_attempts": int(policy.maxAttempts),
            "workloads.NAME.policy.attempt_timeout_ms": ms(policy.attemptTimeout),
            "workloads.NAME.policy.deadline_ms": ms(policy.deadline),
            "workloads.NAME.policy.hedge_after_ms": policy.hedgeAfter.map(ms),
            "workloads.NAME.policy.fail_over_on": .array(policy.failOverOn.map { .string($0.rawValue) }),
            "workloads.NAME.policy.max_retry_wait_ms": ms(policy.maxRetryWait),
            "workloads.NAME.policy.backoff_base_ms": ms(policy.backoffBase),
            "workloads.NAME.policy.backoff_cap_ms": ms(policy.backoffCap),
            "workloads.NAME.limits.max_job_id_bytes": int(limits.maxJobIDBytes),
            "workloads.NAME.limits.max_attempts": int(limits.maxAttempts),
            "workloads.NAME.limits.max_deadline_ms": int(limits.maxDeadlineMs),
            "workloads.NAME.limits.max_attempt_timeout_ms": int(limits.maxAttemptTimeoutMs),
            "workloads.NAME.validation.max_latency_p95_ratio": .number(validation.maxLatencyP95Ratio),
            "workloads.NAME.validation.max_cost_ratio": .number(validation.maxCostRatio),
            "workloads.NAME.validation.min_similarity": .number(validation.minSimilarity),
            "workloads.NAME.validation.max_error_rate": .number(validation.maxErrorRate),
            "workloads.NAME.validation.min_schema_valid": .number(validation.minSchemaValid),
            "workloads.NAME.validation.judge": nil,
            "workloads.NAME.jobs_topic": nil,
            "workloads.NAME.prompt_cache": .string(workload.promptCache.rawValue),
            "workloads.NAME.budget.usd_per_hour": nil,
            "workloads.NAME.budget.usd_per_day": nil,
            "workloads.NAME.budget.usd_per_window": nil,
            "workloads.NAME.budget.window_ms": nil,
            "workloads.NAME.shadow.sample_rate": nil,
            "workloads.NAME.shadow.max_in_flight": int(ShadowConfig.defaultMaxInFlight),
            "workloads.NAME.shadow.routes": nil,
            "workloads.NAME.batch.enabled": .bool(batch.enabled),
            "workloads.NAME.batch.routes": nil,
            "workloads.NAME.batch.min_deadline_ms": int(batch.minDeadlineMs),
            "workloads.NAME.batch.flush_after_jobs": int(batch.flushAfterJobs),
            "workloads.NAME.batch.flush_after_ms": int(batch.flushAfterMs),
            "workloads.NAME.batch.realtime_margin_ms": int(batch.realtimeMarginMs),
            "workloads.NAME.batch.poll_interval_ms": int(batch.pollIntervalMs),
        ]
    }

    /// Arrays compare as sets (`fail_over_on` is a set in code, a list in the docs).
    static func normalized(_ value: JSONValue?) -> JSONValue? {
        guard case .array(let elements)? = value else { return value }
        return .array(elements.sorted { $0.shortDescription < $1.shortDescription })
    }

    /// The rows of the README's `| key | default | meaning |` table: key → default cell.
    static func readmeRows() throws -> [(key: String, cell: String)] {
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.range(of: "## Config reference"), "README has no Config reference section")
        var rows: [(String, String)] = []
        var inTable = false
        for line in readme[section.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("## ") { break }
            if line.hasPrefix("| key | default | meaning |") {
                inTable = true
                continue
            }
            guard inTable else { continue }
            guard line.hasPrefix("|") else {
                if !rows.isEmpty { break }
                continue
            }
            if line.hasPrefix("|---") { continue }
            let cells = line.dropFirst().components(separatedBy: " | ")
            try #require(cells.count >= 3, "malformed row: \(line)")
            let key = cells[0].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            let cell = cells[1].trimmingCharacters(in: .whitespaces)
            rows.append((key, cell))
        }
        return rows
    }

    /// A default cell as a value: `—` is no default, else a JSON literal in backticks.
    static func parseCell(_ cell: String) throws -> JSONValue? {
        if cell == "—" { return nil }
        try #require(cell.hasPrefix("`") && cell.hasSuffix("`") && cell.count >= 2, "default cell not in backticks: \(cell)")
        let literal = cell.dropFirst().dropLast()
        return try JSONParser.parse(Array(literal.utf8))
    }

    @Test("every README row's default is the loader's default, and every key the code has is documented")
    func readmeMatchesCode() throws {
        let code = try Self.codeDefaults()
        let rows = try Self.readmeRows()
        #expect(rows.count > 40, "found only \(rows.count) rows")
        var seen: Set<String> = []
        for (key, cell) in rows {
            #expect(seen.insert(key).inserted, "\(key) is documented twice")
            guard let expected = code[key] else {
                Issue.record("README documents \(key), which the code (or this test's map) does not know")
                continue
            }
            let documented = try Self.parseCell(cell)
            #expect(
                Self.normalized(documented) == Self.normalized(expected),
                "\(key): README says \(cell), code applies \(expected?.shortDescription ?? "no default")")
        }
        for key in code.keys.sorted() where !seen.contains(key) {
            Issue.record("\(key) has no row in the README's config reference")
        }
    }

    /// The schema node of a documented key: `NAME` is a map's `additionalProperties`.
    static func schemaNode(_ schema: JSONValue, key: String) -> JSONValue? {
        var node: JSONValue? = schema
        for segment in key.split(separator: ".") {
            if segment == "NAME" {
                node = node?.objectValue?["additionalProperties"]
            } else {
                node = node?.objectValue?["properties"]?.objectValue?[String(segment)]
            }
        }
        return node
    }

    @Test("every default in schemas/config.v1.json is the loader's default")
    func schemaMatchesCode() throws {
        let data = try Data(contentsOf: Self.root.appendingPathComponent("schemas/config.v1.json"))
        let schema = try JSONParser.parse(Array(data))
        for (key, expected) in try Self.codeDefaults().sorted(by: { $0.key < $1.key }) {
            let node = try #require(Self.schemaNode(schema, key: key), "\(key) is not in schemas/config.v1.json")
            let documented = node.objectValue?["default"]
            #expect(
                Self.normalized(documented) == Self.normalized(expected),
                "\(key): schema default \(documented?.shortDescription ?? "none"), code \(expected?.shortDescription ?? "none")")
        }
    }

    @Test("the engine's defaults are EngineDefaults, the policy's PolicyDefaults")
    func singleSource() {
        let engine = EngineConfig()
        #expect(engine.breakerCooldownMs == EngineDefaults.breakerCooldownMs)
        #expect(engine.breakerMaxCooldownMs == EngineDefaults.breakerMaxCooldownMs)
        #expect(engine.retryBudgetFloor == EngineDefaults.retryBudgetFloorPerSecond)
        #expect(FailoverPolicy.defaults.deadline == .milliseconds(PolicyDefaults.deadlineMs))
        #expect(FailoverPolicy.defaults.failOverOn == PolicyDefaults.failOverOn)
    }
}
