import AsyncHTTPClient
import Completions
import Foundation
import Jobs
import Logging
import Providers

/// The configured providers, built once at start-up over one shared HTTP client.
///
/// Guarantees: a provider that cannot be built (a missing environment variable, an invalid
/// setting) fails start-up with the config key path (`providers.NAME.KEY`) in the message and no
/// secret value in it. Concurrency limits are the failover engine's job (it waits for a slot
/// and adapts the limit); the adapters only size the connection pool from them.
package final class ProviderCatalog: Sendable {
    package let providers: [String: any CompletionProvider]
    private let http: ProviderHTTPClient

    package init(config: UnderstudyConfig, environment: [String: String], logger: Logger) throws {
        let settings = config.providers.mapValues(Self.settings(for:))
        // The pool follows the providers' limits; without one, only the in-flight limit bounds it.
        let http = ProviderHTTPClient(
            maxConnectionsPerHost: ProviderHTTPClient.connectionsPerHost(
                for: Array(settings.values), unlimited: max(1024, config.worker.maxInFlight)
            )
        )
        var providers: [String: any CompletionProvider] = [:]
        do {
            for (name, entry) in settings.sorted(by: { $0.key < $1.key }) {
                providers[name] = try ProviderFactory.make(
                    name: name, settings: entry, environment: environment, httpClient: http.client, logger: logger
                )
            }
        } catch {
            try? http.syncShutdown()
            throw error
        }
        self.providers = providers
        self.http = http
    }

    /// The adapter settings for one `providers.NAME` entry of the config.
    static func settings(for provider: ProviderConfig) -> ProviderSettings {
        let auth: ProviderSettings.Auth? =
            switch provider.type {
            case .extractive: nil
            case .bedrock: provider.auth == .bearer ? .bearer : nil
            default:
                switch provider.auth {
                case .apiKey: .apiKey
                case .bearer: .bearer
                case .unauthenticated: .unauthenticated
                }
            }
        return ProviderSettings(
            type: provider.type.rawValue, baseURL: provider.baseURL?.absoluteString, auth: auth,
            apiKeyEnv: provider.apiKeyEnv, apiKeyHeader: provider.apiKeyHeader, tokenEnv: provider.tokenEnv, tokenFile: provider.tokenFile,
            apiVersion: provider.apiVersion, region: provider.region,
            nativeStructuredOutput: provider.nativeStructuredOutput, maxConcurrency: provider.maxConcurrency,
            maxResponseBytes: provider.maxResponseBytes, bodyTimeout: .milliseconds(provider.bodyTimeoutMs)
        )
    }

    /// Closes the shared HTTP client; call once, after every call has ended.
    package func shutdown() async {
        try? await http.shutdown()
    }
}
