import Foundation
import Kafka
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// A Tansu broker (Apache-Kafka-compatible, in-memory storage) on a free loopback port, for one
/// test. Start it with ``start(logger:)`` and always ``stop()`` it (or use ``withTansu(_:)``).
///
/// What Tansu 0.6.0 can and cannot show is written in the README's delivery section: its high
/// watermarks are wrong with memory storage, and `read_committed` readers see aborted records.
package final class TansuBroker: Sendable {
    package let port: Int
    package let process: ChildProcess
    package var bootstrapServers: String { "127.0.0.1:\(port)" }

    private init(port: Int, process: ChildProcess) {
        self.port = port
        self.process = process
    }

    /// Starts a broker and waits until it accepts connections.
    package static func start() async throws -> TansuBroker {
        let binary = try RigPaths.tansu()
        var lastError = ""
        for _ in 0..<5 {
            let port = try FreePort.next()
            let url = "tcp://127.0.0.1:\(port)"
            let log = NSTemporaryDirectory() + "tansu-\(port)-\(UUID().uuidString.prefix(8)).log"
            let process = try ChildProcess(
                executable: binary,
                arguments: ["broker", "--listener-url", url, "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"],
                logPath: log
            )
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline && process.isRunning {
                if FreePort.isListening(port) { return TansuBroker(port: port, process: process) }
                try await Task.sleep(for: .milliseconds(20))
            }
            lastError = process.output()
            await process.stop()
        }
        throw RigError("Tansu did not start: \(lastError)")
    }

    /// Creates a topic with `partitions` partitions through the Kafka admin API.
    package func createTopic(_ name: String, partitions: Int, configs: [String: String] = [:]) async throws {
        let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: bootstrapServers), logger: Rig.logger)
        defer { admin.close() }
        try await admin.createTopics([KafkaTopicSpec(name: name, partitions: partitions, configs: configs)], timeout: .seconds(10))
    }

    /// Freezes the broker process (SIGSTOP, by its PID): its sockets stay open and accept
    /// connections, but nothing answers, like a broker stuck in a long GC pause or a frozen VM.
    package func freeze() {
        process.send(SIGSTOP)
    }

    /// Lets a frozen broker run again (SIGCONT); it answers what queued up meanwhile.
    package func thaw() {
        process.send(SIGCONT)
    }

    /// Stops the broker process (by its PID), thawing it first if it was frozen.
    package func stop() async {
        process.send(SIGCONT)
        await process.stop()
    }
}

/// Runs `body` with a fresh broker and stops the broker afterwards, whatever happens.
package func withTansu<T>(_ body: (TansuBroker) async throws -> T) async throws -> T {
    let broker = try await TansuBroker.start()
    do {
        let result = try await body(broker)
        await broker.stop()
        return result
    } catch {
        await broker.stop()
        throw error
    }
}
