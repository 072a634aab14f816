import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The live dashboard's HTTP side (`understudy dashboard`), a swift-service-lifecycle `Service`:
///
/// - `GET /`: the page (one self-contained HTML document: no external script, style or font);
/// - `GET /events`: server-sent events, one `snapshot` event at once and then every `refresh`,
///   each carrying the JSON that `snapshot` returns. A stream ends after `streamLifetime` with a
///   `retry` hint, and the browser reconnects by itself (`EventSource` does): no connection
///   lives for ever behind a proxy, and a replica's streams rebalance;
/// - `GET /snapshot`: the same JSON, once.
///
/// Guarantees: at most ``maxStreams`` event streams at once (more get 503), streams end when the
/// client goes or the server shuts down, and nothing else is served (404). The server holds no
/// data of its own: what it sends is what `snapshot` builds, bounded there.
package final class DashboardServer: Service, Sendable {
    /// The most browsers following the events at once.
    package static let maxStreams = 64

    package let host: String
    package let port: Int
    private let page: String
    private let refresh: Duration
    private let streamLifetime: Duration
    private let snapshot: @Sendable () async -> [UInt8]
    private let logger: Logger
    private let streams = StreamCount()
    private let boundPort = Mutex<Int?>(nil)

    package init(
        host: String, port: Int, page: String, refresh: Duration = .seconds(1), streamLifetime: Duration = .seconds(300), logger: Logger,
        snapshot: @escaping @Sendable () async -> [UInt8]
    ) {
        self.host = host
        self.port = port
        self.page = page
        self.refresh = refresh
        self.streamLifetime = streamLifetime
        self.snapshot = snapshot
        self.logger = logger
    }

    /// The port it listens on, once it does.
    package var listeningPort: Int? { boundPort.withLock { $0 } }

    package func run() async throws {
        let router = Router()
        let page = self.page
        router.get("/") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
        }
        router.get("snapshot") { [snapshot] _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: await snapshot())))
        }
        router.get("events") { [self] _, _ -> Response in
            let admitted = streams.count.withLock { count in
                guard count < Self.maxStreams else { return false }
                count += 1
                return true
            }
            guard admitted else {
                return Response(
                    status: .serviceUnavailable, headers: [.contentType: "text/plain; charset=utf-8"],
                    body: ResponseBody(byteBuffer: ByteBuffer(string: "too many dashboard streams\n")))
            }
            // Gives the stream's place back when the body is done or dropped unwritten (a client
            // that left before the head was written never runs the body).
            let place = StreamPlace(streams)
            let body = ResponseBody { [self] writer in
                defer { _ = place }
                do {
                    // Each pass checks for shutdown, so a stream ends within one refresh of it.
                    let end = ContinuousClock.now + self.streamLifetime
                    var first = true
                    while !Task.isCancelled && !Task.isShuttingDownGracefully && ContinuousClock.now < end {
                        let json = await self.snapshot()
                        var buffer = ByteBuffer(string: first ? "retry: 1000\nevent: snapshot\ndata: " : "event: snapshot\ndata: ")
                        first = false
                        buffer.writeBytes(json)
                        buffer.writeString("\n\n")
                        try await writer.write(buffer)
                        try await Task.sleep(for: self.refresh)
                    }
                } catch {
                    // The browser went away, or the server is stopping: the stream ends.
                }
                try? await writer.finish(nil)
            }
            return Response(
                status: .ok,
                headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                body: body)
        }
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { [self] channel in
                let port = channel.localAddress?.port
                boundPort.withLock { $0 = port }
                logger.notice("dashboard listening", metadata: ["address": "\(host):\(port.map(String.init) ?? "?")"])
            },
            logger: quiet
        )
        try await app.run()
    }
}

/// How many event streams are open.
private final class StreamCount: Sendable {
    let count = Mutex(0)
}

/// One admitted event stream's place in the count; freed when the last reference goes.
private final class StreamPlace: Sendable {
    private let streams: StreamCount

    init(_ streams: StreamCount) {
        self.streams = streams
    }

    deinit { streams.count.withLock { $0 -= 1 } }
}
