import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A process the rig started, ended only by its own PID. Output goes to a log file that tests can
/// read (and that the rig prints when a test fails to start something).
package final class ChildProcess: Sendable {
    package let pid: Int32
    package let logPath: String
    /// The exit status once the process was reaped; `nil` while it runs.
    private let exit = Mutex<Int32?>(nil)

    /// Starts `executable` with `arguments` (with `environment`, else this process's); stdout and
    /// stderr go to `logPath`.
    package init(executable: String, arguments: [String], environment: [String: String]? = nil, logPath: String) throws {
        guard FileManager.default.createFile(atPath: logPath, contents: nil) else { throw RigError("cannot write \(logPath)") }
        self.pid = try Spawn.start(
            executable, arguments: arguments, environment: environment ?? ProcessInfo.processInfo.environment, output: logPath
        )
        self.logPath = logPath
    }

    /// The exit status if the process has ended (reaping it the first time), else `nil`.
    private func status(wait: Bool = false) -> Int32? {
        exit.withLock { exit in
            if exit == nil, let status = Spawn.exitStatus(pid, wait: wait) { exit = status }
            return exit
        }
    }

    package var isRunning: Bool { status() == nil }

    /// The log so far.
    package func output() -> String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    /// Sends `signal` to the process.
    package func send(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Waits for the process to exit (polling, up to `timeout`); its exit status, or `nil` if it
    /// is still running.
    package func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = status() { return status }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return status()
    }

    /// Ends the process: SIGTERM, then SIGKILL after `grace`. Returns its exit status.
    @discardableResult
    package func stop(grace: Duration = .seconds(5)) async -> Int32? {
        if let status = status() { return status }
        send(SIGTERM)
        if let status = await waitForExit(timeout: grace) { return status }
        send(SIGKILL)
        return await waitForExit(timeout: .seconds(5))
    }

    deinit {
        if status() == nil {
            kill(pid, SIGKILL)
            _ = status(wait: true)
        }
    }
}
