import Kafka
import Logging
import Synchronization

/// Reads the results and telemetry topics back from the cluster while the demo runs, through its
/// own consumer group from the earliest offset, into a ``DemoTally``. ``run()`` reads until
/// ``close()``.
final class DemoMonitor: Sendable {
    private let consumer: KafkaConsumer
    private let topics: (results: String, telemetry: String)
    private let state = Mutex((tally: DemoTally(), lastArrival: ContinuousClock.now))

    init(bootstrapServers: String, results: String, telemetry: String, logger: Logger) throws {
        topics = (results, telemetry)
        consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                common: KafkaConfiguration(bootstrapServers: bootstrapServers, clientID: "understudy-demo-monitor"),
                groupID: "understudy-demo-monitor", sessionTimeout: .seconds(6), heartbeatInterval: .milliseconds(500)
            ),
            topics: [results, telemetry], logger: logger
        )
    }

    /// The counts so far.
    var tally: DemoTally { state.withLock { $0.tally } }

    func run() async {
        var iterator = consumer.messages.makeAsyncIterator()
        while let batch = await iterator.nextBatch(max: 1_000) {
            state.withLock { state in
                for message in batch {
                    if message.topic == topics.results {
                        state.tally.ingestResult(message.value)
                    } else if message.topic == topics.telemetry {
                        state.tally.ingestTelemetry(message.value)
                    }
                }
                state.lastArrival = .now
            }
        }
    }

    /// Waits until nothing arrived for `idle` (late results and duplicates come in), at most `timeout`.
    func waitUntilQuiet(idle: Duration, timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if ContinuousClock.now - state.withLock({ $0.lastArrival }) >= idle { return }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Leaves the group and ends ``run()``.
    func close() async {
        await consumer.close()
    }
}
