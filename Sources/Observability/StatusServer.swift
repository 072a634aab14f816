import Hummingbird
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle
import Synchronization
import Worker

/// The worker's status server (`worker.http_listen`), a swift-service-lifecycle `Service`:
///
/// - `GET /metrics`: every metric in Prometheus text format (the worker's gauges are set first,
///   from its current state, then the registry is written);
/// - `GET /healthz`: 200 while the worker is alive, 503 with the reason once it is not (after a
///   fatal error, until the process exits);
/// - `GET /readyz`: 200 once the worker joined its consumer group and while it is not shutting
///   down, 503 with the reason otherwise.
///
/// Guarantees: serves nothing else (404), reads no request body, and carries no job data and no
/// secret in any answer. With port 0 it binds a free port and logs it (`status server listening`).
package final class StatusServer: Service, Sendable {
    package let host: String
    package let port: Int
    private let worker: Worker
    private let registry: PrometheusCollectorRegistry
    private let logger: Logger
    private let boundPort = Mutex<Int?>(nil)

    package init(host: String, port: Int, worker: Worker, registry: PrometheusCollectorRegistry, logger: Logger) {
        self.host = host
        self.port = port
        self.worker = worker
        self.registry = registry
        self.logger = logger
    }

    /// The port it listens on, once it does.
    package var listeningPort: Int? { boundPort.withLock { $0 } }

    package func run() async throws {
        let router = Router()
        let worker = self.worker
        let registry = self.registry
        router.get("metrics") { _, _ -> Response in
            worker.refreshGauges()
            let body = registry.emitToBuffer()
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        }
        router.get("healthz") { _, _ -> Response in
            let health = worker.health
            return Self.plain(health.alive ? .ok : .serviceUnavailable, health.alive ? "ok\n" : "not alive: \(health.detail)\n")
        }
        router.get("readyz") { _, _ -> Response in
            let health = worker.health
            return Self.plain(health.ready ? .ok : .serviceUnavailable, health.ready ? "ready\n" : "not ready: \(health.detail)\n")
        }
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { [self] channel in
                let port = channel.localAddress?.port
                boundPort.withLock { $0 = port }
                logger.info("status server listening", metadata: ["address": "\(host):\(port.map(String.init) ?? "?")"])
            },
            logger: quiet
        )
        do {
            try await app.run()
        } catch {
            // A bad address or a taken port: say which setting, so the operator knows what to fix.
            throw WorkerError("worker.http_listen: cannot serve on \(host):\(port): \(error)")
        }
    }

    private static func plain(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
