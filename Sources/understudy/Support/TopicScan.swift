import Kafka

/// Reads a topic through a consumer until it has been idle for a while: the way the commands
/// that read a topic to its end (`redrive`, `compare --from-telemetry`) know they are done. A
/// watermark read at the start would be wrong on brokers such as Tansu.
struct TopicScan {
    let consumer: KafkaConsumer
    /// How long without a new message ends the scan.
    let idle: Duration
    /// How long joining the group may take before the scan gives up.
    var joinTimeout: Duration = .seconds(60)

    /// The next batch of at most `max` messages, or `nil` once the topic has been idle for
    /// ``idle`` (counted from the first assignment, since joining takes a few seconds itself).
    func nextBatch(max: Int = 500) async -> [KafkaMessage]? {
        let joinDeadline = ContinuousClock.now + joinTimeout
        while consumer.assignment.isEmpty && ContinuousClock.now < joinDeadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        let consumer = self.consumer
        let idle = self.idle
        return await withTaskGroup(of: [KafkaMessage]?.self) { group in
            group.addTask {
                var iterator = consumer.messages.makeAsyncIterator()
                return await iterator.nextBatch(max: max).map(Array.init)
            }
            group.addTask {
                try? await Task.sleep(for: idle)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            _ = await group.next()
            return first
        }
    }
}
