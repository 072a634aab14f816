import AsyncHTTPClient
import Completions
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Providers
import ServiceLifecycle
import Simulator

/// Starts a simulator on a free port, runs `body`, and always stops the simulator (and the
/// client) afterwards.
func withSimulator<T: Sendable>(
    mode: SimulatorMode = .healthy,
    script: SimulatorScript? = nil,
    cannedAnswers: Bool = false,
    _ body: @Sendable (ProviderSimulator, String, ProviderHTTPClient) async throws -> T
) async throws -> T {
    var logger = Logger(label: "simulator-test")
    logger.logLevel = .warning
    let simulator = ProviderSimulator(configuration: .init(mode: mode, script: script, cannedAnswers: cannedAnswers, logger: logger))
    let client = ProviderHTTPClient(maxConnectionsPerHost: 64)
    let services = ServiceGroup(configuration: .init(services: [simulator], logger: logger))
    do {
        let result = try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await services.run()
                return nil
            }
            do {
                let baseURL = try await simulator.baseURL()
                let result = try await body(simulator, baseURL, client)
                await services.triggerGracefulShutdown()
                while try await group.next() != nil {}
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
        try await client.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        throw error
    }
}

/// The wires and endpoint shapes the simulator serves, as provider settings.
enum Target: String, CaseIterable, Sendable, CustomStringConvertible {
    case anthropic
    case foundry
    case openai
    case azureDeployments
    case azureV1

    var description: String { rawValue }

    func settings(baseURL: String) -> ProviderSettings {
        switch self {
        case .anthropic: ProviderSettings(type: "anthropic", baseURL: baseURL, apiKeyEnv: "SIM_KEY")
        case .foundry: ProviderSettings(type: "anthropic", baseURL: baseURL + "/anthropic", apiKeyEnv: "SIM_KEY", apiKeyHeader: "api-key")
        case .openai: ProviderSettings(type: "openai", baseURL: baseURL, apiKeyEnv: "SIM_KEY")
        case .azureDeployments: ProviderSettings(type: "azure-openai", baseURL: baseURL, apiKeyEnv: "SIM_KEY", apiVersion: "2024-10-21")
        case .azureV1: ProviderSettings(type: "azure-openai", baseURL: baseURL, auth: .bearer, tokenEnv: "SIM_KEY")
        }
    }

    var wire: String {
        switch self {
        case .anthropic, .foundry: "anthropic"
        case .openai: "openai"
        case .azureDeployments, .azureV1: "azure-openai"
        }
    }

    func provider(baseURL: String, client: ProviderHTTPClient) throws -> any CompletionProvider {
        try ProviderFactory.make(
            name: rawValue,
            settings: settings(baseURL: baseURL),
            environment: ["SIM_KEY": "sim-test-key-123"],
            httpClient: client.client
        )
    }
}

let sampleRequest = CompletionRequest(
    system: "Summarize the support ticket in two sentences.",
    messages: [.init(role: .user, content: SampleTexts.all[2].text)],
    maxTokens: 120
)

/// Runs one call and returns its failure (nil on success) and how long it took.
func attempt(
    _ provider: any CompletionProvider,
    timeout: Duration = .seconds(5)
) async -> (result: Result<CompletionResponse, ProviderFailure>, elapsed: Duration) {
    let clock = ContinuousClock()
    let start = clock.now
    do {
        let answer = try await provider.complete(sampleRequest, model: "test-model", timeout: timeout)
        return (.success(answer), clock.now - start)
    } catch let failure as ProviderFailure {
        return (.failure(failure), clock.now - start)
    } catch {
        return (.failure(ProviderFailure(outcome: .cancelled, message: "unexpected \(error)")), clock.now - start)
    }
}

/// A control-endpoint call.
func control(_ client: ProviderHTTPClient, _ method: HTTPMethod, _ url: String, body: String? = nil) async throws -> (status: Int, body: String) {
    var request = HTTPClientRequest(url: url)
    request.method = method
    if let body {
        request.body = .bytes(ByteBuffer(string: body))
        request.headers.add(name: "content-type", value: "application/json")
    }
    let response = try await client.client.execute(request, timeout: .seconds(5))
    let bytes = try await response.body.collect(upTo: 1 << 20)
    return (Int(response.status.code), String(buffer: bytes))
}
