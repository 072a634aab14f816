import AsyncHTTPClient
import Completions
import Foundation
import Logging
import NIOHTTP1
import Testing

@testable import Providers

@Suite struct ProviderFactoryTests {
    static let fakeKey = "sk-fake-DO-NOT-LEAK-7f3a9c1e2b"

    func make(_ settings: ProviderSettings, env: [String: String] = ["KEY": fakeKey], transport: FakeTransport, logger: Logger? = nil) throws
        -> any CompletionProvider
    {
        try ProviderFactory.make(
            name: "primary",
            settings: settings,
            environment: env,
            transport: transport,
            logger: logger ?? Logger(label: "test")
        )
    }

    static func ok(_ body: String) -> FakeTransport {
        FakeTransport { _ in ProviderHTTPResponse(status: 200, body: Data(body.utf8)) }
    }

    static let anthropicOK =
        #"{"id":"m","type":"message","role":"assistant","model":"x","content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}"#
    static let openAIOK =
        #"{"id":"c","object":"chat.completion","created":1,"model":"x","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}"#

    @Test func anthropicSendsTheKeyInXAPIKey() async throws {
        let transport = Self.ok(Self.anthropicOK)
        let provider = try make(.init(type: "anthropic", apiKeyEnv: "KEY", headers: ["x-team": "ml"]), transport: transport)
        #expect(provider.kind == "anthropic")
        _ = try await provider.complete(Fixtures.request, model: "claude-haiku-4-5", timeout: .seconds(5))
        let sent = try #require(transport.last)
        #expect(sent.headers.first(name: "x-api-key") == Self.fakeKey)
        #expect(sent.headers.first(name: "anthropic-version") == "2023-06-01")
        #expect(sent.headers.first(name: "x-team") == "ml")
        #expect(sent.headers.first(name: "authorization") == nil)
    }

    @Test func foundryWithApiKeyHeaderOrEntraTokenFile() async throws {
        let transport = Self.ok(Self.anthropicOK)
        let apiKey = try make(
            .init(type: "anthropic", baseURL: "https://res.services.ai.azure.com/anthropic", apiKeyEnv: "KEY", apiKeyHeader: "api-key"),
            transport: transport
        )
        _ = try await apiKey.complete(Fixtures.request, model: "claude-deploy", timeout: .seconds(5))
        #expect(transport.last?.headers.first(name: "api-key") == Self.fakeKey)
        #expect(transport.last?.url == "https://res.services.ai.azure.com/anthropic/v1/messages")

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("entra-\(UUID().uuidString)")
        try "eyJ0eXAi.token-one\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let bearer = try make(
            .init(type: "anthropic", baseURL: "https://res.services.ai.azure.com/anthropic", auth: .bearer, tokenFile: file.path),
            transport: transport
        )
        _ = try await bearer.complete(Fixtures.request, model: "claude-deploy", timeout: .seconds(5))
        #expect(transport.last?.headers.first(name: "authorization") == "Bearer eyJ0eXAi.token-one")
    }

    @Test func tokenFileIsReReadAfterItsRefreshInterval() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("entra-\(UUID().uuidString)")
        try "one".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let source = SecretSource(file: file.path, refreshInterval: .milliseconds(50))
        #expect(try source.current() == "one")
        try "two".write(to: file, atomically: true, encoding: .utf8)
        try await Task.sleep(for: .milliseconds(80))
        #expect(try source.current() == "two")
        try FileManager.default.removeItem(at: file)
        try await Task.sleep(for: .milliseconds(80))
        let error = #expect(throws: ProviderFailure.self) { try source.current() }
        #expect(error?.outcome == .authError)
    }

    @Test func openAIAzureGeminiAndBedrockHeaders() async throws {
        let openAI = Self.ok(Self.openAIOK)
        _ = try await make(.init(type: "openai", apiKeyEnv: "KEY"), transport: openAI).complete(
            Fixtures.request, model: "gpt-4o", timeout: .seconds(5))
        #expect(openAI.last?.headers.first(name: "authorization") == "Bearer \(Self.fakeKey)")

        let local = Self.ok(Self.openAIOK)
        _ = try await make(.init(type: "openai", baseURL: "http://127.0.0.1:8000", auth: ProviderSettings.Auth.unauthenticated), transport: local)
            .complete(Fixtures.request, model: "m", timeout: .seconds(5))
        #expect(local.last?.headers.first(name: "authorization") == nil)

        let azure = Self.ok(Self.openAIOK)
        _ = try await make(
            .init(type: "azure-openai", baseURL: "https://r.openai.azure.com", apiKeyEnv: "KEY", apiVersion: "2024-10-21"), transport: azure
        )
        .complete(Fixtures.request, model: "dep", timeout: .seconds(5))
        #expect(azure.last?.headers.first(name: "api-key") == Self.fakeKey)
        #expect(azure.last?.url == "https://r.openai.azure.com/openai/deployments/dep/chat/completions?api-version=2024-10-21")

        let azureEntra = Self.ok(Self.openAIOK)
        _ = try await make(.init(type: "azure-openai", baseURL: "https://r.openai.azure.com", auth: .bearer, tokenEnv: "KEY"), transport: azureEntra)
            .complete(Fixtures.request, model: "dep", timeout: .seconds(5))
        #expect(azureEntra.last?.headers.first(name: "authorization") == "Bearer \(Self.fakeKey)")
        #expect(azureEntra.last?.url == "https://r.openai.azure.com/openai/v1/chat/completions")

        let gemini = FakeTransport { _ in ProviderHTTPResponse(status: 200, body: try Fixtures.data("gemini-response.json")) }
        _ = try await make(.init(type: "gemini", apiKeyEnv: "KEY"), transport: gemini).complete(
            Fixtures.request, model: "gemini-2.5-flash", timeout: .seconds(5))
        #expect(gemini.last?.headers.first(name: "x-goog-api-key") == Self.fakeKey)

        let bedrock = FakeTransport { _ in ProviderHTTPResponse(status: 200, body: try Fixtures.data("bedrock-response.json")) }
        let env = ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": Self.fakeKey]
        _ = try await make(.init(type: "bedrock", region: "eu-west-1"), env: env, transport: bedrock)
            .complete(Fixtures.request, model: "anthropic.claude-3-5-haiku-20241022-v1:0", timeout: .seconds(5))
        let authorization = try #require(bedrock.last?.headers.first(name: "authorization"))
        #expect(authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"))
        #expect(authorization.contains("/eu-west-1/bedrock/aws4_request"))
        #expect(!authorization.contains(Self.fakeKey))

        let bedrockKey = FakeTransport { _ in ProviderHTTPResponse(status: 200, body: try Fixtures.data("bedrock-response.json")) }
        _ = try await make(.init(type: "bedrock", auth: .bearer, apiKeyEnv: "KEY", region: "us-east-1"), transport: bedrockKey)
            .complete(Fixtures.request, model: "m", timeout: .seconds(5))
        #expect(bedrockKey.last?.headers.first(name: "authorization") == "Bearer \(Self.fakeKey)")
    }

    @Test func missingSettingsNameTheKey() throws {
        let transport = Self.ok("{}")
        func error(_ settings: ProviderSettings, env: [String: String] = [:]) -> ProviderConfigurationError? {
            do {
                _ = try ProviderFactory.make(name: "primary", settings: settings, environment: env, transport: transport)
                return nil
            } catch {
                return error
            }
        }
        let unset = error(.init(type: "anthropic", apiKeyEnv: "ANTHROPIC_KEY"))
        #expect(unset?.code == .missingEnvironmentVariable)
        #expect(unset?.setting == "providers.primary.api_key_env")
        #expect(unset?.description.contains("ANTHROPIC_KEY") == true)
        #expect(error(.init(type: "anthropic"))?.setting == "providers.primary.api_key_env")
        #expect(error(.init(type: "azure-openai", apiKeyEnv: "K"), env: ["K": "v"])?.setting == "providers.primary.base_url")
        #expect(error(.init(type: "bedrock"))?.setting == "providers.primary.region")
        #expect(error(.init(type: "bedrock", region: "us-east-1"))?.setting == "providers.primary.aws_access_key_id_env")
        #expect(error(.init(type: "mystery"))?.code == .unknownType)
        #expect(error(.init(type: "openai", auth: .sigV4, apiKeyEnv: "K"), env: ["K": "v"])?.setting == "providers.primary.auth")
        #expect(error(.init(type: "openai", auth: .bearer))?.setting == "providers.primary.token_file")
        #expect(error(.init(type: "openai", baseURL: "ftp://x", apiKeyEnv: "K"), env: ["K": "v"])?.setting == "providers.primary.base_url")
        #expect(error(.init(type: "extractive")) == nil)
        #expect(error(.init(type: "extractive", maxConcurrency: 0))?.setting == "providers.primary.max_concurrency")
    }

    @Test func keyHeaderOnlyForAnthropicAndOnlyAValidName() async throws {
        let transport = Self.ok(Self.anthropicOK)
        func error(_ settings: ProviderSettings) -> ProviderConfigurationError? {
            do {
                _ = try make(settings, transport: transport)
                return nil
            } catch let error as ProviderConfigurationError {
                return error
            } catch {
                Issue.record("unexpected \(error)")
                return nil
            }
        }
        let openAI = error(.init(type: "openai", apiKeyEnv: "KEY", apiKeyHeader: "api-key"))
        #expect(openAI?.setting == "providers.primary.api_key_header")
        #expect(openAI?.code == .invalidValue)
        #expect(error(.init(type: "gemini", apiKeyEnv: "KEY", apiKeyHeader: "x-api-key"))?.setting == "providers.primary.api_key_header")
        let injected = error(.init(type: "anthropic", apiKeyEnv: "KEY", apiKeyHeader: "api-key\r\nx-evil: 1"))
        #expect(injected?.setting == "providers.primary.api_key_header")
        #expect(error(.init(type: "anthropic", apiKeyEnv: "KEY", apiKeyHeader: ""))?.setting == "providers.primary.api_key_header")
        #expect(error(.init(type: "anthropic", apiKeyEnv: "KEY", apiKeyHeader: "api-key")) == nil)
    }

    @Test func keylessServersNeedNoVariable() async throws {
        for type in ["openai", "anthropic", "gemini"] {
            let transport: FakeTransport
            if type == "gemini" {
                transport = FakeTransport { _ in ProviderHTTPResponse(status: 200, body: try Fixtures.data("gemini-response.json")) }
            } else {
                transport = Self.ok(type == "openai" ? Self.openAIOK : Self.anthropicOK)
            }
            let provider = try make(.init(type: type, baseURL: "http://127.0.0.1:8000", auth: .unauthenticated), env: [:], transport: transport)
            _ = try await provider.complete(Fixtures.request, model: "m", timeout: .seconds(5))
            let sent = try #require(transport.last)
            for header in ["authorization", "x-api-key", "api-key", "x-goog-api-key"] {
                #expect(sent.headers.first(name: header) == nil, "\(type) sent \(header)")
            }
        }
    }

    @Test func theKeyNeverAppearsInErrorsOrLogs() async throws {
        let sink = LogSink()
        var logger = Logger(label: "leak-check") { _ in RecordingLogHandler(sink: sink) }
        logger.logLevel = .trace
        // A provider that echoes the key back, as some do on 401.
        let echo = FakeTransport { request in
            let key = request.headers.first(name: "x-api-key") ?? request.headers.first(name: "authorization") ?? ""
            return ProviderHTTPResponse(
                status: 401,
                body: Data(
                    #"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key: \#(key)"},"error":{"message":"Incorrect API key provided: \#(key)","type":"invalid_request_error","code":"invalid_api_key"}}"#
                        .utf8)
            )
        }
        var messages: [String] = []
        for type in ["anthropic", "openai"] {
            let provider = try make(.init(type: type, apiKeyEnv: "KEY"), transport: echo, logger: logger)
            do {
                _ = try await provider.complete(Fixtures.request, model: "m", timeout: .seconds(5))
                Issue.record("expected a failure")
            } catch let failure as ProviderFailure {
                #expect(failure.outcome == .authError)
                messages.append("\(failure) \(failure.message)")
            }
        }
        #expect(sink.count > 0)
        for text in messages + [sink.text] {
            #expect(!text.contains(Self.fakeKey))
        }
        #expect(messages.joined().contains("[redacted]"))
        // Descriptions of the building blocks never show the secret either.
        let source = SecretSource(value: Self.fakeKey, variable: "KEY")
        #expect(!"\(source) \(RequestAuthorizer.bearer(source))".contains(Self.fakeKey))
    }

    @Test func requestBodyCapIsEnforced() async throws {
        let transport = Self.ok(Self.anthropicOK)
        let provider = try make(.init(type: "anthropic", apiKeyEnv: "KEY", maxRequestBytes: 100), transport: transport)
        let failure = await #expect(throws: ProviderFailure.self) {
            try await provider.complete(Fixtures.request, model: "m", timeout: .seconds(5))
        }
        #expect(failure?.outcome == .clientError)
        #expect(transport.last == nil, "nothing was sent")
    }

    @Test func poolSizeFollowsMaxConcurrency() {
        #expect(
            ProviderHTTPClient.connectionsPerHost(for: [.init(type: "anthropic", maxConcurrency: 64), .init(type: "openai", maxConcurrency: 200)])
                == 200)
        #expect(ProviderHTTPClient.connectionsPerHost(for: [.init(type: "anthropic", maxConcurrency: 64), .init(type: "openai")]) == 1024)
        #expect(ProviderHTTPClient.configuration(maxConnectionsPerHost: 300).connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit == 300)
    }
}
