import Foundation
import Jobs
import Kafka
import Logging

/// The fleet's spend on budgeted workloads, shared through the compacted spend topic
/// (`kafka.topics.spend`, keyed `workload/worker`): this worker's spend and reservations go out
/// within ``publishInterval`` of a change and at least every ``heartbeat``; the other workers'
/// come back into the ``BudgetGate``'s ledger.
///
/// Guarantees: it talks through a ``FleetChannel`` (clients of its own), so the job path never
/// waits on it; the worker takes no job of a budgeted workload before the start-up read is
/// done (or 10 s passed), so a restarted fleet does not spend a window's budget twice.
final class SpendExchange: Sendable {
    static let publishInterval = Duration.milliseconds(100)
    static let heartbeat = Duration.seconds(1)

    private let gate: BudgetGate
    private let channel: FleetChannel

    init(config: UnderstudyConfig, gate: BudgetGate, logger: Logger) {
        self.gate = gate
        channel = FleetChannel(topic: config.kafka.spendTopic, purpose: "spend", settings: WorkerKafkaSettings(config: config), logger: logger)
    }

    var caughtUp: Bool { channel.caughtUp }

    func waitUntilCaughtUp(timeout: Duration) async { await channel.waitUntilCaughtUp(timeout: timeout) }

    /// Reads and publishes until cancelled.
    func run() async {
        await channel.run(
            receive: { batch in
                for message in batch { if let word = SpendMessage.read(message.value) { self.gate.add(word) } }
            },
            publish: { producer in await self.publishLoop(producer) })
    }

    private func publishLoop(_ producer: KafkaProducer) async {
        var lastHeartbeat = ContinuousClock.now
        while !Task.isCancelled {
            let force = ContinuousClock.now - lastHeartbeat >= Self.heartbeat
            if force { lastHeartbeat = ContinuousClock.now }
            let nowMs = Worker.nowMs()
            let records = gate.messages(nowMs: nowMs, force: force).compactMap { message -> KafkaRecord? in
                guard let bytes = try? WireJSON.encodeBytes(message) else { return nil }
                return KafkaRecord(topic: channel.topic, key: Array(message.key.utf8), value: bytes)
            }
            await channel.send(records, with: producer)
            try? await Task.sleep(for: Self.publishInterval)
        }
    }
}
