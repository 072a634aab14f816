import Completions
import Jobs
import Providers
import Testing

@testable import Worker

@Suite("The provider catalog hands each provider's bounds to its adapter")
struct ProviderCatalogTests {
    @Test("max_response_bytes and body_timeout_ms reach the adapter's HTTP limits; unset, the defaults do")
    func responseBoundsReachTheAdapter() {
        let configured = ProviderCatalog.settings(
            for: ProviderConfig(name: "p", type: .openai, auth: .unauthenticated, maxResponseBytes: 65_536, bodyTimeoutMs: 1_500)
        )
        #expect(configured.maxResponseBytes == 65_536)
        #expect(configured.bodyTimeout == .milliseconds(1_500))
        let defaults = ProviderCatalog.settings(for: ProviderConfig(name: "p", type: .openai, auth: .unauthenticated))
        #expect(defaults.maxResponseBytes == ProviderDefaults.maxResponseBytes)
        #expect(defaults.bodyTimeout == .milliseconds(ProviderDefaults.bodyTimeoutMs))
    }
}
