import AsyncHTTPClient
import NIOCore
import NIOPosix

/// The one HTTP client every HTTP adapter shares: pooled connections (sized to the providers'
/// concurrency, not AsyncHTTPClient's default of 8 per host), TLS with system trust roots,
/// HTTP/2 where the server offers it, no redirects, no decompression, and no silent retry of a
/// failed connection attempt (that is the engine's decision).
///
/// It runs on its own event loops, one thread by default: provider calls are few and slow next
/// to what one loop can drive, and on a small machine every extra busy thread costs wake-ups and
/// context switches (measured: one loop instead of one per core took a sixth off the worker's CPU
/// per job).
///
/// Create one per process and call ``shutdown()`` once, after every call has ended.
package final class ProviderHTTPClient: Sendable {
    package let client: HTTPClient
    private let eventLoopGroup: MultiThreadedEventLoopGroup

    /// - Parameters:
    ///   - maxConnectionsPerHost: the HTTP/1 pool's soft limit per host; see
    ///     ``connectionsPerHost(for:unlimited:)``.
    ///   - eventLoopThreads: threads of the client's own event loop group.
    package init(maxConnectionsPerHost: Int = 1024, connectTimeout: Duration = .seconds(10), eventLoopThreads: Int = 1) {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, eventLoopThreads))
        self.eventLoopGroup = group
        self.client = HTTPClient(
            eventLoopGroup: group,
            configuration: Self.configuration(maxConnectionsPerHost: maxConnectionsPerHost, connectTimeout: connectTimeout)
        )
    }

    /// The client configuration used by ``init(maxConnectionsPerHost:connectTimeout:eventLoopThreads:)``.
    package static func configuration(maxConnectionsPerHost: Int, connectTimeout: Duration = .seconds(10)) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: TimeAmount(connectTimeout)),
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(8, maxConnectionsPerHost)),
            decompression: .disabled
        )
        configuration.httpVersion = .automatic
        // A refused connection must come back at once as `.connection` (the engine decides on
        // retries and failover), not be retried by the pool until the attempt timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        // No request spans: understudy reports every call as an attempt event, and building the
        // span attributes (URL parsing included) cost about 2% of the worker's CPU per call.
        configuration.tracing.tracer = nil
        return configuration
    }

    /// The pool size that follows the providers' `max_concurrency`: their largest limit when
    /// every HTTP provider has one, else `unlimited` (a provider without a limit is bounded only
    /// by the worker's in-flight limit).
    package static func connectionsPerHost(for settings: [ProviderSettings], unlimited: Int = 1024) -> Int {
        let http = settings.filter { $0.type != "extractive" }
        let limits = http.compactMap(\.maxConcurrency)
        guard !http.isEmpty, limits.count == http.count, let largest = limits.max() else { return unlimited }
        return max(8, largest)
    }

    /// The transport adapters send through.
    package var transport: AsyncHTTPTransport { AsyncHTTPTransport(client: client) }

    /// Closes every connection (calls still running fail), then stops the event loops.
    package func shutdown() async throws {
        try await client.shutdown()
        try await eventLoopGroup.shutdownGracefully()
    }

    /// ``shutdown()`` for a client that never served a call (start-up failed), from synchronous code.
    package func syncShutdown() throws {
        try client.syncShutdown()
        try eventLoopGroup.syncShutdownGracefully()
    }
}
