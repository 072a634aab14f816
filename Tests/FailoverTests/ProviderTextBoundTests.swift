import Completions
import Failover
import FailoverTesting
import Testing

/// What a provider sends cannot grow or trap the engine's records (issue 9): error text reaches
/// attempt events and results cut to a bound, output checks of a job schema's numbers never
/// trap, and absurd token counts saturate.
@Suite struct ProviderTextBoundTests {
    static let page = String(repeating: "<html>503 Service Unavailable</html>\n", count: 9000)

    @Test func aHugeErrorPageIsCutInAttemptEventsAndTheResult() async throws {
        let failure = httpFailure(503, message: Self.page)
        let rig = Rig(primary: { _, _ in .fail(failure) }, backup: { _, _ in .fail(failure) })
        let result = try await rig.run(rig.job(policy: FailoverPolicy(maxAttempts: 2)))
        #expect(result.status == .failed)
        let messages = rig.sink.attempts.compactMap(\.errorMessage)
        #expect(messages.count == 2)
        for message in messages {
            #expect(message.utf8.count <= ProviderFailure.maxMessageBytes)
            #expect(message.hasSuffix("bytes]"))
        }
        let error = try #require(result.error)
        #expect(error.message.utf8.count <= ProviderFailure.maxMessageBytes + 256)
        #expect(error.message.contains("[cut: "))
    }

    @Test func schemaNumbersAtTheEdgesNeverTrapTheEngine() async throws {
        for bound in [1e300, -1e300, -1, 0.5, 1e19] {
            let schema = JSONValue.object(["type": .string("string"), "maxLength": .number(bound), "minLength": .number(-bound)])
            let rig = Rig(primary: { _, _ in .answer(#""short""#) })
            let result = try await rig.run(rig.job(format: .jsonSchema(schema)))
            #expect(result.attempts >= 1, "maxLength \(bound)")
        }
    }

    @Test func absurdTokenCountsSaturate() async throws {
        let huge = CompletionResponse.Usage(inputTokens: Int.max, outputTokens: Int.max)
        let rig = Rig(primary: { _, _ in .answer("", usage: huge) }, backup: { _, _ in .answer("fine", usage: huge) })
        let result = try await rig.run(rig.job())
        #expect(result.status == .succeeded)
        #expect(result.usage == huge)
    }
}
