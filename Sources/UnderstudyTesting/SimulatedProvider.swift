import Foundation
import Logging
import Simulator

/// A provider simulator serving real HTTP on a free loopback port, for one test.
/// Always ``stop()`` it (or use ``withSimulatedProviders(_:_:)``).
package final class SimulatedProvider: Sendable {
    package let simulator: ProviderSimulator
    private let task: Task<Void, any Error>
    package let port: Int

    private init(simulator: ProviderSimulator, task: Task<Void, any Error>, port: Int) {
        self.simulator = simulator
        self.task = task
        self.port = port
    }

    /// Starts a simulator in `mode` and waits until it listens.
    /// - Parameter cannedAnswers: see ``ProviderSimulator/Configuration/cannedAnswers``.
    package static func start(mode: SimulatorMode = .healthy, cannedAnswers: Bool = false) async throws -> SimulatedProvider {
        var logger = Logger(label: "understudy.test.simulator")
        logger.logLevel = .error
        let simulator = ProviderSimulator(configuration: .init(host: "127.0.0.1", port: 0, mode: mode, cannedAnswers: cannedAnswers, logger: logger))
        let task = Task { try await simulator.run() }
        let port = try await simulator.waitUntilRunning()
        return SimulatedProvider(simulator: simulator, task: task, port: port)
    }

    /// `http://127.0.0.1:PORT`, the `base_url` of a provider pointing here.
    package var baseURL: String { "http://127.0.0.1:\(port)" }

    package func setMode(_ mode: SimulatorMode) {
        simulator.setMode(mode)
    }

    /// Requests served so far (all paths).
    package var requests: Int { simulator.stats().totalRequests }

    package func stop() async {
        task.cancel()
        _ = try? await task.value
    }
}
