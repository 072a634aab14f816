import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import Simulator
import UnixSignals

/// `understudy simulate`: the provider simulator as a standalone server, until SIGTERM or SIGINT.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run the provider simulator: anthropic, openai and azure-openai wire formats that fail on command."
    )

    @Option(name: .long, help: "The address to listen on (loopback unless you say otherwise).")
    var host = "127.0.0.1"

    @Option(name: .long, help: "The port to listen on (0 picks a free one).")
    var port = 8080

    @Option(name: .long, help: "A YAML schedule of modes to run from start-up (see SimulatorScript).")
    var script: String?

    @Option(name: .long, help: #"The starting mode as JSON, e.g. '{"fault":"error","status":529}'."#)
    var mode: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String?

    @Flag(
        name: .long, help: "Answer every successful request with one prebuilt body, without parsing or summarizing it (for load tests of a client).")
    var cannedAnswers = false

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        if script != nil && mode != nil { throw ValidationError("give --script or --mode, not both") }
    }

    func run() async throws {
        let logger = CommandSupport.bootstrapLogging(level: logLevel ?? "warning")
        var configuration = ProviderSimulator.Configuration(host: host, port: port, cannedAnswers: cannedAnswers, logger: logger)
        if let mode {
            do {
                configuration.mode = try JSONDecoder().decode(SimulatorMode.self, from: Data(mode.utf8))
            } catch {
                CommandSupport.printError("--mode is not a simulator mode: \(error)")
                throw ExitCode(2)
            }
        }
        if let script {
            do {
                configuration.script = try SimulatorScript.load(path: script)
            } catch {
                CommandSupport.printError("--script \(script): \(error)")
                throw ExitCode(2)
            }
        }
        if !Self.isLoopback(host) {
            CommandSupport.printError("warning: listening on \(host), not loopback: anyone who can reach it can drive the simulator")
        }

        let simulator = ProviderSimulator(configuration: configuration)
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(
                        service: simulator, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup
                    )
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            tasks.addTask {
                // Ends with an error when the server could not start; `group.run()` reports it.
                guard let url = try? await simulator.baseURL() else { return }
                FileHandle.standardOutput.write(Data((Self.banner(baseURL: url) + "\n").utf8))
            }
            do {
                try await tasks.waitForAll()
            } catch {
                CommandSupport.printError("simulator failed: \(error)")
                throw ExitCode(1)
            }
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    static func banner(baseURL: String) -> String {
        """
        understudy simulator listening on \(baseURL)
          anthropic      POST \(baseURL)/v1/messages
                         POST \(baseURL)/anthropic/v1/messages   (Claude on Azure / Foundry)
          openai         POST \(baseURL)/v1/chat/completions
          azure-openai   POST \(baseURL)/openai/deployments/{deployment}/chat/completions?api-version=...
                         POST \(baseURL)/openai/v1/chat/completions
          control        PUT  \(baseURL)/_sim/mode     {"fault":"error","status":529}
                         GET  \(baseURL)/_sim/mode
                         PUT  \(baseURL)/_sim/script   (YAML schedule)
                         GET  \(baseURL)/_sim/stats    DELETE \(baseURL)/_sim/stats
        Ctrl-C to stop.
        """
    }
}
