import Foundation

/// Validates JSON documents against the project's schemas (`schemas/NAME.v1.json`) with Python's
/// `jsonschema`, through `scripts/validate-json.py`.
public enum SchemaCheck {
    /// The validator's complaints about `documents` (empty when all are valid).
    public static func failures(_ documents: [[UInt8]], schema: String) throws -> [String] {
        guard !documents.isEmpty else { return [] }
        let input = documents.map { String(decoding: $0, as: UTF8.self).replacingOccurrences(of: "\n", with: " ") }.joined(separator: "\n") + "\n"
        let process = Process()
        let python = RigPaths.python()
        if python.hasPrefix("/usr/bin/env ") {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [String(python.dropFirst("/usr/bin/env ".count))]
        } else {
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = []
        }
        process.arguments? += [RigPaths.packageRoot.appendingPathComponent("scripts/validate-json.py").path, schema, "-"]
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stdout
        try process.run()
        let writer = Thread {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: output, as: UTF8.self)
        if process.terminationStatus == 0 { return [] }
        return text.split(separator: "\n").map(String.init) + (text.isEmpty ? ["validator exited \(process.terminationStatus)"] : [])
    }
}
