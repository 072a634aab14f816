import Completions
import Foundation
import Logging
import NIOHTTP1

/// What every HTTP adapter does around its codec: wait for a concurrency slot, encode, check the
/// request size, authorize, send within the attempt timeout, decode, and scrub secrets from any
/// failure before it leaves. The adapters differ only in their codec and authorizer.
package struct HTTPCall: Sendable {
    /// Bounds on one exchange: the request and response body sizes, and how long the response
    /// body may take once its head has arrived.
    ///
    /// At a bound: a request over `maxRequestBytes` is not sent (a route-specific
    /// `client_error`); a response body over `maxResponseBytes` is abandoned as soon as the cap is
    /// passed (`invalid_output`, so the engine fails over); a body not complete `bodyTimeout`
    /// after its head is abandoned (`timeout`, retried or failed over like any timeout).
    package struct Limits: Sendable, Hashable {
        /// How long a response body may take after its head unless configured otherwise
        /// (``ProviderDefaults/bodyTimeoutMs``).
        package static let defaultBodyTimeout: Duration = .milliseconds(ProviderDefaults.bodyTimeoutMs)

        package var maxRequestBytes: Int
        package var maxResponseBytes: Int
        package var bodyTimeout: Duration

        package init(
            maxRequestBytes: Int = ProviderDefaults.maxRequestBytes, maxResponseBytes: Int = ProviderDefaults.maxResponseBytes,
            bodyTimeout: Duration = defaultBodyTimeout
        ) {
            self.maxRequestBytes = maxRequestBytes
            self.maxResponseBytes = maxResponseBytes
            self.bodyTimeout = bodyTimeout
        }
    }

    package var providerName: String
    package var transport: any HTTPTransport
    package var authorizer: RequestAuthorizer
    package var limits: Limits
    package var extraHeaders: [String: String]
    package var logger: Logger

    package init(
        providerName: String,
        transport: any HTTPTransport,
        authorizer: RequestAuthorizer,
        limits: Limits = Limits(),
        extraHeaders: [String: String] = [:],
        logger: Logger = Logger(label: "understudy.providers")
    ) {
        self.providerName = providerName
        self.transport = transport
        self.authorizer = authorizer
        self.limits = limits
        self.extraHeaders = extraHeaders
        self.logger = logger
    }

    /// Performs one attempt with `codec`.
    package func perform(
        _ codec: some WireCodec,
        request: CompletionRequest,
        model: String,
        timeout: Duration
    ) async throws -> CompletionResponse {
        try await attempt(codec, request: request, model: model, timeout: timeout)
    }

    private func attempt(
        _ codec: some WireCodec,
        request: CompletionRequest,
        model: String,
        timeout: Duration
    ) async throws -> CompletionResponse {
        try Task.checkCancellation()
        let wire: ProviderHTTPRequest
        do { wire = try codec.encode(request, model: model) } catch { throw scrubbed(error) }
        return try await exchange(wire, timeout: timeout) { response throws(ProviderFailure) in try codec.decode(response, now: Date()) }
    }

    /// Sends one prepared request (a realtime attempt, or one call of a batch API) and decodes
    /// its answer: the request size checked against `maxRequestBytes`, the extra headers and
    /// authorization added, the response capped at `maxResponseBytes` (both by default the
    /// limits'), and any failure scrubbed of secrets and logged.
    package func exchange<T>(
        _ prepared: ProviderHTTPRequest, timeout: Duration, maxRequestBytes: Int? = nil, maxResponseBytes: Int? = nil,
        decode: (ProviderHTTPResponse) throws(ProviderFailure) -> T
    ) async throws -> T {
        do {
            let response = try await transport.send(
                try authorized(prepared, maxRequestBytes: maxRequestBytes), timeout: timeout,
                maxResponseBytes: maxResponseBytes ?? limits.maxResponseBytes, bodyTimeout: limits.bodyTimeout)
            return try decode(response)
        } catch let failure as ProviderFailure {
            throw scrubbed(failure)
        }
    }

    /// Sends one prepared request whose 2xx answer is newline-delimited (a batch's results file)
    /// and hands its lines to `receive` a delivery at a time as they arrive, never holding the
    /// whole body: at most `maxBytes` in all, each line at most the limits' `maxResponseBytes`
    /// (a longer one arrives empty, so it reads as unreadable). Any other status is decoded by
    /// `failure` and thrown; every failure is scrubbed of secrets and logged, as for
    /// ``exchange(_:timeout:maxRequestBytes:maxResponseBytes:decode:)``.
    package func streamLines(
        _ prepared: ProviderHTTPRequest, timeout: Duration, maxBytes: Int, failure: (ProviderHTTPResponse) -> ProviderFailure,
        receive: @escaping @Sendable ([Data]) async throws -> Void
    ) async throws {
        do {
            let response = try await transport.streamLines(
                try authorized(prepared, maxRequestBytes: nil), timeout: timeout, bodyTimeout: limits.bodyTimeout,
                maxErrorBytes: limits.maxResponseBytes, splitter: LineSplitter(maxBytes: maxBytes, maxLineBytes: limits.maxResponseBytes),
                receive: receive)
            guard (200..<300).contains(response.status) else { throw failure(response) }
        } catch let failure as ProviderFailure {
            throw scrubbed(failure)
        }
    }

    /// `prepared` ready to send: its size checked against `maxRequestBytes` (by default the
    /// limits'), the extra headers added, and authorized.
    private func authorized(_ prepared: ProviderHTTPRequest, maxRequestBytes: Int?) throws(ProviderFailure) -> ProviderHTTPRequest {
        var wire = prepared
        let requestCap = maxRequestBytes ?? limits.maxRequestBytes
        guard wire.body.count <= requestCap else {
            throw ProviderFailure(
                outcome: .clientError,
                httpStatus: nil,
                message: "request body of \(wire.body.count) bytes exceeds the cap of \(requestCap)",
                isRouteSpecific: true
            )
        }
        for (name, value) in extraHeaders.sorted(by: { $0.key < $1.key }) {
            wire.headers.replaceOrAdd(name: name, value: value)
        }
        try authorizer.authorize(&wire, now: Date())
        return wire
    }

    /// `failure` with every secret the authorizer knows replaced: for failures that are returned
    /// rather than thrown (a request that failed inside a provider batch).
    package func redacted(_ failure: ProviderFailure) -> ProviderFailure {
        var failure = failure
        failure.message = authorizer.redact(failure.message)
        failure.providerErrorType = failure.providerErrorType.map(authorizer.redact)
        return failure
    }

    /// `failure` redacted (``redacted(_:)``), logged at debug level.
    private func scrubbed(_ failure: ProviderFailure) -> ProviderFailure {
        let failure = redacted(failure)
        logger.debug(
            "provider call failed",
            metadata: [
                "provider": "\(providerName)",
                "outcome": "\(failure.outcome.rawValue)",
                "http_status": "\(failure.httpStatus.map(String.init) ?? "-")",
                "error_type": "\(failure.providerErrorType ?? "-")",
            ]
        )
        return failure
    }
}
