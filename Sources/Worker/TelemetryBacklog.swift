import Failover
import Foundation
import Jobs
import Kafka
import Synchronization

/// The engine's process-wide event sink: breaker changes become `circuit` telemetry records
/// (keyed `provider/model`), queued here until the worker's commit cycle publishes them.
/// Attempt events do not come here: each job collects its own (``JobEvents``).
final class CircuitEvents: FailoverEventSink {
    private let pending = Mutex<[KafkaRecord]>([])
    let topic: String

    init(topic: String) {
        self.topic = topic
    }

    func record(_ event: FailoverEvent) {
        guard case .circuit(let circuit) = event else { return }
        let message = TelemetryEvent.circuit(
            .init(route: RouteKey(provider: circuit.provider, model: circuit.model), state: circuit.state, at: circuit.at)
        )
        guard let bytes = try? WireJSON.encodeBytes(message) else { return }
        let record = KafkaRecord(topic: topic, key: Array(message.key.utf8), value: bytes)
        pending.withLock { $0.append(record) }
    }

    /// Takes the queued records.
    func drain() -> [KafkaRecord] {
        pending.withLock { records in
            defer { records = [] }
            return records
        }
    }
}
