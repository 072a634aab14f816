import Completions

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
}
