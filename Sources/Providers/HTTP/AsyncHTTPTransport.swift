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
/// ``streamLines(_:timeout:bodyTimeout:maxErrorBytes:splitter:receive:)`` reads a 2xx body piece
/// by piece instead, with `bodyTimeout` bounding each wait for a piece (a results file of
/// hundreds of megabytes keeps arriving for longer than any whole-body bound should allow).
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
        do {
            let response = try await client.execute(Self.outgoing(request), deadline: NIODeadline.now() + TimeAmount(timeout))
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

    package func streamLines(
        _ request: ProviderHTTPRequest, timeout: Duration, bodyTimeout: Duration, maxErrorBytes: Int, splitter: LineSplitter,
        receive: @escaping @Sendable ([Data]) async throws -> Void
    ) async throws -> ProviderHTTPResponse {
        do {
            let response = try await client.execute(Self.outgoing(request), deadline: NIODeadline.now() + TimeAmount(timeout))
            let status = Int(response.status.code)
            guard (200..<300).contains(status) else {
                let body = try await collect(response.body, upTo: maxErrorBytes, within: bodyTimeout)
                return ProviderHTTPResponse(status: status, headers: response.headers, body: Data(body.readableBytesView))
            }
            try await readLines(response.body, splitter: splitter, idle: bodyTimeout, receive: receive)
            return ProviderHTTPResponse(status: status, headers: response.headers)
        } catch let stopped as ReceiverStopped {
            // The receiver's own error, not the transport's: it goes back as it was thrown.
            throw stopped.error
        } catch {
            throw Self.classify(error, timeout: timeout, maxResponseBytes: splitter.maxBytes)
        }
    }

    /// An error the receiver of a streamed body threw (it stopped the read).
    private struct ReceiverStopped: Error {
        var error: any Error
    }

    private static func outgoing(_ request: ProviderHTTPRequest) -> HTTPClientRequest {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = request.method
        outgoing.headers = request.headers
        if !request.body.isEmpty {
            outgoing.body = .bytes(ByteBuffer(bytes: request.body))
        }
        return outgoing
    }

    /// How a body read ended: its value or error, and whether the body timer cut it.
    private struct BodyEnd<Value: Sendable>: Sendable {
        var result: Result<Value, any Error>
        var timedOut: Bool
    }

    /// Reads the body piece by piece in a child task, each wait for a piece cut by ``bodyTimer``
    /// `idle` after it began; the lines go to `receive` between waits, outside any deadline, and
    /// an error it throws comes back as ``ReceiverStopped``.
    private func readLines(
        _ body: HTTPClientResponse.Body, splitter: LineSplitter, idle: Duration, receive: @escaping @Sendable ([Data]) async throws -> Void
    ) async throws {
        let timer = bodyTimer
        let deliver: @Sendable ([Data]) async throws -> Void = { lines in
            do { try await receive(lines) } catch { throw ReceiverStopped(error: error) }
        }
        let end = await withTaskGroup(of: BodyEnd<Void>.self) { group in
            group.addImmediateTask {
                var splitter = splitter
                var pieces = body.makeAsyncIterator()
                do {
                    while true {
                        let id = withUnsafeCurrentTask { task in timer.arm(timer.now() + idle, task: task) }
                        let piece: ByteBuffer?
                        do {
                            piece = try await pieces.next()
                        } catch {
                            return BodyEnd(result: .failure(error), timedOut: timer.disarm(id))
                        }
                        if timer.disarm(id) { return BodyEnd(result: .failure(CancellationError()), timedOut: true) }
                        guard let piece else { break }
                        try await splitter.feed(piece.readableBytesView, deliveringTo: deliver)
                    }
                    try await splitter.finish(deliveringTo: deliver)
                    return BodyEnd(result: .success(()), timedOut: false)
                } catch {
                    return BodyEnd(result: .failure(error), timedOut: false)
                }
            }
            return await group.next() ?? BodyEnd(result: .failure(CancellationError()), timedOut: false)
        }
        if end.timedOut, !Task.isCancelled {
            throw ProviderFailure(outcome: .timeout, message: "the response body paused for more than \(idle)")
        }
        try end.result.get()
    }

    /// The whole body, read in a child task that ``bodyTimer`` cancels `bodyTimeout` from now.
    private func collect(_ body: HTTPClientResponse.Body, upTo maxBytes: Int, within bodyTimeout: Duration) async throws -> ByteBuffer {
        let timer = bodyTimer
        let deadline = timer.now() + bodyTimeout
        let end = await withTaskGroup(of: BodyEnd<ByteBuffer>.self) { group in
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
