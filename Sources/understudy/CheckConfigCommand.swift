import ArgumentParser
import Foundation
import Jobs
import Worker

/// `understudy check-config FILE`: reports what `run` would refuse, without starting.
struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check a config file (keys, providers, routes, environment variables) without starting."
    )

    @Argument(help: "The YAML config file.")
    var file: String

    func run() async throws {
        let logger = CommandSupport.bootstrapLogging(level: "error")
        let config = try CommandSupport.loadConfig(file)
        do {
            let catalog = try ProviderCatalog(config: config, environment: ProcessInfo.processInfo.environment, logger: logger)
            await catalog.shutdown()
        } catch {
            CommandSupport.printError("config error in \(file): \(error)")
            throw ExitCode(2)
        }
        let routes = config.workloads.values.reduce(0) { $0 + $1.routes.count }
        print(
            "\(file): OK (\(config.providers.count) providers, \(config.workloads.count) workloads, \(routes) routes, delivery \(config.kafka.delivery.rawValue))"
        )
    }
}
