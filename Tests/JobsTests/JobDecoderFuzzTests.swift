import Completions
import Failover
import Foundation
import FuzzTesting
import Testing

@testable import Jobs

/// Seeded fuzzing of the job decoder: random documents, documents shaped like jobs with random
/// values in every field, and byte-level mutations of valid jobs. Every input must end in a
/// decoded job within its workload's limits or a classified ``JobRejection``; a trap takes the
/// test process down (the seed is printed first, see `Fuzz`).
@Suite("Job decoder fuzzing")
struct JobDecoderFuzzTests {
    static let codes: Set<JobRejection.Code> = [.invalidJSON, .schemaViolation, .unknownWorkload, .routeNotApproved, .tooLarge, .overLimit]

    /// Random JSON text, possibly with duplicate keys and numbers at the edges.
    static func randomJSON(_ random: inout FuzzRandom, depth: Int = 0) -> String {
        let choice = depth > 4 ? random.below(4) : random.below(7)
        switch choice {
        case 0: return random.pick(["null", "true", "false"])
        case 1: return random.pick(JobsFuzzPieces.numbers)
        case 2, 3: return "\"" + random.pick(JobsFuzzPieces.strings) + "\""
        case 4:
            let count = random.below(4)
            return "[" + (0..<count).map { _ in randomJSON(&random, depth: depth + 1) }.joined(separator: ",") + "]"
        default:
            let keys = ["id", "workload", "input", "routing", "type", "schema", "role", "content", "a", "a", "properties", "minLength", "maximum"]
            let count = random.below(4)
            let members = (0..<count).map { _ in "\"\(random.pick(keys))\":" + randomJSON(&random, depth: depth + 1) }
            return "{" + members.joined(separator: ",") + "}"
        }
    }

    /// A document shaped like a job whose fields are valid or random.
    static func jobLike(_ random: inout FuzzRandom) -> String {
        func field(_ valid: String) -> String {
            random.oneIn(3) ? randomJSON(&random) : valid
        }
        let message = "{\"role\":\(field("\"user\"")),\"content\":\(field("\"hi\""))}"
        let messages =
            random.oneIn(8) ? randomJSON(&random) : "[" + Array(repeating: message, count: 1 + random.below(3)).joined(separator: ",") + "]"
        var input = ["\"messages\":" + messages]
        if random.oneIn(2) { input.append("\"max_tokens\":" + field("300")) }
        if random.oneIn(2) { input.append("\"temperature\":" + field("0.5")) }
        if random.oneIn(3) { input.append("\"stop_sequences\":" + field("[\"END\"]")) }
        if random.oneIn(2) {
            let schema =
                random.oneIn(2)
                ? randomJSON(&random)
                : "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"maxLength\":\(random.pick(JobsFuzzPieces.numbers))}}}"
            input.append("\"response_format\":" + field("{\"type\":\"json_schema\",\"schema\":\(schema)}"))
        }
        var routing: [String] = []
        if random.oneIn(2) {
            routing.append("\"routes\":" + field("[{\"provider\":\"claude-direct\",\"model\":\"claude-sonnet-4-5\"}]"))
        }
        for key in ["max_attempts", "attempt_timeout_ms", "deadline_ms", "hedge_after_ms"] where random.oneIn(2) {
            routing.append("\"\(key)\":" + random.pick(JobsFuzzPieces.numbers))
        }
        if random.oneIn(3) { routing.append("\"fail_over_on\":" + field("[\"timeout\",\"timeout\"]")) }
        var members = [
            "\"id\":" + field(random.oneIn(4) ? "\"" + String(repeating: "é", count: random.pick([255, 256, 257, 2_048, 2_049])) + "\"" : "\"j-1\""),
            "\"workload\":" + field("\"support-summaries\""),
            "\"input\":" + (random.oneIn(6) ? randomJSON(&random) : "{" + input.joined(separator: ",") + "}"),
        ]
        if random.oneIn(2) { members.append("\"routing\":" + (random.oneIn(6) ? randomJSON(&random) : "{" + routing.joined(separator: ",") + "}")) }
        if random.oneIn(3) { members.append("\"expires_at\":" + field("\"2026-11-24T22:10:03Z\"")) }
        if random.oneIn(3) { members.append("\"metadata\":" + randomJSON(&random)) }
        if random.oneIn(8) { members.append(members[random.below(members.count)]) }  // a duplicate key
        members.shuffle(using: &random)
        return "{" + members.joined(separator: ",") + "}"
    }

    /// One input: a job-like document, a random document, or a mutated valid job.
    static func input(_ random: inout FuzzRandom) -> [UInt8] {
        switch random.below(4) {
        case 0: return Array(randomJSON(&random).utf8)
        case 1, 2: return Array(jobLike(&random).utf8)
        default:
            var bytes = Array(random.oneIn(2) ? Fixtures.jobJSON.utf8 : jobLike(&random).utf8)
            for _ in 0..<(1 + random.below(4)) {
                FuzzBytes.mutate(
                    &bytes, &random, tokens: ["\"id\":", "\"routing\":", ",", ":", "{", "}", "[", "]", "\"", "\\u"],
                    numbers: JobsFuzzPieces.numbers)
            }
            return bytes
        }
    }

    @Test("random and mutated jobs decode or are classified, never trap")
    func fuzzJobDecoder() throws {
        let decoder = try Fixtures.decoder()
        var decoded = 0
        var codes: [JobRejection.Code: Int] = [:]
        Fuzz.run("JobDecoder") { random, replay in
            let bytes = Self.input(&random)
            do throws(JobRejection) {
                let job = try decoder.decode(bytes)
                decoded += 1
                let workload = decoder.workloads[job.workload]
                let limits = workload?.limits ?? .defaults
                #expect(workload != nil, "\(replay)")
                #expect(!job.id.isEmpty && job.id.utf8.count <= limits.maxJobIDBytes, "\(replay)")
                #expect(job.policy.maxAttempts <= limits.maxAttempts, "\(replay)")
                #expect(job.policy.deadline <= .milliseconds(limits.maxDeadlineMs), "\(replay)")
                #expect(job.policy.attemptTimeout <= .milliseconds(limits.maxAttemptTimeoutMs), "\(replay)")
                #expect(job.request.messages.count <= JobLimits.maxMessages, "\(replay)")
            } catch {
                codes[error.code, default: 0] += 1
                #expect(Self.codes.contains(error.code), "unclassified \(error.code): \(replay)")
                #expect(!error.detail.isEmpty, "\(replay)")
                if error.code == .schemaViolation || error.code == .overLimit {
                    #expect(error.fieldPath?.isEmpty == false, "\(error) has no field: \(replay)")
                }
            }
        }
        let summary = codes.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        FileHandle.standardError.write(Data("fuzz JobDecoder: \(decoded) decoded; rejected: \(summary)\n".utf8))
        // The generator must reach past the parser, or it tests only the parser.
        #expect(decoded > 0 || codes.count >= 3, "\(codes)")
        #expect((codes[.schemaViolation] ?? 0) > 0)
    }

    @Test("the edge cases named in the issue, one by one")
    func edgeCases() throws {
        let decoder = try Fixtures.decoder()
        let template = #"{"id":"j","workload":"support-summaries","input":{"messages":[{"role":"user","content":"x"}],"max_tokens":N}}"#
        for number in JobsFuzzPieces.numbers {
            let bytes = Array(template.replacingOccurrences(of: "N", with: number).utf8)
            do {
                let job = try decoder.decode(bytes)
                #expect((1...1_000_000).contains(job.request.maxTokens))
            } catch {
                #expect(Self.codes.contains(error.code), "\(number): \(error)")
            }
        }
        for key in ["max_attempts", "attempt_timeout_ms", "deadline_ms", "hedge_after_ms"] {
            for number in JobsFuzzPieces.numbers {
                let text = #"{"id":"j","workload":"support-summaries","input":{"messages":[{"role":"user","content":"x"}]},"routing":{"K":N}}"#
                let bytes = Array(text.replacingOccurrences(of: "K", with: key).replacingOccurrences(of: "N", with: number).utf8)
                do {
                    _ = try decoder.decode(bytes)
                } catch {
                    #expect(error.code == .schemaViolation || error.code == .overLimit || error.code == .invalidJSON, "\(key) \(number): \(error)")
                }
            }
        }
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: JobRejection.self) { try decoder.decode(Array(deep.utf8)) }
        var invalid = Array(#"{"id":"j","workload":"support-summaries","input":{"messages":[{"role":"user","content":"X"}]}}"#.utf8)
        let marker = try #require(invalid.firstIndex(of: UInt8(ascii: "X")))
        invalid.replaceSubrange(marker...marker, with: [0xED, 0xA0, 0x80])
        do {
            _ = try decoder.decode(invalid)
            Issue.record("invalid UTF-8 decoded")
        } catch {
            #expect(error.code == .invalidJSON)
        }
    }
}
