import Foundation
import Jobs
import Logging
import Observability
import Prometheus
import Testing
import Worker

/// The status server's start-up: a port it cannot take stops it with the config key to fix.
@Suite("Status server")
struct StatusServerTests {
    @Test("a taken port fails with an error naming worker.http_listen")
    func takenPort() async throws {
        let config = try UnderstudyConfig.parse(
            yaml: """
                kafka:
                  bootstrap_servers: 127.0.0.1:1
                  topics: {jobs: j, results: r, telemetry: t, dead_letter: d}
                providers:
                  local: {type: extractive}
                workloads:
                  w: {routes: [{provider: local, model: m}]}
                """, environment: [:])
        let logger = Logger(label: "status-test")
        let worker = Worker(config: config, providers: [:], logger: logger)
        let first = StatusServer(host: "127.0.0.1", port: 0, worker: worker, registry: PrometheusCollectorRegistry(), logger: logger)
        let running = Task { try await first.run() }
        var port: Int?
        for _ in 0..<400 where port == nil {
            port = first.listeningPort
            if port == nil { try await Task.sleep(for: .milliseconds(10)) }
        }
        let taken = try #require(port)
        let second = StatusServer(host: "127.0.0.1", port: taken, worker: worker, registry: PrometheusCollectorRegistry(), logger: logger)
        do {
            try await second.run()
            Issue.record("a second server served on a taken port")
        } catch {
            #expect("\(error)".hasPrefix("worker.http_listen: cannot serve on 127.0.0.1:\(taken): "), "\(error)")
        }
        running.cancel()
        _ = try? await running.value
    }
}
