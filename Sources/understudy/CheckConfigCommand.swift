import ArgumentParser
import Foundation
import Jobs
import Worker

/// `understudy check-config FILE`: reports what `run` would refuse, without starting: every key
/// (`kafka.properties` included: no property that would void a delivery guarantee), every
/// provider (its environment variables set), and every `providers.NAME.token_file` (it exists
/// and can be read; its content, a secret, is never printed).
struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check a config file (keys, Kafka properties, providers, routes, environment variables, token files) without starting."
    )

    @Argument(help: "The YAML config file.")
    var file: String

    func run() async throws {
        let logger = CommandSupport.bootstrapLogging(level: "error")
        let config = try CommandSupport.loadConfig(file)
        // The worker reads token files at call time (a sidecar may write them after start-up);
        // here they must already be in place.
        for provider in config.providers.values.sorted(by: { $0.name < $1.name }) {
            do {
                try provider.checkTokenFile()
            } catch {
                CommandSupport.printError("config error in \(file): \(error.message)")
                throw ExitCode(2)
            }
        }
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
