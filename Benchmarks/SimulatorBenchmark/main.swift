// The simulator alone: requests/s it serves in healthy mode with zero latency, driven by an
// AsyncHTTPClient load loop with many concurrent requests in the same process (so the load
// generator shares the machine's cores with the server). Reproduce with:
//   swift run -c release SimulatorBenchmark [--seconds 10] [--concurrency 256] [--wire anthropic|openai|azure-openai] [--adapter]
import AsyncHTTPClient
import Completions
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Providers
import ServiceLifecycle
import Simulator
import Synchronization

func argument(_ name: String, default value: String) -> String {
    let args = CommandLine.arguments
    guard let index = args.firstIndex(of: name), index + 1 < args.count else { return value }
    return args[index + 1]
}

let seconds = Double(argument("--seconds", default: "10")) ?? 10
let concurrency = Int(argument("--concurrency", default: "256")) ?? 256
let wire = argument("--wire", default: "anthropic")
let throughAdapter = CommandLine.arguments.contains("--adapter")

final class Counters: Sendable {
    let completed = Atomic<Int>(0)
    let failed = Atomic<Int>(0)
}

var logger = Logger(label: "simulator-benchmark")
logger.logLevel = .error
let simulator = ProviderSimulator(configuration: .init(logger: logger))
let client = ProviderHTTPClient(maxConnectionsPerHost: concurrency)
let counters = Counters()
let services = ServiceGroup(configuration: .init(services: [simulator], logger: logger))

let requests: [CompletionRequest] = SampleTexts.all.map {
    CompletionRequest(system: "Summarize the support ticket.", messages: [.init(role: .user, content: $0.text)], maxTokens: 150)
}

try await withThrowingTaskGroup(of: Void.self) { group in
    group.addTask { try await services.run() }
    let baseURL = try await simulator.baseURL()

    let settings: ProviderSettings =
        switch wire {
        case "openai": ProviderSettings(type: "openai", baseURL: baseURL, auth: ProviderSettings.Auth.unauthenticated)
        case "azure-openai":
            ProviderSettings(type: "azure-openai", baseURL: baseURL, auth: ProviderSettings.Auth.unauthenticated, apiVersion: "2024-10-21")
        default: ProviderSettings(type: "anthropic", baseURL: baseURL, auth: ProviderSettings.Auth.unauthenticated)
        }
    let provider = try ProviderFactory.make(name: "bench", settings: settings, environment: [:], httpClient: client.client)
    // Pre-encoded requests, so the raw loop measures the server rather than the encoder.
    let codec: any WireCodec =
        switch wire {
        case "openai": OpenAICodec(endpoint: .openAI(baseURL: baseURL))
        case "azure-openai": OpenAICodec(endpoint: .azureDeployments(baseURL: baseURL, apiVersion: "2024-10-21"))
        default: AnthropicCodec(baseURL: baseURL)
        }
    let prepared: [HTTPClientRequest] = try requests.map { request in
        let wireRequest = try codec.encode(request, model: "bench-model")
        var outgoing = HTTPClientRequest(url: wireRequest.url)
        outgoing.method = .POST
        outgoing.headers = wireRequest.headers
        outgoing.body = .bytes(ByteBuffer(bytes: wireRequest.body))
        return outgoing
    }

    // Warm-up: open the connections and fill the summary cache.
    for request in requests { _ = try await provider.complete(request, model: "bench-model", timeout: .seconds(5)) }

    let clock = ContinuousClock()
    let deadline = clock.now + .milliseconds(Int64(seconds * 1000))
    let start = clock.now
    try await withThrowingTaskGroup(of: Void.self) { load in
        for worker in 0..<concurrency {
            load.addTask {
                var index = worker
                while clock.now < deadline {
                    index += 1
                    do {
                        if throughAdapter {
                            _ = try await provider.complete(requests[index % requests.count], model: "bench-model", timeout: .seconds(10))
                        } else {
                            let response = try await client.client.execute(prepared[index % prepared.count], timeout: .seconds(10))
                            _ = try await response.body.collect(upTo: 1 << 20)
                            guard response.status == .ok else { throw HTTPClientError.invalidURL }
                        }
                        counters.completed.add(1, ordering: .relaxed)
                    } catch {
                        counters.failed.add(1, ordering: .relaxed)
                    }
                }
            }
        }
        try await load.waitForAll()
    }
    let elapsed = clock.now - start
    let (whole, fraction) = elapsed.components
    let elapsedSeconds = Double(whole) + Double(fraction) / 1e18
    let completed = counters.completed.load(ordering: .relaxed)
    let failed = counters.failed.load(ordering: .relaxed)
    let stats = simulator.stats()
    print(
        "SimulatorBenchmark: wire \(wire), \(throughAdapter ? "through the adapter" : "raw pre-encoded requests"), concurrency \(concurrency), \(String(format: "%.1f", elapsedSeconds)) s"
    )
    print(
        String(
            format: "  %.0f requests/s (%d ok, %d failed; simulator counted %d)", Double(completed) / elapsedSeconds, completed, failed,
            stats.totalRequests))
    print(
        "  reproduce: swift run -c release SimulatorBenchmark --seconds \(Int(seconds)) --concurrency \(concurrency) --wire \(wire)\(throughAdapter ? " --adapter" : "")"
    )
    await services.triggerGracefulShutdown()
}
try await client.shutdown()
