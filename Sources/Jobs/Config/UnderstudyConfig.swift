import Completions
import Foundation

/// The worker's YAML config (`schemas/config.v1.json` describes it as JSON): Kafka, worker limits,
/// providers, prices, engine settings and workloads, with every default applied.
///
/// Loading substitutes `${VAR}` (and `${VAR:-default}`) from the environment in any string value,
/// rejects unknown keys everywhere, and checks cross references: every route names a defined
/// provider, every `api_key_env`/`token_env` names a set variable. Errors are ``ConfigError``s
/// naming the key path.
package struct UnderstudyConfig: Sendable, Hashable {
    package var kafka: KafkaConfig
    package var worker: WorkerConfig
    /// By name.
    package var providers: [String: ProviderConfig]
    /// Per-model prices laid over ``PriceTable/defaults`` (see ``priceTable``).
    package var pricing: [String: PriceTable.Price]
    package var engine: EngineConfig
    /// Whether any workload has a `budget` (the worker then reads the deferred topic too).
    package var hasBudgets: Bool { workloads.values.contains { $0.budget != nil } }
    /// Whether any workload sends jobs to provider batches.
    package var hasBatches: Bool { workloads.values.contains { $0.batch?.enabled == true } }

    /// The topics jobs are read from: `kafka.topics.jobs`, then each workload's own `jobs_topic`.
    package var jobTopics: [String] {
        [kafka.topics.jobs] + workloads.values.compactMap(\.jobsTopic).sorted()
    }

    /// Where a job of `workload` is enqueued: its own `jobs_topic`, else `kafka.topics.jobs`.
    package func jobsTopic(for workload: String) -> String {
        workloads[workload]?.jobsTopic ?? kafka.topics.jobs
    }

    /// `fleet.route_health`: breaker state shared across the workers.
    package var routeHealth: RouteHealthConfig
    /// By name.
    package var workloads: [String: WorkloadConfig]

    package init(
        kafka: KafkaConfig,
        worker: WorkerConfig = WorkerConfig(),
        providers: [String: ProviderConfig],
        pricing: [String: PriceTable.Price] = [:],
        engine: EngineConfig = EngineConfig(),
        routeHealth: RouteHealthConfig = RouteHealthConfig(),
        workloads: [String: WorkloadConfig]
    ) {
        self.routeHealth = routeHealth
        self.kafka = kafka
        self.worker = worker
        self.providers = providers
        self.pricing = pricing
        self.engine = engine
        self.workloads = workloads
    }

    /// The shipped prices with this config's `pricing` laid over them.
    package var priceTable: PriceTable {
        PriceTable.defaults.merging(pricing)
    }

    /// Reads and validates the config file at `path`.
    package static func load(
        path: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigError) -> UnderstudyConfig {
        let bytes: Data
        do {
            bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigError(code: .unreadableFile, keyPath: "$", detail: "cannot read \(path): \(error.localizedDescription)")
        }
        return try parse(yaml: bytes, environment: environment)
    }

    /// The largest config file read: a config is a few KiB; this bounds the YAML parser's work.
    package static let maxConfigBytes = 4 << 20

    /// Validates a config given as the bytes of a YAML file: they must be UTF-8 (`invalid_yaml`
    /// naming the byte offset otherwise) and at most ``maxConfigBytes``.
    package static func parse(
        yaml bytes: some Collection<UInt8>,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigError) -> UnderstudyConfig {
        guard bytes.count <= maxConfigBytes else {
            throw ConfigError(code: .invalidYAML, keyPath: "$", detail: "\(bytes.count) bytes, more than \(maxConfigBytes)")
        }
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        var offset = 0
        var text = String.UnicodeScalarView()
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                text.append(scalar)
                offset += UTF8.width(scalar)
            case .emptyInput:
                break loop
            case .error:
                throw ConfigError(code: .invalidYAML, keyPath: "$", detail: "not UTF-8 (at byte \(offset))")
            }
        }
        return try parse(yaml: String(text), environment: environment)
    }

    /// Validates a config given as YAML text.
    package static func parse(
        yaml: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigError) -> UnderstudyConfig {
        let document = try YAMLDocument.parse(yaml, environment: environment)
        return try parse(document: document, environment: environment)
    }

    /// Validates a config given as a JSON value (the YAML's data model, after substitution).
    package static func parse(
        document: JSONValue,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigError) -> UnderstudyConfig {
        do {
            return try read(document, environment: environment)
        } catch {
            var configError = ConfigError(error)
            if error.detail.hasPrefix("environment variable") { configError.code = .missingEnvironmentVariable }
            if error.detail.hasSuffix("is not a provider defined under providers") { configError.code = .undefinedProvider }
            throw configError
        }
    }

    private static func read(_ value: JSONValue, environment: [String: String]) throws(FieldError) -> UnderstudyConfig {
        let root = try ObjectReader(value, at: .root)
        try root.rejectUnknown(["kafka", "worker", "providers", "pricing", "engine", "fleet", "workloads"])
        let kafka = try root.required("kafka", KafkaConfig.read)
        let worker = try root.optional("worker", WorkerConfig.read) ?? WorkerConfig()
        let providers = try root.required(
            "providers",
            Read.map(minProperties: 1) { (name, value, path) throws(FieldError) in
                try ProviderConfig.read(name: name, value, path, environment: environment)
            }
        )
        let pricing = try root.optional("pricing", Read.map(readPrice)) ?? [:]
        let engine = try root.optional("engine", EngineConfig.read) ?? EngineConfig()
        let routeHealth = try root.optional("fleet", readFleet) ?? RouteHealthConfig()
        let workloads = try root.required(
            "workloads",
            Read.map(minProperties: 1) { (name, value, path) throws(FieldError) in
                try WorkloadConfig.read(name: name, value, path, providers: providers)
            }
        )
        // A workload's own jobs topic is its own: not the shared one, not another workload's, not
        // one of the contract's other topics.
        var owners: [String: String] = [:]
        let reserved = [kafka.topics.jobs, kafka.topics.results, kafka.topics.telemetry, kafka.topics.deadLetter, kafka.deferredTopic]
        for name in workloads.keys.sorted() {
            guard let topic = workloads[name]?.jobsTopic else { continue }
            let path = FieldPath.root.appending("workloads").appending(name).appending("jobs_topic")
            if reserved.contains(topic) {
                throw .invalid(path, "\"\(topic)\" is one of the kafka.topics; a workload's own jobs topic must be a topic of its own")
            }
            if let other = owners[topic] { throw .invalid(path, "\"\(topic)\" is already workload \(other)'s jobs_topic") }
            owners[topic] = name
        }
        return UnderstudyConfig(
            kafka: kafka,
            worker: worker,
            providers: providers,
            pricing: pricing,
            engine: engine,
            routeHealth: routeHealth,
            workloads: workloads
        )
    }

    /// `fleet`: what the workers share through Kafka.
    private static func readFleet(_ value: JSONValue, _ path: FieldPath) throws(FieldError) -> RouteHealthConfig {
        let object = try ObjectReader(value, at: path)
        try object.rejectUnknown(["route_health"])
        return try object.optional("route_health", RouteHealthConfig.read) ?? RouteHealthConfig()
    }

    private static func readPrice(_ model: String, _ value: JSONValue, _ path: FieldPath) throws(FieldError) -> PriceTable.Price {
        let object = try ObjectReader(value, at: path)
        try object.rejectUnknown(["input_per_mtok", "output_per_mtok", "cache_read_per_mtok", "cache_write_per_mtok", "batch_share"])
        return PriceTable.Price(
            inputPerMillionTokens: try object.required("input_per_mtok", Read.number(in: 0...1_000_000)),
            outputPerMillionTokens: try object.required("output_per_mtok", Read.number(in: 0...1_000_000)),
            cacheReadPerMillionTokens: try object.optional("cache_read_per_mtok", Read.number(in: 0...1_000_000)),
            cacheWritePerMillionTokens: try object.optional("cache_write_per_mtok", Read.number(in: 0...1_000_000)),
            batchShare: try object.optional("batch_share", Read.number(in: 0...1))
        )
    }
}
