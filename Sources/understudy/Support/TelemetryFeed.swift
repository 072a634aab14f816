import Failover
import FleetView
import Foundation
import Jobs
import Kafka
import Logging
import Worker

/// The telemetry and dead-letter topics as the fleet's view reads them (`report`, `dashboard`):
/// its own consumer group, starting at `since` (ListOffsets by timestamp, where the broker can)
/// and committing nothing, and each message turned into a ``FleetWindow`` ingest.
///
/// Guarantees: a message that is not a telemetry event the contract names is counted and left
/// out, never trusted; a message is ingested once, even when a rebalance hands a partition back
/// and the consumer starts it at `since` again (what it reads again is skipped by offset); with a workload filter, only that workload's events and the breaker
/// changes of its routes are kept (dead letters name no workload and are kept).
struct TelemetryFeed {
    let consumer: KafkaConsumer
    private let telemetryTopic: String
    private let workload: String?
    private let routes: Set<RouteKey>?
    /// Messages that were not events of the contract.
    private(set) var unreadable = 0
    /// Messages read, of both topics.
    private(set) var read = 0
    /// Messages skipped because they were ingested before (a partition read again from `since`).
    private(set) var repeated = 0
    private var watermarks = ReadWatermarks()

    /// Opens the consumer. `purpose` names its group (`<group>.<purpose>.<uuid>`), so two
    /// readers never share offsets.
    init(config: UnderstudyConfig, purpose: String, since: Date, workload: WorkloadConfig?, logger: Logger) throws {
        var settings = WorkerKafkaSettings(config: config).consumer
        settings.groupID = "\(config.kafka.groupID).\(purpose).\(UUID().uuidString.lowercased())"
        settings.autoOffsetReset = "earliest"
        let milliseconds = (since.timeIntervalSince1970 * 1_000).rounded()
        settings.startTimestampMs = milliseconds.isFinite && milliseconds > 0 && milliseconds < 9e15 ? Int64(milliseconds) : nil
        consumer = try KafkaConsumer(
            configuration: settings, topics: [config.kafka.topics.telemetry, config.kafka.topics.deadLetter], logger: logger)
        telemetryTopic = config.kafka.topics.telemetry
        self.workload = workload?.name
        routes = workload.map { Set($0.routes + ($0.shadow?.routes ?? [])) }
    }

    /// Adds `message` to `window`.
    mutating func ingest(_ message: KafkaMessage, into window: inout FleetWindow) {
        read += 1
        guard watermarks.isNew(topic: message.topic, partition: message.partition, offset: message.offset) else {
            repeated += 1
            return
        }
        guard message.topic == telemetryTopic else {
            let at = message.timestampMilliseconds.map { Date(timeIntervalSince1970: Double($0) / 1_000) } ?? Date()
            window.ingestDeadLetter(errorClass: message.headers.text(DeadLetter.Header.errorClass) ?? "unknown", at: at)
            return
        }
        guard let event = TelemetryEvent.read(message.value) else {
            unreadable += 1
            return
        }
        if let workload {
            switch event {
            case .attempt(let attempt) where attempt.workload != workload: return
            case .job(let job) where job.workload != workload: return
            case .shadow(let shadow) where shadow.workload != workload: return
            case .circuit(let circuit) where routes?.contains(circuit.route) == false: return
            default: break
            }
        }
        window.ingest(event)
    }
}
