import Foundation
import UnderstudyTesting

/// Runs `scripts/validate-json.py` (Python's `jsonschema`) over JSON documents, so the tests check
/// what Swift writes against the schema files themselves. Python is `$UNDERSTUDY_PYTHON` if set,
/// else `python3` on the PATH.
enum JSONSchemaValidator {
    typealias Report = SchemaCheck.Report

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

    /// Validates each document (one JSON document per element) against `schemas/NAME.v1.json`,
    /// through the rig's ``SchemaCheck`` (one way of running the validator).
    static func validate(_ documents: [Data], against name: String) throws -> Report {
        try SchemaCheck.validate(documents.map { Array($0) }, schema: name)
    }

    static func validate(_ documents: [String], against name: String) throws -> Report {
        try validate(documents.map { Data($0.utf8) }, against: name)
    }
}
