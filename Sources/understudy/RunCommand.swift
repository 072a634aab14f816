import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals
import Worker

/// `understudy run --config FILE`: the worker, until SIGTERM or SIGINT.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the worker: consume jobs, fail over between routes, publish results and telemetry."
    )

    @Option(name: .long, help: "The YAML config file.")
    var config: String

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String?

    func run() async throws {
        let logger = CommandSupport.bootstrapLogging(level: logLevel)
        let config = try CommandSupport.loadConfig(config)
        let catalog: ProviderCatalog
        do {
            catalog = try ProviderCatalog(config: config, environment: ProcessInfo.processInfo.environment, logger: logger)
        } catch {
            CommandSupport.printError("config error: \(error)")
            throw ExitCode(2)
        }
        let worker = Worker(config: config, providers: catalog.providers, logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: worker, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        do {
            try await group.run()
        } catch {
            logger.error("worker failed", metadata: ["error": "\(error)"])
            await catalog.shutdown()
            throw ExitCode(1)
        }
        await catalog.shutdown()
    }
}
