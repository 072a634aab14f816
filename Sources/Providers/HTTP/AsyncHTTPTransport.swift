import AsyncHTTPClient
import Completions
import Foundation
import NIOCore
import NIOHTTP1

/// The ``HTTPTransport`` over a shared AsyncHTTPClient `HTTPClient`.
///
/// Guarantees: `timeout` bounds connecting and the response head (AsyncHTTPClient's request
/// deadline); `bodyTimeout` bounds the body once the head is in (the whole body, so a provider
/// that stalls mid-body or drips it byte by byte is cut too: a `.timeout` failure); cancelling the
/// calling task cancels the request at once, body included; a body larger than
/// `maxResponseBytes` is abandoned as soon as the cap is passed (an `.invalidOutput` failure).
///
/// The body is read in a child task that one timer per transport cancels at its deadline, the
/// way the failover engine cuts attempts: no timer task and no clock sleep per call (a second
/// timer task per call cost about 5% of the worker's CPU), and the alarm is re-armed only for a
/// new earliest deadline. Cancelling the child, not the calling task, keeps the engine's
/// cancellation meaning "the job or a hedge ended this call".
package struct AsyncHTTPTransport: HTTPTransport {
    package let client: HTTPClient
    private let bodyTimer: DeadlineTimer

    package init(client: HTTPClient) {
        self.init(client: client, bodyTimer: Self.timer(on: client.eventLoopGroup.any()))
    }

    /// A transport whose body deadlines are kept by `bodyTimer` (tests pass one on a manual clock).
    package init(client: HTTPClient, bodyTimer: DeadlineTimer) {
        self.client = client
        self.bodyTimer = bodyTimer
    }

    /// A timer whose alarm is a task scheduled on `eventLoop` (no Swift task, no sleep).
    static func timer(on eventLoop: any EventLoop) -> DeadlineTimer {
        let origin = NIODeadline.now()
        return DeadlineTimer(
            now: { .nanoseconds(Int64(NIODeadline.now().uptimeNanoseconds - origin.uptimeNanoseconds)) },
            alarm: { instant, fire in
                eventLoop.scheduleTask(deadline: origin + TimeAmount(instant)) { fire() }
            }
        )
    }

    package func send(
        _ request: ProviderHTTPRequest,
        timeout: Duration,
        maxResponseBytes: Int,
        bodyTimeout: Duration
    ) async throws -> ProviderHTTPResponse {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = request.method
        outgoing.headers = request.headers
        if !request.body.isEmpty {
            outgoing.body = .bytes(ByteBuffer(bytes: request.body))
        }
        do {
            let response = try await client.execute(outgoing, deadline: NIODeadline.now() + TimeAmount(timeout))
            let body = try await collect(response.body, upTo: maxResponseBytes, within: bodyTimeout)
            return ProviderHTTPResponse(
                status: Int(response.status.code),
                headers: response.headers,
                body: Data(body.readableBytesView)
            )
        } catch {
            throw Self.classify(error, timeout: timeout, maxResponseBytes: maxResponseBytes)
        }
    }

    /// How the body read ended: its bytes or error, and whether the body timer cut it.
    private struct BodyEnd: Sendable {
        var result: Result<ByteBuffer, any Error>
        var timedOut: Bool
    }

    /// The whole body, read in a child task that ``bodyTimer`` cancels `bodyTimeout` from now.
    private func collect(_ body: HTTPClientResponse.Body, upTo maxBytes: Int, within bodyTimeout: Duration) async throws -> ByteBuffer {
        let timer = bodyTimer
        let deadline = timer.now() + bodyTimeout
        let end = await withTaskGroup(of: BodyEnd.self) { group in
            // Started on this thread: a body already buffered with its head costs no hop.
            group.addImmediateTask {
                let id = withUnsafeCurrentTask { task in timer.arm(deadline, task: task) }
                let result: Result<ByteBuffer, any Error>
                do {
                    result = .success(try await body.collect(upTo: maxBytes))
                } catch {
                    result = .failure(error)
                }
                return BodyEnd(result: result, timedOut: timer.disarm(id))
            }
            return await group.next() ?? BodyEnd(result: .failure(CancellationError()), timedOut: false)
        }
        if end.timedOut, !Task.isCancelled {
            throw ProviderFailure(outcome: .timeout, message: "the response body did not arrive within \(bodyTimeout) of its head")
        }
        return try end.result.get()
    }

    /// Maps a transport error to the failure the engine expects (or to `CancellationError`).
    static func classify(_ error: any Error, timeout: Duration, maxResponseBytes: Int) -> any Error {
        if Task.isCancelled { return CancellationError() }
        if error is ProviderFailure { return error }
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
    /// `duration` as a NIO time amount, saturating at the extremes (a job may ask for any timeout).
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let (nanos, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (total, carry) = nanos.addingReportingOverflow(attoseconds / 1_000_000_000)
        self = overflow || carry ? .nanoseconds(seconds < 0 ? Int64.min : Int64.max) : .nanoseconds(total)
    }
}
