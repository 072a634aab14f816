import Completions
import Foundation
import Simulator
import Testing
import UnderstudyTesting

#if canImport(Glibc)
    import Glibc
#endif

#if canImport(FoundationXML)
    import FoundationXML
#endif

extension EndToEndTools {
    /// `understudy compare` as a team runs it before trusting a backup: the real binary, real
    /// HTTP to three simulated providers (no broker: comparing never touches Kafka).
    @Suite(.serialized, .timeLimit(.minutes(4)))
    struct CompareTests {
        @Test("compare passes an equivalent backup, fails one of another shape and four times slower, naming what it breached")
        func judgesEachBackup() async throws {
            // Latencies long enough that a loaded machine's scheduling delays (up to about 200 ms
            // at p95, seen in CI at 100 ms) cannot make the twin look twice as slow.
            let primary = try await SimulatedProvider.start(mode: SimulatorMode(latency: .init(ms: 300)))
            let twin = try await SimulatedProvider.start(mode: SimulatorMode(latency: .init(ms: 300)))
            let other = try await SimulatedProvider.start(mode: SimulatorMode(fault: .reshaped, latency: .init(ms: 1_200)))
            do {
                var config = TestConfig(bootstrapServers: "127.0.0.1:9")
                config.providers = [
                    "primary": "{type: anthropic, base_url: \"\(primary.baseURL)\", api_key_env: TEST_PRIMARY_KEY}",
                    "twin": "{type: anthropic, base_url: \"\(twin.baseURL)\", api_key_env: TEST_BACKUP_KEY}",
                    "other": "{type: anthropic, base_url: \"\(other.baseURL)\", api_key_env: TEST_BACKUP_KEY}",
                ]
                config.routes = ["primary/claude-sonnet-4-5", "twin/claude-sonnet-4-5", "other/claude-sonnet-4-5"]
                config.validation = "{judge: {provider: primary, model: claude-judge}}"
                let configPath = try writeTemporary(config.yaml, name: "config.yaml")
                let lines = (0..<40).map { JobFactory.json(id: "cmp-\($0)") } + ["{not a job"]
                let sample = try writeTemporary(lines.joined(separator: "\n") + "\n", name: "sample.jsonl")
                let out = (sample as NSString).deletingLastPathComponent + "/report"

                let run = try await understudy(
                    ["compare", "--config", configPath, "--workload", "support-summaries", "--sample", sample, "--out", out, "--concurrency", "4"],
                    environment: Stack.environment)
                #expect(run.status == 1, "a breaching backup makes the exit status 1: \(run.output)")
                #expect(run.output.contains("--sample line 41: invalid_json"), "\(run.output)")
                let lastLine = run.output.split(separator: "\n").last.map(String.init) ?? ""
                #expect(lastLine.hasPrefix("other/claude-sonnet-4-5 breached"), "\(lastLine)")
                #expect(lastLine.contains("max_latency_p95_ratio"), "\(lastLine)")
                #expect(lastLine.contains("min_similarity"), "\(lastLine)")
                #expect(!lastLine.contains("twin/"), "\(lastLine)")
                for key in Stack.environment.values { #expect(!run.output.contains(key)) }

                let json = try #require(FileManager.default.contents(atPath: out + "/report.json"))
                #expect(try SchemaCheck.failures([Array(json)], schema: "compare-report") == [])
                let report = try JSONParser.parse(Array(json))
                #expect(report["passed"] == .bool(false))
                #expect(report["jobs"] == .number(40))
                guard case .array(let backups)? = report["backups"] else {
                    Issue.record("report.json has no backups: \(report)")
                    return
                }
                #expect(backups.count == 2)
                #expect(backups.first?["verdict"]?["passed"] == .bool(true), "the twin backup passes")
                #expect(backups.last?["verdict"]?["passed"] == .bool(false), "the reshaped, slow backup fails")
                // The judge gave a verdict and a reason on every job both routes answered.
                for backup in backups {
                    #expect(backup["judge"]?["route"] == .string("primary/claude-judge"))
                    #expect(backup["judge"]?["judged"] == .number(40), "\(backup["judge"] ?? .null)")
                    let verdicts = backup["judge"]?["jobs"]?.arrayValue ?? []
                    #expect(verdicts.count == 40 && verdicts.allSatisfy { $0["reason"]?.stringValue?.isEmpty == false })
                }
                let markdown = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
                #expect(markdown.contains("## `twin/claude-sonnet-4-5`: pass"), "\(markdown)")
                #expect(markdown.contains("## `other/claude-sonnet-4-5`: FAIL"), "\(markdown)")
                #expect(markdown.contains("Judge `primary/claude-judge`"), "\(markdown)")
                // report.html: self-contained, its charts well-formed SVG (latency, cost, a histogram per backup).
                let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
                #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("href="))
                var charts = 0
                var rest = html[...]
                while let start = rest.range(of: "<svg"), let end = rest[start.lowerBound...].range(of: "</svg>") {
                    let svg = String(rest[start.lowerBound..<end.upperBound])
                    #expect(XMLParser(data: Data(svg.utf8)).parse(), "not well-formed: \(svg.prefix(200))")
                    charts += 1
                    rest = rest[end.upperBound...]
                }
                #expect(charts == 4)

                // As a browser renders it: the verdict table with a row per backup and its
                // verdict, and the four charts with their marks; a screenshot is kept under
                // .build/test-artifacts/compare for a person to look at.
                let dom = try await HeadlessChromium.dom(of: out + "/report.html")
                let table = try #require(dom.range(of: "<table id=\"verdicts\">").map { dom[$0.lowerBound...] })
                let verdictTable = table[..<(table.range(of: "</table>")?.upperBound ?? table.endIndex)]
                #expect(verdictTable.components(separatedBy: "<tr>").count - 1 == 3, "a header row and one row per backup")
                #expect(verdictTable.contains("twin/claude-sonnet-4-5") && verdictTable.contains("<td class=\"pass\">pass</td>"))
                #expect(verdictTable.contains("other/claude-sonnet-4-5") && verdictTable.contains("<td class=\"fail\">fail</td>"))
                #expect(dom.components(separatedBy: "<svg").count - 1 == 4)
                #expect(dom.components(separatedBy: "<rect").count - 1 >= 6, "the charts have their bars")
                let artifacts = RigPaths.packageRoot.appendingPathComponent(".build/test-artifacts/compare").path
                try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
                try await HeadlessChromium.screenshot(of: out + "/report.html", to: artifacts + "/report.png")
                let png = try #require(FileManager.default.contents(atPath: artifacts + "/report.png"))
                #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000, "a PNG with something drawn: \(png.count) bytes")

                // Only the twin: it passes, and the command exits 0.
                let twinOnly = try await understudy(
                    [
                        "compare", "--config", configPath, "--workload", "support-summaries", "--sample", sample, "--out", out + "-twin",
                        "--routes", "twin",
                    ],
                    environment: Stack.environment)
                #expect(twinOnly.status == 0, "\(twinOnly.output)")
                #expect(twinOnly.output.contains("every backup of support-summaries passed"), "\(twinOnly.output)")

                // A route that is not a backup of the workload is refused, naming the option.
                let unknown = try await understudy(
                    ["compare", "--config", configPath, "--workload", "support-summaries", "--sample", sample, "--routes", "nope"],
                    environment: Stack.environment)
                #expect(unknown.status == 2)
                #expect(unknown.output.contains("--routes: nope is not a backup"), "\(unknown.output)")
            } catch {
                Issue.record("\(error)")
            }
            await primary.stop()
            await twin.stop()
            await other.stop()
        }

        @Test("Ctrl-C part-way writes a report of the jobs that finished on every route, marked partial, and exits non-zero")
        func interruptedWritesPartialReport() async throws {
            let primary = try await SimulatedProvider.start(mode: SimulatorMode(latency: .init(ms: 200)))
            let backup = try await SimulatedProvider.start(mode: SimulatorMode(latency: .init(ms: 200)))
            do {
                var config = TestConfig(bootstrapServers: "127.0.0.1:9")
                config.providers = [
                    "primary": "{type: anthropic, base_url: \"\(primary.baseURL)\", api_key_env: TEST_PRIMARY_KEY}",
                    "twin": "{type: anthropic, base_url: \"\(backup.baseURL)\", api_key_env: TEST_BACKUP_KEY}",
                ]
                config.routes = ["primary/claude-sonnet-4-5", "twin/claude-sonnet-4-5"]
                let configPath = try writeTemporary(config.yaml, name: "config.yaml")
                // 200 jobs, two at a time, 400 ms each: about 40 s, interrupted after a few.
                let sample = try writeTemporary((0..<200).map { JobFactory.json(id: "int-\($0)") }.joined(separator: "\n"), name: "sample.jsonl")
                let out = (sample as NSString).deletingLastPathComponent + "/report"
                var environment = ProcessInfo.processInfo.environment
                for (key, value) in Stack.environment { environment[key] = value }
                let process = try ChildProcess(
                    executable: RigPaths.product("understudy"),
                    arguments: [
                        "compare", "--config", configPath, "--workload", "support-summaries", "--sample", sample, "--out", out, "--concurrency", "2",
                    ],
                    environment: environment, logPath: NSTemporaryDirectory() + Rig.unique("compare-int") + ".log")
                // Interrupt once a few jobs finished on both routes (primary and twin each served some).
                for _ in 0..<300 where primary.requests < 6 || backup.requests < 6 { try await Task.sleep(for: .milliseconds(50)) }
                process.send(SIGINT)
                let status = await process.waitForExit(timeout: .seconds(30))
                #expect(status == 1, "a partial report never passes: \(process.output())")
                let json = try #require(FileManager.default.contents(atPath: out + "/report.json"), "\(process.output())")
                #expect(try SchemaCheck.failures([Array(json)], schema: "compare-report") == [])
                let report = try JSONParser.parse(Array(json))
                #expect(report["partial"] == .bool(true))
                let jobs = report["jobs"]?.numberValue ?? 0
                #expect(jobs >= 1 && jobs < 200, "only the jobs that finished: \(jobs)")
                #expect(report["primary"]?["calls"]?.numberValue == jobs, "every route judged on the same jobs")
                let lastLine = process.output().split(separator: "\n").last.map(String.init) ?? ""
                #expect(lastLine.hasPrefix("partial report: "), "\(lastLine)")
            } catch {
                Issue.record("\(error)")
            }
            await primary.stop()
            await backup.stop()
        }
    }
}
