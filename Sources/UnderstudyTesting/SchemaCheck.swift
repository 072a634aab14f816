import Foundation

/// Validates JSON documents against the project's schemas (`schemas/NAME.v1.json`) with Python's
/// `jsonschema`, through `scripts/validate-json.py`.
package enum SchemaCheck {
    /// What the validator said: its exit status (0: every document valid, 1: some invalid) and
    /// its report, a line per invalid document (`line N: ...`).
    package struct Report: Sendable {
        package var exitCode: Int32
        package var output: String
        package var isValid: Bool { exitCode == 0 }
    }

    /// The validator's complaints about `documents` (empty when all are valid).
    package static func failures(_ documents: [[UInt8]], schema: String) throws -> [String] {
        guard !documents.isEmpty else { return [] }
        let report = try validate(documents, schema: schema)
        if report.isValid { return [] }
        return report.output.split(separator: "\n").map(String.init) + (report.output.isEmpty ? ["validator exited \(report.exitCode)"] : [])
    }

    /// Runs the validator over `documents`, one per line (newlines inside a document become spaces).
    package static func validate(_ documents: [[UInt8]], schema: String) throws -> Report {
        let directory = NSTemporaryDirectory() + Rig.unique("schema-check")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let input = directory + "/documents.jsonl"
        let output = directory + "/report.txt"
        let lines = documents.map { String(decoding: $0, as: UTF8.self).replacingOccurrences(of: "\n", with: " ") }.joined(separator: "\n") + "\n"
        try lines.write(toFile: input, atomically: false, encoding: .utf8)
        let python = RigPaths.python()
        var executable = python
        var arguments: [String] = []
        if python.hasPrefix("/usr/bin/env ") {
            executable = "/usr/bin/env"
            arguments = [String(python.dropFirst("/usr/bin/env ".count))]
        }
        arguments += [RigPaths.packageRoot.appendingPathComponent("scripts/validate-json.py").path, schema, "-"]
        let pid = try Spawn.start(executable, arguments: arguments, environment: ProcessInfo.processInfo.environment, input: input, output: output)
        let status = Spawn.exitStatus(pid, wait: true) ?? -1
        return Report(exitCode: status, output: (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
    }
}
