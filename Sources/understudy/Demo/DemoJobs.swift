import Foundation
import Jobs
import Kafka
import Providers

/// The demo's batch: summary jobs over the bundled sample texts (``SampleTexts/all``, in turn),
/// in the wire format of `schemas/job.v1.json`, each checked by the worker's own decoder before
/// it is enqueued.
enum DemoJobs {
    private struct Message: Encodable {
        var role: String
        var content: String
    }

    private struct Input: Encodable {
        var system: String
        var messages: [Message]
        var maxTokens: Int
        var temperature: Double
    }

    private struct JobMessage: Encodable {
        var id: String
        var workload: String
        var input: Input
        var metadata: [String: String]
    }

    /// `count` job records for `config`'s jobs topic, keyed by job id (`demo-0001-ticket-...`).
    static func records(count: Int, config: UnderstudyConfig) throws -> [KafkaRecord] {
        let samples = SampleTexts.all
        guard !samples.isEmpty else { throw DemoError("no bundled sample texts") }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let decoder = JobDecoder(config: config)
        let width = String(count).count
        return try (0..<count).map { index in
            let sample = samples[index % samples.count]
            let number = String(repeating: "0", count: max(0, width - String(index + 1).count)) + String(index + 1)
            let id = "demo-\(number)-\(sample.id)"
            let job = JobMessage(
                id: id, workload: DemoConfig.workload,
                input: Input(
                    system: "Summarize this for a support lead in 3 bullets.",
                    messages: [Message(role: "user", content: sample.text)], maxTokens: 300, temperature: 0
                ),
                metadata: ["tenant": "demo", "sample": sample.id]
            )
            let bytes = Array(try encoder.encode(job))
            do {
                _ = try decoder.decode(bytes)
            } catch {
                throw DemoError("demo job \(id) is invalid: \(error)")
            }
            return KafkaRecord(topic: config.kafka.topics.jobs, key: Array(id.utf8), value: bytes)
        }
    }
}
