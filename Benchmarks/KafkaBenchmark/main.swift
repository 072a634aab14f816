// Produce and consume throughput of 100-byte messages through the Swift API a caller really uses
// (awaited `KafkaProducer.send([KafkaRecord])` batches; the `KafkaConsumer.messages` async
// sequence), beside librdkafka's own `rdkafka_performance` on the same Tansu broker, in the same run.
//
//   swift run -c release KafkaBenchmark [messages] [batch] [batchesInFlight] [rounds]
//
// Targets (issue 2): produce at least 80% of rdkafka_performance's rate, consume at least 50%.
// On a shared 2-core machine one run of either tool varies by a third, so the tools take turns
// for several rounds (fresh topics each round) and the table reports the medians, with every
// round's ratio beside them.
import Foundation
import Kafka
import Logging
import UnderstudyTesting

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let messageCount = arguments.count > 0 ? arguments[0] : 500_000
let batchSize = arguments.count > 1 ? arguments[1] : 10_000
let batchesInFlight = arguments.count > 2 ? arguments[2] : 4
let rounds = arguments.count > 3 ? max(1, arguments[3]) : 5
let messageSize = 100
let partitions = 1
let rdkafkaPerformance = "/usr/local/bin/rdkafka_performance"

let logger: Logger = {
    var logger = Logger(label: "understudy.benchmark")
    logger.logLevel = .error
    return logger
}()

/// The producer settings both sides use: idempotent, acks=all, linger 5 ms.
let lingerMs = 5
let groupSettings = ["session.timeout.ms": "6000", "heartbeat.interval.ms": "500"]

struct BenchmarkFailure: Error, CustomStringConvertible {
    var description: String
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// Produces `count` records in batches, keeping `inFlight` batches awaiting their deliveries.
func produceOurs(broker: TansuBroker, topic: String, count: Int) async throws -> Double {
    let producer = try KafkaProducer(
        configuration: KafkaProducerConfiguration(
            common: KafkaConfiguration(bootstrapServers: broker.bootstrapServers), linger: .milliseconds(lingerMs)
        ),
        logger: logger
    )
    let payload = [UInt8](repeating: 0x61, count: messageSize)
    let clock = ContinuousClock()
    let start = clock.now
    let failures = try await withThrowingTaskGroup(of: Int.self) { group in
        var failures = 0
        var sent = 0
        var running = 0
        while sent < count || running > 0 {
            if sent < count && running < batchesInFlight {
                let size = min(batchSize, count - sent)
                sent += size
                running += 1
                group.addTask {
                    let records = [KafkaRecord](repeating: KafkaRecord(topic: topic, key: nil, value: payload), count: size)
                    let results = await producer.send(records)
                    return results.reduce(0) { failed, result in
                        if case .failure = result { return failed + 1 }
                        return failed
                    }
                }
                continue
            }
            failures += try await group.next() ?? 0
            running -= 1
        }
        return failures
    }
    let elapsed = clock.now - start
    await producer.close(timeout: .seconds(10))
    if failures > 0 { throw BenchmarkFailure(description: "\(failures) deliveries failed") }
    return Double(count) / seconds(elapsed)
}

/// Reads `count` messages through the async sequence (in batches), timed from the first message.
func consumeOurs(broker: TansuBroker, topic: String, count: Int) async throws -> Double {
    let consumer = try KafkaConsumer(
        configuration: KafkaConsumerConfiguration(
            common: KafkaConfiguration(bootstrapServers: broker.bootstrapServers, properties: groupSettings),
            groupID: "bench-ours-\(UUID().uuidString.prefix(8))", sessionTimeout: .seconds(6), heartbeatInterval: .milliseconds(500)
        ),
        topics: [topic], logger: logger
    )
    let clock = ContinuousClock()
    var first: ContinuousClock.Instant?
    var received = 0
    var bytes = 0
    var iterator = consumer.messages.makeAsyncIterator()
    var batches = 0
    var gaps: [(Duration, Int)] = []
    var previous = clock.now
    while received < count, let batch = await iterator.nextBatch(max: 4096) {
        if first == nil { first = clock.now }
        let now = clock.now
        gaps.append((now - previous, received))
        previous = now
        batches += 1
        received += batch.count
        for message in batch { bytes &+= message.value.count }
    }
    let elapsed = clock.now - (first ?? clock.now)
    if ProcessInfo.processInfo.environment["KAFKA_BENCHMARK_DEBUG"] != nil {
        print("debug: consumed in \(batches) hand-overs, \(received / max(1, batches)) messages each on average")
        let longest = gaps.dropFirst().sorted { $0.0 > $1.0 }.prefix(3).map { "\($0.0) after \($0.1) messages" }
        print("debug: longest waits for a hand-over: \(longest.joined(separator: ", "))")
    }
    await consumer.close()
    guard received >= count, bytes >= count * messageSize else {
        throw BenchmarkFailure(description: "consumed \(received) of \(count)")
    }
    return Double(received) / seconds(elapsed)
}

/// Runs rdkafka_performance and returns the msgs/s of its last summary line.
func runTheirs(_ arguments: [String]) async throws -> (rate: Double, command: String) {
    let log = NSTemporaryDirectory() + "rdkafka-performance-\(UUID().uuidString.prefix(8)).log"
    let process = try ChildProcess(executable: rdkafkaPerformance, arguments: arguments, logPath: log)
    guard let status = await process.waitForExit(timeout: .seconds(300)) else {
        await process.stop()
        throw BenchmarkFailure(description: "rdkafka_performance did not finish: \(process.output())")
    }
    let output = process.output()
    try? FileManager.default.removeItem(atPath: log)
    let command = ([rdkafkaPerformance] + arguments).joined(separator: " ")
    let summary = output.split(separator: "\n").last { $0.contains(" msgs/s") && !$0.contains("INTERVAL") }
    guard status == 0, let summary, let range = summary.range(of: #"(\d+) msgs/s"#, options: .regularExpression) else {
        throw BenchmarkFailure(description: "no result from \(command) (exit \(status)):\n\(output)")
    }
    let rate = Double(summary[range].split(separator: " ")[0]) ?? 0
    return (rate, command)
}

func format(_ rate: Double) -> String {
    let value = Int(rate.rounded())
    var digits = Array(String(value))
    var index = digits.count - 3
    while index > 0 {
        digits.insert(",", at: index)
        index -= 3
    }
    return String(digits)
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
}

let broker = try await TansuBroker.start()
do {
    print(
        "KafkaBenchmark: \(messageCount) messages of \(messageSize) bytes, \(partitions) partition(s), \(rounds) rounds, Tansu at \(broker.bootstrapServers)"
    )
    print("ours: send([KafkaRecord]) batches of \(batchSize), \(batchesInFlight) in flight; messages.nextBatch(max: 4096)")
    var measured: [String: (ours: [Double], theirs: [Double])] = ["produce": ([], []), "consume": ([], [])]
    var commands: [String] = []
    for round in 1...rounds {
        let ours = "bench-ours-\(UUID().uuidString.prefix(8))"
        let theirs = "bench-theirs-\(UUID().uuidString.prefix(8))"
        try await broker.createTopic(ours, partitions: partitions)
        try await broker.createTopic(theirs, partitions: partitions)
        let theirsProduce = try await runTheirs([
            "-P", "-t", theirs, "-s", "\(messageSize)", "-c", "\(messageCount)", "-b", broker.bootstrapServers,
            "-a", "-1", "-X", "enable.idempotence=true", "-X", "linger.ms=\(lingerMs)",
        ])
        let oursProduce = try await produceOurs(broker: broker, topic: ours, count: messageCount)
        let theirsConsume = try await runTheirs([
            "-C", "-G", "bench-theirs-\(UUID().uuidString.prefix(8))", "-t", theirs, "-c", "\(messageCount)", "-b", broker.bootstrapServers,
            "-X", "auto.offset.reset=earliest", "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500",
        ])
        // Both consumers read the same topic (the one rdkafka_performance produced), so that the
        // batch layout on the broker is the same for both.
        let oursConsume = try await consumeOurs(broker: broker, topic: theirs, count: messageCount)
        measured["produce"]?.ours.append(oursProduce)
        measured["produce"]?.theirs.append(theirsProduce.rate)
        measured["consume"]?.ours.append(oursConsume)
        measured["consume"]?.theirs.append(theirsConsume.rate)
        print(
            "round \(round): produce \(format(oursProduce)) vs \(format(theirsProduce.rate)) (\(String(format: "%.0f%%", oursProduce / theirsProduce.rate * 100))), "
                + "consume \(format(oursConsume)) vs \(format(theirsConsume.rate)) (\(String(format: "%.0f%%", oursConsume / theirsConsume.rate * 100)))"
        )
        commands = [theirsProduce.command, theirsConsume.command]
    }

    print("")
    print("| path    | ours msgs/s (median) | rdkafka_performance msgs/s (median) | ratio of medians | per-round ratios | target | met |")
    print("|---------|----------------------|-------------------------------------|------------------|------------------|--------|-----|")
    for (name, target) in [("produce", 0.8), ("consume", 0.5)] {
        let values = measured[name] ?? ([], [])
        let ours = median(values.ours)
        let theirs = median(values.theirs)
        let ratio = theirs > 0 ? ours / theirs : 0
        let perRound = zip(values.ours, values.theirs).map { String(format: "%.0f%%", $0 / $1 * 100) }.joined(separator: " ")
        print(
            "| \(name) | \(format(ours)) | \(format(theirs)) | \(String(format: "%.0f%%", ratio * 100)) | \(perRound) | "
                + "≥ \(Int(target * 100))% | \(ratio >= target ? "yes" : "NO") |"
        )
    }
    print("")
    print(
        "reproduce: swift build -c release --product KafkaBenchmark && .build/release/KafkaBenchmark \(messageCount) \(batchSize) \(batchesInFlight) \(rounds)"
    )
    print("theirs (topic and broker differ per run):")
    for command in commands { print("  \(command)") }
    await broker.stop()
} catch {
    await broker.stop()
    print("KafkaBenchmark failed: \(error)")
    exit(1)
}
