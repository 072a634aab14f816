import Jobs
import Kafka
import Logging

/// How a worker reaches Kafka: it checks the topics, then makes its producer and its consumer.
/// ``kafka(config:logger:)`` is the real thing; a unit test passes clients of its own, so the
/// worker's whole lifecycle (assignments, jobs, commits, fatal errors, shutdown) runs without a
/// broker, and the broker-backed end-to-end tests cover the real clients.
package struct WorkerKafka: Sendable {
    /// Called once, from any thread, when a client fails for good (fenced, a fatal idempotence error).
    package typealias FatalErrorHandler = @Sendable (KafkaError) -> Void

    /// Called once, before any client is made: the brokers answer and the topics exist.
    package var prepareTopics: @Sendable () async throws -> Void
    /// Makes the producer (transactions initialised for exactly-once); `onFatalError` is called
    /// once if it fails for good.
    package var makeProducer: @Sendable (_ onFatalError: @escaping FatalErrorHandler) async throws -> any ResultProducer
    /// Makes the consumer, subscribed to the jobs topic, with `listener` hearing its rebalances.
    package var makeConsumer:
        @Sendable (_ listener: any KafkaRebalanceListener, _ onFatalError: @escaping FatalErrorHandler) throws ->
            any JobConsumer

    package init(
        prepareTopics: @escaping @Sendable () async throws -> Void,
        makeProducer: @escaping @Sendable (_ onFatalError: @escaping FatalErrorHandler) async throws -> any ResultProducer,
        makeConsumer:
            @escaping @Sendable (_ listener: any KafkaRebalanceListener, _ onFatalError: @escaping FatalErrorHandler)
            throws -> any JobConsumer
    ) {
        self.prepareTopics = prepareTopics
        self.makeProducer = makeProducer
        self.makeConsumer = makeConsumer
    }

    /// How often librdkafka reports its statistics when something reads them.
    package static let statisticsInterval = Duration.seconds(5)

    /// The real clients, from the config's `kafka` and `worker` sections. With `statistics`, both
    /// clients report librdkafka's statistics to it every ``statisticsInterval``.
    package static func kafka(
        config: UnderstudyConfig, logger: Logger, statistics: (@Sendable (KafkaStatistics) -> Void)? = nil
    ) -> WorkerKafka {
        var configured = WorkerKafkaSettings(config: config)
        if statistics != nil { configured.statisticsInterval = statisticsInterval }
        let settings = configured
        return WorkerKafka(
            prepareTopics: { try await TopicSetup.prepare(config: config, logger: logger) },
            makeProducer: { onFatalError in
                let producer = try KafkaProducer(
                    configuration: settings.producer, logger: logger, statistics: statistics, onFatalError: onFatalError)
                guard config.kafka.delivery == .exactlyOnce else { return producer }
                do {
                    try await producer.initTransactions(timeout: .seconds(30))
                } catch {
                    await producer.close(timeout: .seconds(5))
                    throw error
                }
                return producer
            },
            makeConsumer: { listener, onFatalError in
                try KafkaConsumer(
                    configuration: settings.consumer, topics: settings.jobTopics, listener: listener, logger: logger,
                    statistics: statistics, onFatalError: onFatalError
                )
            }
        )
    }
}
