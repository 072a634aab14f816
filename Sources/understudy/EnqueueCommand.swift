import ArgumentParser
import Foundation
import Jobs
import Kafka
import Worker

/// `understudy enqueue --config FILE JOBS.jsonl`: validates each job line and produces the valid
/// ones, keyed by job id; invalid lines are reported with their line number and not sent.
struct EnqueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enqueue",
        abstract: "Validate jobs (one JSON object per line) and put them on the jobs topic."
    )

    @Option(name: .long, help: "The YAML config file.")
    var config: String

    @Argument(help: "A JSON Lines file of jobs, or - for standard input.")
    var jobs: String

    func run() async throws {
        let logger = CommandSupport.bootstrapLogging(level: "warning")
        let config = try CommandSupport.loadConfig(config)
        let input: Data
        if jobs == "-" {
            input = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let data = FileManager.default.contents(atPath: jobs) else {
                CommandSupport.printError("cannot read \(jobs)")
                throw ExitCode(2)
            }
            input = data
        }
        let decoder = JobDecoder(config: config)
        var records: [KafkaRecord] = []
        var rejected = 0
        for (index, line) in input.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let bytes = Array(line)
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            do {
                let job = try decoder.decode(bytes)
                records.append(KafkaRecord(topic: config.jobsTopic(for: job.workload), key: Array(job.id.utf8), value: bytes))
            } catch {
                rejected += 1
                CommandSupport.printError("line \(index + 1): \(error.code.rawValue): \(error.message)")
            }
        }
        try await TopicSetup.prepare(config: config, logger: logger)
        let producer = try KafkaProducer(configuration: WorkerKafkaSettings(config: config).producerForEnqueue, logger: logger)
        var failed = 0
        for start in stride(from: 0, to: records.count, by: 10_000) {
            let chunk = Array(records[start..<min(records.count, start + 10_000)])
            for result in await producer.send(chunk) {
                if case .failure(let error) = result {
                    failed += 1
                    CommandSupport.printError("not enqueued: \(error)")
                }
            }
        }
        await producer.close(timeout: .seconds(30))
        let topics = records.isEmpty ? [config.kafka.topics.jobs] : Set(records.map(\.topic)).sorted()
        print("enqueued \(records.count - failed) jobs to \(topics.joined(separator: ", ")); \(rejected) lines rejected")
        if rejected > 0 || failed > 0 { throw ExitCode(1) }
    }
}
