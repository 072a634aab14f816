import AsyncHTTPClient
import Completions
import Foundation
import NIOCore
import NIOHTTP1

/// The ``HTTPTransport`` over a shared AsyncHTTPClient `HTTPClient`.
///
/// Guarantees: the attempt timeout covers the whole exchange (connection, head and body), not
/// only the head; cancelling the calling task cancels the request at once; a body larger than the
/// cap is abandoned as soon as the cap is passed.
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
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        let client = self.client
        let prepared = outgoing

        let result: ProviderHTTPResponse? = try await withThrowingTaskGroup(of: ProviderHTTPResponse?.self) { group in
            group.addTask {
                let response = try await client.execute(prepared, deadline: deadline)
                let body = try await response.body.collect(upTo: maxResponseBytes)
                return ProviderHTTPResponse(
                    status: Int(response.status.code),
                    headers: response.headers,
                    body: Data(body.readableBytesView)
                )
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            do {
                return try await group.next() ?? nil
            } catch {
                throw Self.classify(error, timeout: timeout, maxResponseBytes: maxResponseBytes)
            }
        }
        guard let result else {
            if Task.isCancelled { throw CancellationError() }
            throw ProviderFailure(outcome: .timeout, message: "no complete answer within \(timeout)")
        }
        return result
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
