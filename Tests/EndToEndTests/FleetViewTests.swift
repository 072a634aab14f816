import Foundation
import Kafka
import Simulator
import Testing
import UnderstudyTesting

#if canImport(FoundationXML)
    import FoundationXML
#endif

extension EndToEndTools {
    /// `understudy report` and `understudy dashboard` on the telemetry of a real outage run.
    @Suite(.serialized, .timeLimit(.minutes(4)))
    struct FleetViewTests {
        /// A primary outage: 60 jobs fail over to the backup, the primary's breaker opens, and
        /// one message is dead-lettered. The config file, for the commands.
        private func outageRun(_ stack: inout Stack) async throws -> String {
            stack.primary.setMode(.error(503))
            stack.config.engine = "{breaker_cooldown_ms: 60000, breaker_max_cooldown_ms: 60000}"
            let worker = try await stack.startWorker()
            try await stack.produceJobs(60)
            try await JobFactory.produce(
                [KafkaRecord(topic: stack.config.topics.jobs, key: Array("bad".utf8), value: Array("{not json".utf8))],
                bootstrapServers: stack.bootstrap)
            let results = try await stack.results(distinct: 60, idle: .seconds(30))
            #expect(Set(results.map(jobID)).count == 60)
            #expect(await worker.process.stop() == 0)
            return try writeTemporary(stack.config.yaml, name: "understudy.yaml")
        }

        @Test("report: per workload and route, the failovers, the open breaker and the dead letter, as text, JSON and an SVG timeline")
        func report() async throws {
            try await withStack { stack in
                let configPath = try await outageRun(&stack)
                let out = NSTemporaryDirectory() + Rig.unique("report")
                let run = try await understudy(
                    ["report", "--config", configPath, "--since", "1h", "--out", out, "--idle-seconds", "2"], environment: Stack.environment)
                #expect(run.status == 0, "\(run.output)")
                #expect(run.output.contains("claude-direct/claude-sonnet-4-5") && run.output.contains("support-summaries"), "\(run.output)")
                let json = try #require(FileManager.default.contents(atPath: out + "/report.json"))
                let report = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
                let workloads = report["workloads"] as? [[String: Any]] ?? []
                let workload = try #require(workloads.first { $0["name"] as? String == "support-summaries" }, "\(workloads)")
                #expect(workload["jobs"] as? Int == 60)
                #expect(workload["jobs_succeeded"] as? Int == 60)
                let routes = report["routes"] as? [[String: Any]] ?? []
                let primary = try #require(routes.first { $0["provider"] as? String == "claude-direct" }, "\(routes)")
                let backup = try #require(routes.first { $0["provider"] as? String == "claude-azure" }, "\(routes)")
                #expect(primary["attempts_ok"] as? Int == 0)
                #expect((primary["failovers_out"] as? Int ?? 0) >= 60, "every job left the primary (a call or a skip): \(primary)")
                #expect((primary["breaker_trips"] as? Int ?? 0) >= 1, "\(primary)")
                #expect(backup["failovers_in"] as? Int == 60, "\(backup)")
                #expect(backup["jobs_succeeded"] as? Int == 60, "\(backup)")
                #expect((backup["cost_usd"] as? Double ?? 0) > 0)
                let deadLetters = report["dead_letters"] as? [String: Any]
                #expect(deadLetters?["total"] as? Int == 1, "\(String(describing: deadLetters))")
                let svg = try #require(FileManager.default.contents(atPath: out + "/timeline.svg"))
                let text = String(decoding: svg, as: UTF8.self)
                #expect(text.hasPrefix("<svg") || text.hasPrefix("<?xml"), "\(text.prefix(200))")
                #expect(text.contains("claude-direct/claude-sonnet-4-5") && text.contains("claude-azure/claude-sonnet-4-5"))
                #expect(XMLParser(data: svg).parse(), "the timeline is well-formed XML")

                // A workload the config does not have is refused, naming the option.
                let unknown = try await understudy(["report", "--config", configPath, "--workload", "nope"], environment: Stack.environment)
                #expect(unknown.status == 2 && unknown.output.contains("--workload: nope is not a workload"), "\(unknown.output)")
                let badSince = try await understudy(["report", "--config", configPath, "--since", "forever"], environment: Stack.environment)
                #expect(badSince.status == 2 && badSince.output.contains("--since:"), "\(badSince.output)")
            }
        }

        @Test("dashboard: a browser gets the page, the events draw every chart's series, and the breaker panel shows the outage")
        func dashboard() async throws {
            try await withStack { stack in
                let configPath = try await outageRun(&stack)
                let log = NSTemporaryDirectory() + Rig.unique("dashboard") + ".log"
                var environment = ProcessInfo.processInfo.environment
                for (key, value) in Stack.environment { environment[key] = value }
                let server = try ChildProcess(
                    executable: RigPaths.product("understudy"),
                    arguments: [
                        "dashboard", "--config", configPath, "--listen", "127.0.0.1:0", "--since", "1h", "--refresh-seconds", "0.5",
                        "--stream-seconds", "2",
                    ],
                    environment: environment, logPath: log)
                var port: Int?
                for _ in 0..<400 where port == nil {
                    for line in server.output().split(separator: "\n") where line.contains("dashboard listening") {
                        port = line.split(separator: ":").last.flatMap { Int($0.prefix { $0.isNumber }) }
                    }
                    if port == nil { try await Task.sleep(for: .milliseconds(25)) }
                }
                let dashboardPort = try #require(port, "no listening line:\n\(server.output())")
                do {
                    // The snapshot, once the follower has read the run (a few seconds to join).
                    var snapshot: [String: Any] = [:]
                    for _ in 0..<200 {
                        let body = try? await statusGet(dashboardPort, "/snapshot").body
                        snapshot = body.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] } ?? [:]
                        if "\(snapshot)".contains("claude-azure") && "\(snapshot)".contains("open") { break }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    #expect("\(snapshot)".contains("claude-azure"), "\(snapshot)")
                    let artifacts = RigPaths.packageRoot.appendingPathComponent(".build/test-artifacts/dashboard").path
                    try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
                    try Data(try await statusGet(dashboardPort, "/snapshot").body.utf8).write(to: URL(fileURLWithPath: artifacts + "/snapshot.json"))

                    let url = "http://127.0.0.1:\(dashboardPort)/"
                    let dom = try await HeadlessChromium.dom(url: url, settleMs: 4_000)
                    #expect(dom.contains("data-events=\""), "the page counted its snapshots")
                    #expect(!dom.contains("data-events=\"0\""))
                    for chart in ["jobs", "success_share", "failovers", "latency", "cost"] {
                        #expect(dom.contains("data-chart=\"\(chart)\""), "chart \(chart) drawn")
                    }
                    for route in ["claude-direct/claude-sonnet-4-5", "claude-azure/claude-sonnet-4-5"] {
                        #expect(dom.components(separatedBy: "data-series=\"\(route)\"").count - 1 >= 5, "\(route) has a series in every chart")
                    }
                    #expect(
                        dom.contains("data-breaker=\"claude-direct/claude-sonnet-4-5\" data-state=\"open\"")
                            || dom.contains("data-state=\"open\" data-breaker=\"claude-direct/claude-sonnet-4-5\""),
                        "the breaker panel shows the primary open")
                    // The page as drawn, scripts removed so nothing redraws it, for a person to look at.
                    var drawn = dom
                    while let open = drawn.range(of: "<script"), let close = drawn.range(of: "</script>", range: open.upperBound..<drawn.endIndex) {
                        drawn.removeSubrange(open.lowerBound..<close.upperBound)
                    }
                    try drawn.write(toFile: artifacts + "/dashboard.html", atomically: true, encoding: .utf8)
                    try await HeadlessChromium.screenshot(
                        of: artifacts + "/dashboard.html", to: artifacts + "/dashboard.png", width: 1_400, height: 1_600)
                    let png = try #require(FileManager.default.contents(atPath: artifacts + "/dashboard.png"))
                    #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000, "a PNG with something drawn: \(png.count) bytes")
                    // The page stands alone: nothing loaded from anywhere else.
                    let page = try await statusGet(dashboardPort, "/").body
                    #expect(!page.contains("src=\"http") && !page.contains("href=\"http"))
                } catch {
                    Issue.record("\(error)")
                }
                #expect(await server.stop() == 0, "SIGTERM stops the dashboard cleanly:\n\(server.output().suffix(1_000))")
            }
        }
    }
}
