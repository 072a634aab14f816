import ArgumentParser
import Foundation
import Kafka
import Logging
import ServiceLifecycle
import Simulator
import UnixSignals

/// `understudy demo`: the whole pipeline in one process on an embedded default: librdkafka's
/// mock cluster, two simulated Claude routes, the worker, and an outage of the primary
/// part-way through; ends with a report, exit 0 when no job was lost.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a batch of summary jobs through an outage of the primary provider, in-process, and report."
    )

    @Option(name: .long, help: "How many summary jobs to enqueue.")
    var jobs = 300

    @Option(name: .long, help: "Seconds over which the jobs arrive and the outage plays out (default: jobs / 7.5, from 20 to 60).")
    var seconds: Double?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String?

    func validate() throws {
        guard (1...100_000).contains(jobs) else { throw ValidationError("--jobs must be between 1 and 100000") }
        if let seconds, !(5...3_600).contains(seconds) { throw ValidationError("--seconds must be between 5 and 3600") }
    }

    func run() async throws {
        let logger = CommandSupport.bootstrapLogging(level: logLevel ?? "error")
        let window = seconds ?? min(60, max(20, Double(jobs) / 7.5))

        let cluster: KafkaMockCluster
        do {
            cluster = try KafkaMockCluster(brokers: 3, logger: logger)
            for topic in DemoConfig.topicNames {
                try cluster.createTopic(topic, partitions: DemoConfig.partitions, replicationFactor: 1)
            }
        } catch {
            CommandSupport.printError("could not start the in-process Kafka cluster: \(error)")
            throw ExitCode(1)
        }
        var simulatorLogger = logger
        simulatorLogger.logLevel = max(logger.logLevel, .error)
        let primary = ProviderSimulator(
            configuration: .init(mode: SimulatorMode(latency: OutageScenario.healthyLatency), logger: simulatorLogger)
        )
        let backup = ProviderSimulator(
            configuration: .init(mode: SimulatorMode(latency: .init(minMs: 250, maxMs: 900)), logger: simulatorLogger)
        )
        let driver = DemoDriver(
            options: .init(jobs: jobs, window: .milliseconds(Int(window * 1000))),
            cluster: cluster, primary: primary, backup: backup, logger: logger
        )
        FileHandle.standardError.write(
            Data("understudy demo: \(jobs) jobs over \(Int(window)) s; Kafka \(cluster.bootstrapServers) (in-process mock)\n".utf8)
        )
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: primary), .init(service: backup),
                    .init(
                        service: driver, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        do {
            try await group.run()
        } catch {
            CommandSupport.printError("demo failed: \(error)")
            throw ExitCode(1)
        }
        withExtendedLifetime(cluster) {}
        guard let report = driver.report else {
            CommandSupport.printError("demo failed: no report")
            throw ExitCode(1)
        }
        print(report.text)
        if report.interrupted { throw ExitCode(130) }
        if !report.lost.isEmpty { throw ExitCode(1) }
    }
}
