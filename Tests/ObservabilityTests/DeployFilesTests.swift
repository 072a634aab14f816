import Foundation
import Jobs
import Testing
import Worker
import Yams

/// `deploy/` cannot be applied here (no Docker engine, no cluster): every file is parsed, the
/// Kubernetes objects are checked for what the worker relies on, and every metric a dashboard
/// panel or an alert names must be one the worker exports.
@Suite("deploy/ files")
struct DeployFilesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let deploy = root.appendingPathComponent("deploy")

    static func text(_ path: String) throws -> String {
        try String(contentsOf: deploy.appendingPathComponent(path), encoding: .utf8)
    }

    /// Every YAML document of `path`, as dictionaries.
    static func documents(_ path: String) throws -> [[String: Any]] {
        try Yams.load_all(yaml: try text(path)).compactMap { $0 as? [String: Any] }
    }

    static func files(withExtension suffixes: [String]) -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: deploy.path)
        var found: [String] = []
        while let path = enumerator?.nextObject() as? String {
            if suffixes.contains(where: { path.hasSuffix($0) }) { found.append(path) }
        }
        return found.sorted()
    }

    /// The base-named metrics (`understudy_...`, histogram suffixes removed) in `text`.
    static func metricNames(in text: String) -> Set<String> {
        var names: Set<String> = []
        var rest = text[...]
        while let start = rest.range(of: "understudy_") {
            let tail = rest[start.lowerBound...]
            let name = String(tail.prefix { $0.isLetter || $0.isNumber || $0 == "_" })
            names.insert(Self.baseName(name))
            rest = rest[start.upperBound...]
        }
        return names
    }

    static func baseName(_ name: String) -> String {
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if WorkerMetrics.Name.all.contains(base) { return base }
        }
        return name
    }

    @Test("every YAML and JSON file under deploy/ parses")
    func everyFileParses() throws {
        let yaml = Self.files(withExtension: [".yaml", ".yml"])
        #expect(yaml.count >= 9, "\(yaml)")
        for path in yaml {
            #expect(!(try Self.documents(path)).isEmpty, "\(path) has no YAML document")
        }
        let json = Self.files(withExtension: [".json"])
        #expect(!json.isEmpty)
        for path in json {
            let data = try Data(contentsOf: Self.deploy.appendingPathComponent(path))
            #expect((try? JSONSerialization.jsonObject(with: data)) is [String: Any], "\(path) is not a JSON object")
        }
    }

    @Test("the Kubernetes base: every object is well-formed, kustomize lists them all, and the worker's config loads")
    func kubernetesBase() throws {
        let kustomization = try #require(try Self.documents("kubernetes/base/kustomization.yaml").first)
        let resources = kustomization["resources"] as? [String] ?? []
        let present = Self.files(withExtension: [".yaml"]).filter { $0.hasPrefix("kubernetes/base/") && !$0.hasSuffix("kustomization.yaml") }
        #expect(Set(resources.map { "kubernetes/base/" + $0 }) == Set(present))
        var objects: [String: [String: Any]] = [:]
        for resource in resources {
            for object in try Self.documents("kubernetes/base/" + resource) {
                let kind = object["kind"] as? String ?? ""
                #expect(object["apiVersion"] is String && !kind.isEmpty, "\(resource)")
                #expect((object["metadata"] as? [String: Any])?["name"] is String, "\(resource) has no metadata.name")
                objects[kind] = object
            }
        }
        #expect(
            Set(objects.keys).isSuperset(of: [
                "ConfigMap", "StatefulSet", "Service", "PodDisruptionBudget", "ScaledObject", "ServiceMonitor", "PrometheusRule",
            ]))

        // The config in the ConfigMap loads (secrets and the pod name come from the environment).
        let data = try #require((objects["ConfigMap"]?["data"] as? [String: Any])?["understudy.yaml"] as? String)
        let config = try UnderstudyConfig.parse(
            yaml: data, environment: ["KAFKA_SASL_PASSWORD": "x", "POD_NAME": "understudy-0", "ANTHROPIC_API_KEY": "k", "AZURE_AI_API_KEY": "k"])
        #expect(config.kafka.properties["group.instance.id"] == "understudy-0", "static membership from the pod name")
        let listen = try #require(config.worker.httpListen)

        let pod = try #require(((objects["StatefulSet"]?["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any])
        let grace = pod["terminationGracePeriodSeconds"] as? Int ?? 0
        #expect(grace > config.worker.shutdownGraceSeconds, "the pod's grace outlasts the worker's")
        let container = try #require((pod["containers"] as? [[String: Any]])?.first)
        let ports = container["ports"] as? [[String: Any]] ?? []
        #expect(ports.contains { $0["name"] as? String == "metrics" && $0["containerPort"] as? Int == listen.port })
        #expect((container["livenessProbe"] as? [String: Any]).flatMap { ($0["httpGet"] as? [String: Any])?["path"] as? String } == "/healthz")
        #expect((container["readinessProbe"] as? [String: Any]).flatMap { ($0["httpGet"] as? [String: Any])?["path"] as? String } == "/readyz")
        let env = (container["env"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(env.contains("POD_NAME"))

        let scaled = try #require(objects["ScaledObject"]?["spec"] as? [String: Any])
        let maxReplicas = scaled["maxReplicaCount"] as? Int ?? .max
        #expect(maxReplicas <= config.kafka.topicPartitions, "never more workers than partitions")
        let trigger = try #require((scaled["triggers"] as? [[String: Any]])?.first?["metadata"] as? [String: Any])
        #expect(trigger["consumerGroup"] as? String == config.kafka.groupID)
        #expect(trigger["topic"] as? String == config.kafka.topics.jobs)
    }

    @Test("every metric the dashboard and the alert rules name is one the worker exports")
    func metricNamesExist() throws {
        let dashboard = try Self.text("grafana/understudy-dashboard.json")
        let rules = try Self.text("kubernetes/base/prometheusrule.yaml")
        let named = Self.metricNames(in: dashboard).union(Self.metricNames(in: rules))
        #expect(named.count >= 10, "\(named)")
        #expect(named.subtracting(WorkerMetrics.Name.all).isEmpty, "unknown metrics: \(named.subtracting(WorkerMetrics.Name.all))")
        let alerts = try #require(try Self.documents("kubernetes/base/prometheusrule.yaml").first)
        let groups = (alerts["spec"] as? [String: Any])?["groups"] as? [[String: Any]] ?? []
        let names = groups.flatMap { ($0["rules"] as? [[String: Any]] ?? []).compactMap { $0["alert"] as? String } }
        #expect(
            Set(names) == [
                "UnderstudyFailoverRateHigh", "UnderstudyAllRoutesOpen", "UnderstudyDeadLettersGrowing", "UnderstudyLagGrowing",
                "UnderstudyNoProgress", "UnderstudyWorkerNotReady",
            ])
    }

    @Test("the compose demo's worker config loads, and the image builds in two stages, runs as non-root and checks its health")
    func composeAndImage() throws {
        let config = try UnderstudyConfig.parse(
            yaml: try Self.text("compose/understudy.yaml"), environment: ["DEMO_PRIMARY_KEY": "k", "DEMO_BACKUP_KEY": "k"])
        #expect(config.worker.httpListen?.port == 9_464)
        let compose = try #require(try Self.documents("compose/docker-compose.yml").first)
        #expect(Set((compose["services"] as? [String: Any] ?? [:]).keys).isSuperset(of: ["kafka", "primary", "backup", "worker"]))
        let dockerfile = try Self.text("Dockerfile")
        #expect(dockerfile.components(separatedBy: "\nFROM ").count - 1 + (dockerfile.hasPrefix("FROM ") ? 1 : 0) >= 2)
        #expect(dockerfile.contains("HEALTHCHECK") && dockerfile.contains("/healthz"))
        #expect(dockerfile.contains("USER 10001"))
    }
}
