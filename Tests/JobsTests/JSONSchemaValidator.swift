import Foundation

/// Runs `scripts/validate-json.py` (Python's `jsonschema`) over JSON documents, so the tests check
/// what Swift writes against the schema files themselves. Python is `$UNDERSTUDY_PYTHON` if set,
/// else `python3` on the PATH.
enum JSONSchemaValidator {
    struct Report {
        var exitCode: Int32
        var output: String
        var isValid: Bool { exitCode == 0 }
    }

    /// The repository root: `$UNDERSTUDY_ROOT`, else found from this file's real location.
    static var repositoryRoot: URL {
        if let root = ProcessInfo.processInfo.environment["UNDERSTUDY_ROOT"], !root.isEmpty {
            return URL(fileURLWithPath: root)
        }
        let file = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        return file.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func schemaURL(_ name: String) -> URL {
        repositoryRoot.appendingPathComponent("schemas/\(name).v1.json")
    }

    /// Validates each document (one JSON document per element) against `schemas/NAME.v1.json`.
    static func validate(_ documents: [Data], against name: String) throws -> Report {
        let process = Process()
        let python = ProcessInfo.processInfo.environment["UNDERSTUDY_PYTHON"].flatMap { $0.isEmpty ? nil : $0 } ?? "python3"
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            python, repositoryRoot.appendingPathComponent("scripts/validate-json.py").path, schemaURL(name).path,
        ]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        var lines = Data()
        for document in documents {
            lines.append(document)
            lines.append(0x0A)
        }
        try input.fileHandleForWriting.write(contentsOf: lines)
        try input.fileHandleForWriting.close()
        let text = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Report(exitCode: process.terminationStatus, output: String(decoding: text, as: UTF8.self))
    }

    static func validate(_ documents: [String], against name: String) throws -> Report {
        try validate(documents.map { Data($0.utf8) }, against: name)
    }
}
