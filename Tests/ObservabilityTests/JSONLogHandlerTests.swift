import Foundation
import Logging
import Observability
import Synchronization
import Testing

/// Collects every line a handler writes.
private final class LineRecorder: Sendable {
    private let storage = Mutex<[String]>([])

    var lines: [String] { self.storage.withLock { $0 } }

    var sink: JSONLogHandler.Sink {
        { line in self.storage.withLock { $0.append(line) } }
    }
}

private struct SampleError: Error, CustomStringConvertible {
    var description: String { "disk on fire" }
}

private let fixedTime = Date(timeIntervalSince1970: 1_796_040_000.123)

private func makeLogger(
    _ recorder: LineRecorder,
    label: String = "understudy.test",
    level: Logger.Level = .trace,
    metadata: Logger.Metadata = [:],
    provider: Logger.MetadataProvider? = nil,
    maxValueBytes: Int = JSONLogHandler.defaultMaxValueBytes,
    maxLineBytes: Int = JSONLogHandler.defaultMaxLineBytes
) -> Logger {
    Logger(label: label) { label in
        JSONLogHandler(
            label: label,
            logLevel: level,
            metadata: metadata,
            metadataProvider: provider,
            maxValueBytes: maxValueBytes,
            maxLineBytes: maxLineBytes,
            clock: { fixedTime },
            sink: recorder.sink
        )
    }
}

private func parse(_ line: String) throws -> [String: Any] {
    #expect(!line.contains("\n"))
    let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
    return try #require(object as? [String: Any])
}

private func onlyLine(_ recorder: LineRecorder) throws -> (line: String, object: [String: Any]) {
    let lines = recorder.lines
    try #require(lines.count == 1)
    return (lines[0], try parse(lines[0]))
}

@Suite struct JSONLogHandlerTests {
    @Test func writesFieldsInOrder() throws {
        let recorder = LineRecorder()
        let logger = makeLogger(recorder)
        logger.info("hello", metadata: ["gen_ai.provider.name": "openai", "attempt": .stringConvertible(3)])

        let (line, object) = try onlyLine(recorder)
        #expect(object["time"] as? String == "2026-11-30T12:00:00.123Z")
        #expect(object["level"] as? String == "info")
        #expect(object["message"] as? String == "hello")
        #expect(object["logger"] as? String == "understudy.test")
        #expect(object["gen_ai.provider.name"] as? String == "openai")
        #expect(object["attempt"] as? String == "3")
        #expect(object["truncated"] == nil)
        #expect(line.hasPrefix(#"{"time":"2026-11-30T12:00:00.123Z","level":"info","message":"hello","logger":"#))
        // Metadata follows the fixed fields, sorted by key.
        #expect(line.hasSuffix(#""logger":"understudy.test","attempt":"3","gen_ai.provider.name":"openai"}"#))
    }

    @Test(arguments: [
        (0.0, "1970-01-01T00:00:00.000Z"),
        (1_709_251_199.5, "2024-02-29T23:59:59.500Z"),
        (-1.0, "1969-12-31T23:59:59.000Z"),
        (951_782_400.0, "2000-02-29T00:00:00.000Z"),
        (-62_135_596_800.0, "0001-01-01T00:00:00.000Z"),
        (-1e300, "0000-01-01T00:00:00.000Z"),
        (1e300, "9999-12-31T23:59:59.999Z"),
        // Not an instant at all: the contract's RFC3339 writes the epoch.
        (-Double.infinity, "1970-01-01T00:00:00.000Z"),
        (Double.infinity, "1970-01-01T00:00:00.000Z"),
        (Double.nan, "1970-01-01T00:00:00.000Z"),
    ])
    func formatsAndClampsTimes(seconds: Double, expected: String) throws {
        let handler = JSONLogHandler(label: "t", metadataProvider: nil, sink: { _ in })
        let event = LogEvent(level: .info, message: "m", metadata: nil, source: nil, file: "f", function: "g", line: 1)
        let object = try parse(handler.render(event, at: Date(timeIntervalSince1970: seconds)))
        #expect(object["time"] as? String == expected)
    }

    @Test func distantDatesDoNotTrap() throws {
        let handler = JSONLogHandler(label: "t", metadataProvider: nil, sink: { _ in })
        let event = LogEvent(level: .info, message: "m", metadata: nil, source: nil, file: "f", function: "g", line: 1)
        let past = try parse(handler.render(event, at: .distantPast))
        let future = try parse(handler.render(event, at: .distantFuture))
        // Foundation's distantPast is 0001-01-01 in the Julian calendar, two days later in the proleptic Gregorian one.
        #expect(past["time"] as? String == "0000-12-30T00:00:00.000Z")
        #expect(future["time"] as? String == "4001-01-01T00:00:00.000Z")
    }

    @Test func escapingRoundTrips() throws {
        let recorder = LineRecorder()
        let tricky = "say \"hi\" \\ path\nnext\tline\r\u{0}\u{1}\u{8}\u{c}\u{1F}\u{7F} 🎉👩‍👩‍👧 é ü 漢字 \u{2028}"
        let logger = makeLogger(recorder, label: "label \"quoted\"\n")
        logger.warning("\(tricky)", metadata: ["k\"ey\n": .string(tricky), "list": [.string(tricky)]])

        let (line, object) = try onlyLine(recorder)
        #expect(object["message"] as? String == tricky)
        #expect(object["logger"] as? String == "label \"quoted\"\n")
        #expect(object["k\"ey\n"] as? String == tricky)
        #expect((object["list"] as? [String]) == [tricky])
        #expect(line.contains(#"\u0000\u0001\b\f\u001f"#))
        #expect(line.contains("🎉👩‍👩‍👧 é ü 漢字"))
        #expect(!line.contains("\\ud83c"))
    }

    @Test func hugeMessageIsCut() throws {
        let recorder = LineRecorder()
        let logger = makeLogger(recorder)
        let message = String(repeating: "é", count: 50_000)  // 100,000 bytes
        logger.info("\(message)")

        let (line, object) = try onlyLine(recorder)
        #expect(line.utf8.count + 1 <= JSONLogHandler.defaultMaxLineBytes)
        let logged = try #require(object["message"] as? String)
        #expect(logged.utf8.count <= JSONLogHandler.defaultMaxValueBytes)
        let marker = try #require(logged.range(of: "…(cut "))
        let kept = logged[..<marker.lowerBound]
        #expect(kept.allSatisfy { $0 == "é" })
        #expect(kept.utf8.count > 1900)
        #expect(logged.hasSuffix("…(cut \(100_000 - kept.utf8.count) bytes)"))
    }

    @Test func cutsOnCharacterBoundaries() throws {
        let recorder = LineRecorder()
        let logger = makeLogger(recorder, maxValueBytes: 100)
        let family = "👩‍👩‍👧"  // one Character, 18 UTF-8 bytes
        logger.info("\(String(repeating: family, count: 20))")

        let (_, object) = try onlyLine(recorder)
        let logged = try #require(object["message"] as? String)
        #expect(logged.utf8.count <= 100)
        let marker = try #require(logged.range(of: "…(cut "))
        let kept = logged[..<marker.lowerBound]
        #expect(!kept.isEmpty)
        #expect(kept.allSatisfy { $0 == Character(family) })
        #expect(logged.hasSuffix("…(cut \(360 - kept.utf8.count) bytes)"))
    }

    @Test func escapeHeavyMessageStillFitsTheLine() throws {
        let recorder = LineRecorder()
        let logger = makeLogger(recorder, maxValueBytes: 100_000, maxLineBytes: 1000)
        logger.info("\(String(repeating: "\u{1}", count: 100_000))", metadata: ["a": "b"])

        let (line, object) = try onlyLine(recorder)
        #expect(line.utf8.count + 1 <= 1000)
        let logged = try #require(object["message"] as? String)
        #expect(logged.hasPrefix("\u{1}\u{1}"))
        #expect(logged.contains("…(cut "))
    }

    @Test func longMetadataStringsAreCut() throws {
        let recorder = LineRecorder()
        let logger = makeLogger(recorder, maxValueBytes: 100)
        logger.info("m", metadata: ["big": .string(String(repeating: "x", count: 5000))])

        let (_, object) = try onlyLine(recorder)
        let big = try #require(object["big"] as? String)
        #expect(big.utf8.count <= 100)
        #expect(big.hasPrefix("xxxx"))
        #expect(big.hasSuffix(" bytes)"))
    }

    @Test func hugeMetadataIsDroppedFromTheEnd() throws {
        let recorder = LineRecorder()
        let logger = makeLogger(recorder)
        var metadata: Logger.Metadata = [:]
        for index in 0..<200 {
            metadata[String(format: "key%03d", index)] = .string(String(repeating: "v", count: 1000))
        }
        logger.error("many", metadata: metadata)

        let (line, object) = try onlyLine(recorder)
        #expect(line.utf8.count + 1 <= JSONLogHandler.defaultMaxLineBytes)
        #expect(object["truncated"] as? Bool == true)
        #expect(line.hasSuffix(#","truncated":true}"#))
        #expect(object["message"] as? String == "many")
        let kept = object.keys.filter { $0.hasPrefix("key") }.sorted()
        #expect(!kept.isEmpty)
        #expect(kept.count < 200)
        // The kept members are the first ones in key order.
        #expect(kept == (0..<kept.count).map { String(format: "key%03d", $0) })
    }

    @Test func oversizedSingleMemberIsDropped() throws {
        let recorder = LineRecorder()
        let logger = makeLogger(recorder)
        let wide = Logger.Metadata.Value.array(
            (0..<64).map { _ in .array((0..<64).map { _ in .string(String(repeating: "w", count: 2000)) }) }
        )
        logger.info("m", metadata: ["a": "small", "b": wide, "c": "after"])

        let (line, object) = try onlyLine(recorder)
        #expect(line.utf8.count + 1 <= JSONLogHandler.defaultMaxLineBytes)
        #expect(object["a"] as? String == "small")
        #expect(object["b"] == nil)
        #expect(object["c"] == nil)
        #expect(object["truncated"] as? Bool == true)
    }

    @Test func collidingKeysArePrefixed() throws {
        let recorder = LineRecorder()
        let logger = makeLogger(recorder)
        logger.notice(
            "real",
            metadata: [
                "time": "t", "level": "l", "message": "m", "logger": "g", "truncated": "x", "metadata.time": "taken",
            ]
        )

        let (_, object) = try onlyLine(recorder)
        #expect(object["time"] as? String == "2026-11-30T12:00:00.123Z")
        #expect(object["level"] as? String == "notice")
        #expect(object["message"] as? String == "real")
        #expect(object["logger"] as? String == "understudy.test")
        #expect(object["truncated"] == nil)
        #expect(object["metadata.level"] as? String == "l")
        #expect(object["metadata.message"] as? String == "m")
        #expect(object["metadata.logger"] as? String == "g")
        #expect(object["metadata.truncated"] as? String == "x")
        #expect(object["metadata.time"] as? String == "taken")
        #expect(object["metadata.metadata.time"] as? String == "t")
    }

    @Test func nestedMetadataRenders() throws {
        let recorder = LineRecorder()
        let logger = makeLogger(recorder)
        logger.info(
            "nested",
            metadata: [
                "list": ["a", .stringConvertible(1), ["b", "c"], ["k": "v"]],
                "object": ["inner": ["deeper": ["x", "y"]], "flat": "z"],
                "empty": [],
                "emptyObject": [:],
            ]
        )

        let (_, object) = try onlyLine(recorder)
        let list = try #require(object["list"] as? [Any])
        #expect(list.count == 4)
        #expect(list[0] as? String == "a")
        #expect(list[1] as? String == "1")
        #expect(list[2] as? [String] == ["b", "c"])
        #expect(list[3] as? [String: String] == ["k": "v"])
        let nested = try #require(object["object"] as? [String: Any])
        #expect(nested["flat"] as? String == "z")
        let inner = try #require(nested["inner"] as? [String: Any])
        #expect(inner["deeper"] as? [String] == ["x", "y"])
        #expect((object["empty"] as? [Any])?.isEmpty == true)
        #expect((object["emptyObject"] as? [String: Any])?.isEmpty == true)
    }

    @Test func collectionsAreBoundedInSizeAndDepth() throws {
        let recorder = LineRecorder()
        let logger = makeLogger(recorder)
        var deep = Logger.Metadata.Value.string("bottom")
        for _ in 0..<10 { deep = .array([deep]) }
        var bigDictionary: Logger.Metadata = [:]
        for index in 0..<1000 { bigDictionary[String(format: "k%04d", index)] = "v" }
        logger.info(
            "bounded",
            metadata: [
                "long": .array((0..<100_000).map { .stringConvertible($0) }),
                "wide": .dictionary(bigDictionary),
                "deep": deep,
            ]
        )

        let (_, object) = try onlyLine(recorder)
        let long = try #require(object["long"] as? [String])
        #expect(long.count == 64)
        #expect(long[62] == "62")
        #expect(long[63] == "…(99937 more elements cut)")
        let wide = try #require(object["wide"] as? [String: String])
        #expect(wide.count == 64)
        #expect(wide["k0000"] == "v")
        #expect(wide["k0062"] == "v")
        #expect(wide["k0063"] == nil)
        #expect(wide["…"] == "937 more entries cut")
        // Four levels of arrays, then a marker in place of the fifth.
        var level: Any? = object["deep"]
        for _ in 0..<4 {
            let array = try #require(level as? [Any])
            #expect(array.count == 1)
            level = array.first
        }
        #expect(level as? String == "…(nested too deep)")
    }

    @Test func metadataSourcesMergeWithCallWinning() throws {
        let recorder = LineRecorder()
        let provider = Logger.MetadataProvider { ["provided": "p", "shared": "provider"] }
        var logger = makeLogger(recorder, metadata: ["handler": "h", "shared": "handler"], provider: provider)
        logger[metadataKey: "set"] = "s"
        logger.info("one", metadata: ["shared": "call"])
        logger.info("two")
        logger.error("three", error: SampleError())

        let lines = recorder.lines
        try #require(lines.count == 3)
        let first = try parse(lines[0])
        #expect(first["handler"] as? String == "h")
        #expect(first["provided"] as? String == "p")
        #expect(first["set"] as? String == "s")
        #expect(first["shared"] as? String == "call")
        let second = try parse(lines[1])
        #expect(second["shared"] as? String == "provider")
        let third = try parse(lines[2])
        #expect(third["error.message"] as? String == "disk on fire")
        #expect((third["error.type"] as? String)?.hasSuffix("SampleError") == true)
    }

    @Test func levelFiltering() throws {
        let recorder = LineRecorder()
        var logger = makeLogger(recorder, level: .info)
        logger.debug("hidden")
        logger.trace("hidden too")
        logger.info("shown")
        logger.logLevel = .debug
        logger.debug("now shown")

        let levels = try recorder.lines.map { try parse($0)["level"] as? String }
        #expect(levels == ["info", "debug"])
        #expect(JSONLogHandler.standardError(label: "x").logLevel == .info)
    }

    @Test func tinyLimitsAreRaisedAndHold() throws {
        let recorder = LineRecorder()
        let logger = makeLogger(
            recorder,
            label: String(repeating: "\u{1}", count: 10_000),
            maxValueBytes: -5,
            maxLineBytes: 0
        )
        let giantCharacter = "e" + String(repeating: "\u{301}", count: 20_000)
        logger.critical("\(giantCharacter)", metadata: ["k": .string(giantCharacter), "z": "last"])

        let (line, object) = try onlyLine(recorder)
        #expect(line.utf8.count + 1 <= JSONLogHandler.minimumMaxLineBytes)
        #expect((object["message"] as? String)?.hasPrefix("…(cut ") == true)
        #expect((object["logger"] as? String)?.contains("…(cut ") == true)
        #expect(object["level"] as? String == "critical")
    }

    @Test func concurrentLoggingKeepsLinesWhole() async throws {
        let recorder = LineRecorder()
        let logger = makeLogger(recorder)
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<500 {
                        logger.info("line \(index)", metadata: ["task": "\(task)", "payload": "\(String(repeating: "p", count: 100))"])
                    }
                }
            }
        }

        let lines = recorder.lines
        #expect(lines.count == 4000)
        var perTask = [String: Int]()
        for line in lines {
            let object = try parse(line)
            let task = try #require(object["task"] as? String)
            perTask[task, default: 0] += 1
        }
        #expect(perTask.count == 8)
        #expect(perTask.values.allSatisfy { $0 == 500 })
    }

    @Test func fileDescriptorSinkWritesWholeLines() async throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("jsonlog-\(UUID().uuidString).log").path
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let handle = try #require(FileHandle(forWritingAtPath: path))
        let sink = JSONLogHandler.fileDescriptorSink(handle.fileDescriptor)
        let logger = Logger(label: "fd") { label in
            JSONLogHandler(label: label, metadataProvider: nil, sink: sink)
        }
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<4 {
                group.addTask {
                    for index in 0..<250 {
                        logger.info("line \(index)", metadata: ["task": "\(task)", "pad": "\(String(repeating: "q", count: 3000))"])
                    }
                }
            }
        }
        try handle.close()

        let contents = try String(contentsOfFile: path, encoding: .utf8)
        let lines = contents.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.last == "")
        #expect(lines.count == 1001)
        for line in lines.dropLast() {
            _ = try parse(String(line))
        }
    }
}
