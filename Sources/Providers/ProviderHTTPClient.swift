import AsyncHTTPClient
import NIOCore
import NIOPosix

/// The one HTTP client every HTTP adapter shares: pooled connections (sized to the providers'
/// concurrency, not AsyncHTTPClient's default of 8 per host), TLS with system trust roots,
/// HTTP/2 where the server offers it, no redirects, no decompression, and no silent retry of a
/// failed connection attempt (that is the engine's decision).
///
/// Create one per process and call ``shutdown()`` once, after every call has ended.
public final class ProviderHTTPClient: Sendable {
    public let client: HTTPClient

    /// - Parameter maxConnectionsPerHost: the HTTP/1 pool's soft limit per host; see
    ///   ``connectionsPerHost(for:)``.
    public init(
        maxConnectionsPerHost: Int = 1024,
        connectTimeout: Duration = .seconds(10),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.client = HTTPClient(
            eventLoopGroup: eventLoopGroup,
            configuration: Self.configuration(maxConnectionsPerHost: maxConnectionsPerHost, connectTimeout: connectTimeout)
        )
    }

    /// The client configuration used by ``init(maxConnectionsPerHost:connectTimeout:eventLoopGroup:)``.
    public static func configuration(maxConnectionsPerHost: Int, connectTimeout: Duration = .seconds(10)) -> HTTPClient.Configuration {
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
    public static func connectionsPerHost(for settings: [ProviderSettings], unlimited: Int = 1024) -> Int {
        let http = settings.filter { $0.type != "extractive" }
        let limits = http.compactMap(\.maxConcurrency)
        guard !http.isEmpty, limits.count == http.count, let largest = limits.max() else { return unlimited }
        return max(8, largest)
    }

    /// The transport adapters send through.
    public var transport: AsyncHTTPTransport { AsyncHTTPTransport(client: client) }

    /// Closes every connection; calls still running fail.
    public func shutdown() async throws {
        try await client.shutdown()
    }
}
