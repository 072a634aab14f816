import Completions
import Failover
import Foundation
import Jobs
import Kafka
import Logging
import Synchronization

/// Telemetry records that belong to no job's offset: breaker changes (it is the engine's
/// process-wide event sink; they become `circuit` records keyed `provider/model`) and shadow
/// comparisons. They wait here until the worker's commit cycle publishes them (inside the
/// transaction in exactly-once mode).
///
/// Guarantees: holds at most ``maxRecords`` records; with the brokers away longer than that
/// lasts, later shadow records are dropped and counted (``dropped``), and breaker changes are
/// always kept (there are at most a few per route and cooldown).
final class TelemetryBacklog: FailoverEventSink {
    /// The most shadow records held at once.
    static let maxRecords = 10_000

    private struct Pending {
        var records: [KafkaRecord] = []
        var dropped = 0
    }

    private let pending = Mutex(Pending())
    /// Told of every breaker change (shared route health); `nil`: nobody.
    private let circuitObserver = Mutex<(@Sendable (CircuitEvent) -> Void)?>(nil)
    let topic: String
    /// Where breaker changes are counted; `nil`: not counted.
    let metrics: WorkerMetrics?
    /// Where breaker changes are logged, one line each; `nil`: not logged.
    let logger: Logger?
    /// Adapter kinds by provider name, for the log's `gen_ai.provider.name`.
    let providerKinds: [String: String]
    /// This worker's identity, named in its `circuit` events; `nil`: not named.
    let worker: String?

    init(
        topic: String, metrics: WorkerMetrics? = nil, logger: Logger? = nil, providerKinds: [String: String] = [:], worker: String? = nil
    ) {
        self.worker = worker
        self.topic = topic
        self.metrics = metrics
        self.logger = logger
        self.providerKinds = providerKinds
    }

    /// Sets who hears of every breaker change from now on.
    func observeCircuits(_ observer: @escaping @Sendable (CircuitEvent) -> Void) {
        circuitObserver.withLock { $0 = observer }
    }

    func record(_ event: FailoverEvent) {
        if case .retryRefused(let workload) = event { metrics?.retryRefused(workload: workload) }
        guard case .circuit(let circuit) = event else { return }
        circuitObserver.withLock { $0 }?(circuit)
        metrics?.breakerChanged(RouteKey(provider: circuit.provider, model: circuit.model), to: circuit.state)
        logger?.log(
            level: circuit.state == .open ? .warning : .notice, "breaker \(circuit.state.rawValue)",
            metadata: [
                GenAIAttributes.route: "\(circuit.provider)", GenAIAttributes.requestModel: "\(circuit.model)",
                GenAIAttributes.providerName: "\(GenAIAttributes.providerName(ofKind: providerKinds[circuit.provider] ?? circuit.provider))",
                "understudy.breaker.state": "\(circuit.state.rawValue)",
            ])
        let message = TelemetryEvent.circuit(
            .init(
                route: RouteKey(provider: circuit.provider, model: circuit.model), state: circuit.state, at: circuit.at,
                cooldownMs: circuit.cooldown.map { Int(clamping: $0.milliseconds) }, worker: worker)
        )
        guard let bytes = try? WireJSON.encodeBytes(message) else { return }
        let record = KafkaRecord(topic: topic, key: Array(message.key.utf8), value: bytes)
        pending.withLock { $0.records.append(record) }
    }

    /// Queues an event not attached to a job's records (shadow, budget); false when the backlog
    /// is full and it was dropped.
    @discardableResult
    func enqueue(_ event: TelemetryEvent) -> Bool {
        guard let bytes = try? WireJSON.encodeBytes(event) else { return false }
        let record = KafkaRecord(topic: topic, key: Array(event.key.utf8), value: bytes)
        return pending.withLock { pending in
            guard pending.records.count < Self.maxRecords else {
                pending.dropped += 1
                return false
            }
            pending.records.append(record)
            return true
        }
    }

    /// Records dropped because the backlog was full.
    var dropped: Int { pending.withLock { $0.dropped } }

    /// Takes the queued records.
    func drain() -> [KafkaRecord] {
        pending.withLock { pending in
            defer { pending.records = [] }
            return pending.records
        }
    }
}
