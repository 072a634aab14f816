import Foundation
import Synchronization

/// A process the rig started, ended only by its own PID. Output goes to a log file that tests can
/// read (and that the rig prints when a test fails to start something).
public final class ChildProcess: Sendable {
    public let pid: Int32
    public let logPath: String
    private let process: Mutex<Process?>

    /// Starts `executable` with `arguments`; stdout and stderr go to `logPath`.
    public init(executable: String, arguments: [String], environment: [String: String]? = nil, logPath: String) throws {
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        guard let log = FileHandle(forWritingAtPath: logPath) else { throw RigError("cannot write \(logPath)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.pid = process.processIdentifier
        self.logPath = logPath
        self.process = Mutex(process)
    }

    public var isRunning: Bool { process.withLock { $0?.isRunning ?? false } }

    /// The log so far.
    public func output() -> String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    /// Sends `signal` to the process.
    public func send(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Waits for the process to exit (polling, up to `timeout`); its exit status, or `nil` if it
    /// is still running.
    public func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = process.withLock({ $0.flatMap { $0.isRunning ? nil : $0.terminationStatus } }) { return status }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    /// Ends the process: SIGTERM, then SIGKILL after `grace`. Returns its exit status.
    @discardableResult
    public func stop(grace: Duration = .seconds(5)) async -> Int32? {
        guard isRunning else { return process.withLock { $0?.terminationStatus } }
        send(SIGTERM)
        if let status = await waitForExit(timeout: grace) { return status }
        send(SIGKILL)
        return await waitForExit(timeout: .seconds(5))
    }

    deinit {
        process.withLock { process in
            if let process, process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
    }
}
