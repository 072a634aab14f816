import Foundation
import Kafka
import Simulator
import Testing
import UnderstudyTesting
import Worker

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A GET on the status server: the status and the body.
func statusGet(_ port: Int, _ path: String) async throws -> (status: Int, body: String) {
    var request = URLRequest(url: try #require(URL(string: "http://127.0.0.1:\(port)\(path)")))
    request.timeoutInterval = 5
    let (data, response) = try await URLSession.shared.data(for: request)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
}

/// The port the worker's status server took (it logs it, as JSON or text).
func statusPort(of worker: WorkerProcess) async throws -> Int {
    for _ in 0..<200 {
        for line in worker.process.output().split(separator: "\n") where line.contains("status server listening") {
            let object = jsonObject(Array(line.utf8))
            let address = object["address"] as? String ?? line.split(separator: "address=").last.map(String.init) ?? ""
            if let port = address.split(separator: ":").last.flatMap({ Int($0.prefix { $0.isNumber }) }) { return port }
        }
        try await Task.sleep(for: .milliseconds(25))
    }
    throw RigError("no status server line in:\n\(worker.output())")
}

/// The value of the sample `name{labels}` in Prometheus text, `nil` when absent.
func sample(_ text: String, _ series: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
        return Double(line.dropFirst(series.count + 1))
    }
    return nil
}

extension EndToEndTools {
    /// Running it in production: the status server and JSON logs of the real worker binary.
    @Suite(.serialized, .timeLimit(.minutes(4)))
    struct OperationsTests {
        @Test(
            "/readyz fails before the group join and passes after; /metrics shows the failovers, the open breaker and the lag; JSON logs carry no key and no job text"
        )
        func statusServerDuringOutage() async throws {
            try await withStack { stack in
                stack.primary.setMode(.error(503))
                // A slow backup and few slots, so a backlog (consumer lag) builds and drains.
                stack.backup.setMode(SimulatorMode(latency: .init(ms: 100)))
                stack.config.maxInFlight = 4
                stack.config.httpListen = "127.0.0.1:0"
                stack.config.engine = "{breaker_cooldown_ms: 60000, breaker_max_cooldown_ms: 60000}"
                let worker = try await stack.startWorker(environment: ["LOG_FORMAT": "json"])
                let statusPort = try await statusPort(of: worker)

                // Ready only once the group is joined: the first answers say not ready.
                var statuses: [Int] = []
                for _ in 0..<400 where statuses.last != 200 {
                    statuses.append((try? await statusGet(statusPort, "/readyz"))?.status ?? 0)
                    if statuses.last != 200 { try await Task.sleep(for: .milliseconds(25)) }
                }
                #expect(statuses.contains(503), "readyz answered \(statuses.prefix(5)) before the join")
                #expect(statuses.last == 200)
                #expect(try await statusGet(statusPort, "/healthz").status == 200)

                try await stack.produceJobs(300)
                // librdkafka reports lag every 5 s: a scrape while the backlog drains sees it.
                func lag() async throws -> Double {
                    let text = try await statusGet(statusPort, "/metrics").body
                    return text.split(separator: "\n").filter { $0.hasPrefix("understudy_consumer_lag_messages{") }
                        .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
                }
                var lags: [Double] = []
                for _ in 0..<60 where (lags.last ?? 0) == 0 {
                    lags.append(try await lag())
                    if lags.last == 0 { try await Task.sleep(for: .milliseconds(500)) }
                }
                #expect((lags.last ?? 0) > 0, "no lag seen while 300 jobs wait: \(lags)")
                let results = try await stack.results(distinct: 300, idle: .seconds(30))
                #expect(Set(results.map(jobID)).count == 300)
                var drained = try await lag()
                for _ in 0..<40 where drained > 0 {
                    try await Task.sleep(for: .milliseconds(500))
                    drained = try await lag()
                }
                #expect(drained == 0, "the lag went back to 0 once every job was done")
                let metrics = try await statusGet(statusPort, "/metrics")
                #expect(metrics.status == 200)
                let text = metrics.body
                let failovers = sample(
                    text,
                    #"understudy_failovers_total{workload="support-summaries",from_route="claude-direct/claude-sonnet-4-5",to_route="claude-azure/claude-sonnet-4-5"}"#
                )
                #expect((failovers ?? 0) >= 1, "\(text)")
                #expect(sample(text, #"understudy_breaker_state{provider="claude-direct",model="claude-sonnet-4-5"}"#) == 2, "\(text)")
                #expect(sample(text, #"understudy_breaker_state{provider="claude-azure",model="claude-sonnet-4-5"}"#) == 0, "\(text)")
                #expect(sample(text, #"understudy_jobs_total{workload="support-summaries",status="succeeded"}"#) == 300, "\(text)")
                #expect(sample(text, "understudy_jobs_in_flight_limit") == Double(stack.config.maxInFlight), "\(text)")
                #expect(sample(text, "understudy_ready") == 1, "\(text)")
                #expect(sample(text, #"understudy_workload_routes_available{workload="support-summaries"}"#) == 1, "\(text)")
                // Every metric the worker really exports is one WorkerMetrics names (which the
                // dashboard and alert test checks against).
                var exported: Set<String> = []
                for line in text.split(separator: "\n") where line.hasPrefix("understudy_") {
                    var name = String(line.prefix { $0 != "{" && $0 != " " })
                    for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) && !WorkerMetrics.Name.all.contains(name) {
                        name = String(name.dropLast(suffix.count))
                    }
                    exported.insert(name)
                }
                #expect(exported.count >= 15, "\(exported.sorted())")
                #expect(exported.subtracting(WorkerMetrics.Name.all).isEmpty, "\(exported.subtracting(WorkerMetrics.Name.all))")
                #expect(await worker.process.stop() == 0)

                // Every log line is one JSON object; none holds a key or a job's text.
                let lines = worker.process.output().split(separator: "\n")
                #expect(lines.count > 3)
                let objects = lines.map { jsonObject(Array($0.utf8)) }
                let started = objects.first { $0["message"] as? String == "worker started" }
                #expect(started?["understudy.version"] is String, "the start line names the version")
                let breaker = objects.first { $0["message"] as? String == "breaker open" }
                #expect(breaker?["gen_ai.provider.name"] as? String == "anthropic", "\(breaker ?? [:])")
                #expect(breaker?["understudy.route"] as? String == "claude-direct")
                #expect(breaker?["gen_ai.request.model"] as? String == "claude-sonnet-4-5")
                for line in lines {
                    #expect(!jsonObject(Array(line.utf8)).isEmpty, "not a JSON object: \(line.prefix(300))")
                    for key in Stack.environment.values { #expect(!line.contains(key)) }
                    #expect(!line.contains("invoices exported"), "job text in a log line: \(line.prefix(300))")
                }
            }
        }

        @Test("/healthz fails after a fatal Kafka error (librdkafka's own fatal path, drilled) until the process exits non-zero")
        func healthzAfterFatalError() async throws {
            try await withStack { stack in
                stack.config.httpListen = "127.0.0.1:0"
                let worker = try await stack.startWorker(arguments: ["--drill-fatal-error-after", "1"])
                let port = try await statusPort(of: worker)
                try await stack.produceJobs(20)
                // Before the drill: alive. After it, until the process exits: not alive, and why.
                var answers: [(status: Int, body: String)] = []
                let deadline = ContinuousClock.now + .seconds(60)
                while worker.process.isRunning && ContinuousClock.now < deadline {
                    if let answer = try? await statusGet(port, "/healthz") { answers.append(answer) }
                    try await Task.sleep(for: .milliseconds(5))
                }
                let exit = await worker.process.waitForExit(timeout: .seconds(30))
                #expect(exit != nil && exit != 0, "the worker exits non-zero after a fatal error: \(String(describing: exit))")
                #expect(answers.first?.status == 200, "alive before the drill")
                let failing = answers.drop { $0.status == 200 }
                #expect(!failing.isEmpty, "no failing /healthz between the fatal error and the exit:\n\(worker.output().suffix(2_000))")
                #expect(failing.allSatisfy { $0.status == 503 && $0.body.contains("fatal Kafka error") }, "\(failing.map(\.body))")
                #expect(worker.output().contains("fatal Kafka error"))
            }
        }
    }
}
