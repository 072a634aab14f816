import AsyncHTTPClient
import Completions
import Foundation
import NIOCore
import NIOHTTP1

/// The ``HTTPTransport`` over a shared AsyncHTTPClient `HTTPClient`.
///
/// Guarantees: `timeout` bounds connecting and the response head (AsyncHTTPClient's request
/// deadline); cancelling the calling task cancels the request at once, body included; a body
/// larger than the cap is abandoned as soon as the cap is passed. A body that stalls after its
/// head is bounded by the caller's cancellation: the failover engine's attempt timer cancels the
/// call at the attempt timeout, so the engine's timeout covers the whole exchange. (A second
/// timer task per call here cost about 5% of the worker's CPU, for a bound the engine already
/// keeps.)
public struct AsyncHTTPTransport: HTTPTransport {
    public let client: HTTPClient

    public init(client: HTTPClient) {
        self.client = client
    }

    public func send(_ request: ProviderHTTPRequest, timeout: Duration, maxResponseBytes: Int) async throws -> ProviderHTTPResponse {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = request.method
        outgoing.headers = request.headers
        if !request.body.isEmpty {
            outgoing.body = .bytes(ByteBuffer(bytes: request.body))
        }
        do {
            let response = try await client.execute(outgoing, deadline: NIODeadline.now() + TimeAmount(timeout))
            let body = try await response.body.collect(upTo: maxResponseBytes)
            return ProviderHTTPResponse(
                status: Int(response.status.code),
                headers: response.headers,
                body: Data(body.readableBytesView)
            )
        } catch {
            throw Self.classify(error, timeout: timeout, maxResponseBytes: maxResponseBytes)
        }
    }

    /// Maps a transport error to the failure the engine expects (or to `CancellationError`).
    static func classify(_ error: any Error, timeout: Duration, maxResponseBytes: Int) -> any Error {
        if Task.isCancelled { return CancellationError() }
        if error is NIOTooManyBytesError {
            return ProviderFailure(outcome: .invalidOutput, message: "response body larger than \(maxResponseBytes) bytes")
        }
        if let httpError = error as? HTTPClientError {
            switch httpError {
            case .deadlineExceeded, .readTimeout, .writeTimeout:
                return ProviderFailure(outcome: .timeout, message: "no complete answer within \(timeout)")
            case .cancelled:
                return CancellationError()
            default:
                return ProviderFailure(outcome: .connection, message: "transport: \(httpError)")
            }
        }
        if error is CancellationError { return error }
        return ProviderFailure(outcome: .connection, message: "transport: \(String(describing: type(of: error))): \(error)")
    }
}

extension TimeAmount {
    /// `duration` as a NIO time amount, saturating at the extremes.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let (nanos, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        self = overflow ? .nanoseconds(Int64.max) : .nanoseconds(nanos + attoseconds / 1_000_000_000)
    }
}
