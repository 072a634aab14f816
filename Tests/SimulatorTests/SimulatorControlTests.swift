import Completions
import Foundation
import Logging
import NIOHTTP1
import Providers
import ServiceLifecycle
import Simulator
import Testing

@Suite struct SimulatorControlTests {
    @Test func modeAndStatsOverTheControlEndpoint() async throws {
        try await withSimulator { _, baseURL, client in
            let anthropic = try Target.anthropic.provider(baseURL: baseURL, client: client)
            let openai = try Target.openai.provider(baseURL: baseURL, client: client)
            _ = try await anthropic.complete(sampleRequest, model: "m", timeout: .seconds(5))
            _ = try await openai.complete(sampleRequest, model: "m", timeout: .seconds(5))

            let put = try await control(client, .PUT, baseURL + "/_sim/mode", body: #"{"fault":"error","status":503,"retry_after_s":1}"#)
            #expect(put.status == 200)
            let (result, _) = await attempt(anthropic)
            if case .failure(let failure) = result { #expect(failure.outcome == .overloaded) } else { Issue.record("expected 503") }

            let stats = try JSONDecoder().decode(SimulatorStats.self, from: Data(try await control(client, .GET, baseURL + "/_sim/stats").body.utf8))
            #expect(stats.totalRequests == 3)
            #expect(stats.byPath["/v1/messages"] == 2)
            #expect(stats.byPath["/v1/chat/completions"] == 1)
            #expect(stats.byFault == ["healthy": 2, "error": 1])
            #expect(stats.mode == .error(503, retryAfterSeconds: 1))

            #expect(try await control(client, .DELETE, baseURL + "/_sim/stats").status == 204)
            let cleared = try JSONDecoder().decode(
                SimulatorStats.self, from: Data(try await control(client, .GET, baseURL + "/_sim/stats").body.utf8))
            #expect(cleared.totalRequests == 0, "no provider received a request since the reset")
            #expect(cleared.byPath.isEmpty)

            #expect(try await control(client, .PUT, baseURL + "/_sim/mode", body: #"{"fault":"nonsense"}"#).status == 400)
        }
    }

    @Test func scriptOverTheControlEndpoint() async throws {
        try await withSimulator { simulator, baseURL, client in
            let yaml = """
                steps:
                  - fault: healthy
                    requests: 2
                  - fault: error
                    status: 529
                    requests: 1
                  - fault: healthy
                """
            #expect(try await control(client, .PUT, baseURL + "/_sim/script", body: yaml).status == 200)
            let provider = try Target.anthropic.provider(baseURL: baseURL, client: client)
            var outcomes: [Outcome] = []
            for _ in 0..<4 {
                let (result, _) = await attempt(provider)
                switch result {
                case .success: outcomes.append(.ok)
                case .failure(let failure): outcomes.append(failure.outcome)
                }
            }
            #expect(outcomes == [.ok, .ok, .overloaded, .ok])
            #expect(simulator.stats().scriptStep == 2)
        }
    }

    @Test func unreadableRequestGetsTheProvidersOwn400() async throws {
        try await withSimulator { _, baseURL, client in
            let reply = try await control(client, .POST, baseURL + "/v1/messages", body: #"{"hello":"world"}"#)
            #expect(reply.status == 400)
            #expect(reply.body.contains("invalid_request_error"))
        }
    }

    @Test func gracefulShutdownEndsBlackholedRequestsPromptly() async throws {
        var logger = Logger(label: "simulator-test")
        logger.logLevel = .warning
        let simulator = ProviderSimulator(configuration: .init(mode: SimulatorMode(fault: .blackhole), logger: logger))
        let group = ServiceGroup(configuration: .init(services: [simulator], logger: logger))
        let client = ProviderHTTPClient()
        let clock = ContinuousClock()
        let baseURL = try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let baseURL = try await simulator.baseURL()
            let provider = try Target.openai.provider(baseURL: baseURL, client: client)
            tasks.addTask { _ = await attempt(provider, timeout: .seconds(30)) }
            while simulator.stats().totalRequests == 0 { try await Task.sleep(for: .milliseconds(10)) }
            let start = clock.now
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            #expect(clock.now - start < .seconds(5))
            return baseURL
        }
        // Nothing listens there any more: a refused connection is a `connection` failure.
        let (refused, elapsed) = await attempt(try Target.anthropic.provider(baseURL: baseURL, client: client), timeout: .seconds(30))
        if case .failure(let failure) = refused {
            #expect(failure.outcome == .connection, "\(failure.message)")
        } else {
            Issue.record("expected a failure")
        }
        #expect(elapsed < .seconds(10), "refused at once, not at the 30 s timeout")
        try await client.shutdown()
        await #expect(throws: ProviderSimulator.NotRunningError.self) { _ = try await simulator.waitUntilRunning() }
    }

    @Test func twoSimulatorsGetDifferentFreePorts() async throws {
        try await withSimulator { _, first, _ in
            try await withSimulator { _, second, _ in
                #expect(first != second)
                #expect(first.hasPrefix("http://127.0.0.1:"))
            }
        }
    }
}
