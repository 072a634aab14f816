import Foundation

/// Debian's `chromium` in headless mode, for the tests that check a page as a browser renders
/// it: the DOM after loading, and a screenshot. `scripts/setup.sh` installs it.
package enum HeadlessChromium {
    /// The browser binary: `$UNDERSTUDY_CHROMIUM`, else `chromium` on the PATH.
    package static func executable() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["UNDERSTUDY_CHROMIUM"], FileManager.default.isExecutableFile(atPath: path) { return path }
        for directory in (environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            for name in ["chromium", "chromium-browser"] {
                let candidate = "\(directory)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        throw RigError("chromium not found: run scripts/setup.sh (it installs Debian's chromium) or set UNDERSTUDY_CHROMIUM")
    }

    /// The serialized DOM of the local page `path` after it loaded (with no network: the page
    /// must stand alone).
    package static func dom(of path: String, timeout: Duration = .seconds(60)) async throws -> String {
        try await dom(url: URL(fileURLWithPath: path).absoluteString, timeout: timeout)
    }

    /// The serialized DOM of the page at `url` (a loopback server of the test's), after
    /// `settleMs` of the page's own time (long enough for server-sent events to arrive and be
    /// drawn; the page's streams must end now and then, or its virtual time never runs out), or
    /// just after it loaded.
    package static func dom(url: String, settleMs: Int? = nil, timeout: Duration = .seconds(60)) async throws -> String {
        let settle = settleMs.map { ["--virtual-time-budget=\($0)"] } ?? []
        let output = try await run(settle + ["--dump-dom", url], timeout: timeout)
        guard let start = output.range(of: "<html") else { throw RigError("chromium printed no DOM:\n\(output.suffix(2_000))") }
        return String(output[start.lowerBound...])
    }

    /// Renders the local page `path` into the PNG `screenshot`, `width` by `height` pixels.
    package static func screenshot(of path: String, to screenshot: String, width: Int = 1_200, height: Int = 2_400) async throws {
        try? FileManager.default.removeItem(atPath: screenshot)
        let output = try await run(
            ["--screenshot=\(screenshot)", "--window-size=\(width),\(height)", URL(fileURLWithPath: path).absoluteString],
            timeout: .seconds(60))
        guard FileManager.default.fileExists(atPath: screenshot) else { throw RigError("chromium wrote no screenshot:\n\(output.suffix(2_000))") }
    }

    private static func run(_ arguments: [String], timeout: Duration) async throws -> String {
        let profile = NSTemporaryDirectory() + Rig.unique("chromium-profile")
        defer { try? FileManager.default.removeItem(atPath: profile) }
        let log = NSTemporaryDirectory() + Rig.unique("chromium") + ".log"
        defer { try? FileManager.default.removeItem(atPath: log) }
        // Root in CI needs --no-sandbox; the rest keeps a headless run quiet and offline.
        let flags = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
            "--disable-background-networking", "--user-data-dir=\(profile)",
        ]
        let process = try ChildProcess(executable: try executable(), arguments: flags + arguments, logPath: log)
        guard let status = await process.waitForExit(timeout: timeout) else {
            await process.stop()
            throw RigError("chromium did not finish within \(timeout):\n\(process.output().suffix(2_000))")
        }
        let output = process.output()
        guard status == 0 else { throw RigError("chromium exited \(status):\n\(output.suffix(2_000))") }
        return output
    }
}
