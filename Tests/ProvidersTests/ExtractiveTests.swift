import Completions
import Foundation
import NIOHTTP1
import Testing

@testable import Providers

@Suite struct ExtractiveTests {
    @Test func thereAreTenSamples() {
        #expect(SampleTexts.all.count == 10)
        #expect(Set(SampleTexts.all.map(\.id)).count == 10)
    }

    @Test(arguments: SampleTexts.all)
    func everySampleGetsANonEmptyDeterministicSummary(_ sample: SampleText) async throws {
        let request = CompletionRequest(system: "Summarize the ticket.", messages: [.init(role: .user, content: sample.text)], maxTokens: 120)
        let first = try await ExtractiveProvider().complete(request, model: "extractive", timeout: .seconds(1))
        let second = try await ExtractiveProvider(summarizer: ExtractiveSummarizer()).complete(request, model: "x", timeout: .seconds(1))
        #expect(!first.text.isEmpty)
        #expect(first == second)
        #expect(first.text.utf8.count <= 120 * 4 + 3)
        #expect(first.text.utf8.count < sample.text.utf8.count)
        #expect(first.usage.inputTokens > 0)
        #expect(first.usage.outputTokens == ExtractiveSummarizer().estimateTokens(first.text))
    }

    @Test func respectsMaxTokensRoughly() {
        let text = SampleTexts.all[0].text
        let summarizer = ExtractiveSummarizer()
        for maxTokens in [5, 20, 60, 200] {
            let summary = summarizer.summarize(text, maxTokens: maxTokens)
            #expect(!summary.text.isEmpty)
            #expect(summary.text.utf8.count <= maxTokens * 4 + 3, "maxTokens \(maxTokens)")
        }
        #expect(summarizer.summarize(text, maxTokens: 5).truncated)
    }

    @Test func jsonSchemaGetsAValidDocument() async throws {
        let schema: JSONValue = .object([
            "type": "object",
            "properties": .object([
                "title": .object(["type": "string"]),
                "summary": .object(["type": "string"]),
                "key_points": .object(["type": "array", "items": .object(["type": "string"])]),
                "priority": .object(["type": "string", "enum": .array(["low", "high"])]),
                "score": .object(["type": "integer"]),
                "urgent": .object(["type": "boolean"]),
            ]),
            "required": .array(["title", "summary", "key_points", "priority", "score", "urgent"]),
        ])
        let request = CompletionRequest(
            messages: [.init(role: .user, content: SampleTexts.all[2].text)], maxTokens: 200, responseFormat: .jsonSchema(schema))
        let answer = try await ExtractiveProvider().complete(request, model: "m", timeout: .seconds(1))
        let document = try jsonValue(Data(answer.text.utf8))
        #expect(document["priority"] == "low")
        #expect(document["urgent"] == .bool(false))
        #expect(document["score"] == .number(0))
        #expect(document["summary"]?.stringValue?.isEmpty == false)
        #expect(document["key_points"]?.arrayValue?.isEmpty == false)
    }

    @Test func emptyInputGivesEmptyText() {
        #expect(ExtractiveSummarizer().summarize("   \n ", maxTokens: 50).text.isEmpty)
    }

    @Test func honoursCancellation() async {
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await ExtractiveProvider().complete(.init(messages: [.init(role: .user, content: "x.")]), model: "m", timeout: .seconds(1))
        }
        await #expect(throws: CancellationError.self) { try await task.value }
    }
}
