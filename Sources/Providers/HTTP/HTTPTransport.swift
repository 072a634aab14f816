import Completions
import Foundation

/// Sends one prepared request and returns the whole response: the I/O seam under every HTTP
/// adapter, so adapters can be tested with a scripted transport and no network.
///
/// Contract: returns any HTTP status as a response (classifying it is the decoder's job); throws
/// a ``ProviderFailure`` with `.timeout` when `timeout` passes before the response head arrived
/// or `bodyTimeout` passes between the head and the body's end, `.connection` for a refused,
/// reset or cut-short exchange, `.invalidOutput` for a body larger than `maxResponseBytes`;
/// throws `CancellationError` when the calling task is cancelled.
package protocol HTTPTransport: Sendable {
    func send(_ request: ProviderHTTPRequest, timeout: Duration, maxResponseBytes: Int, bodyTimeout: Duration) async throws -> ProviderHTTPResponse

    /// Sends `request` and, when the answer is a 2xx, reads its newline-delimited body as it
    /// arrives, handing `receive` its lines a delivery at a time (`splitter` decides the cut and
    /// bounds the line and body sizes) and waiting for each `receive` before reading on.
    ///
    /// Returns the response with an empty body when it streamed a 2xx; any other status comes
    /// back with its body read whole (capped at `maxErrorBytes`) for the decoder. `timeout`
    /// bounds the head; `bodyTimeout` bounds each wait for more of the body (not the time
    /// `receive` takes), so a long file that keeps arriving is read to its end. Failures are
    /// those of ``send(_:timeout:maxResponseBytes:bodyTimeout:)``.
    func streamLines(
        _ request: ProviderHTTPRequest, timeout: Duration, bodyTimeout: Duration, maxErrorBytes: Int, splitter: LineSplitter,
        receive: @escaping @Sendable ([Data]) async throws -> Void
    ) async throws -> ProviderHTTPResponse
}

extension HTTPTransport {
    /// The body read whole with ``send(_:timeout:maxResponseBytes:bodyTimeout:)``, then cut into
    /// lines: for scripted transports, whose bodies are already in memory.
    package func streamLines(
        _ request: ProviderHTTPRequest, timeout: Duration, bodyTimeout: Duration, maxErrorBytes: Int, splitter: LineSplitter,
        receive: @escaping @Sendable ([Data]) async throws -> Void
    ) async throws -> ProviderHTTPResponse {
        let response = try await send(request, timeout: timeout, maxResponseBytes: splitter.maxBytes, bodyTimeout: bodyTimeout)
        guard (200..<300).contains(response.status) else { return response }
        var splitter = splitter
        try await splitter.feed(response.body, deliveringTo: receive)
        try await splitter.finish(deliveringTo: receive)
        return ProviderHTTPResponse(status: response.status, headers: response.headers)
    }
}
