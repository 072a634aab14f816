import Completions
import Foundation

/// One provider's wire format as two pure functions: the normalized request to an HTTP request
/// (without authorization), and an HTTP response to the normalized answer or a classified
/// ``ProviderFailure``. No I/O, no clock but the `now` it is given, so tests and the benchmark
/// run it directly.
package protocol WireCodec: Sendable {
    /// Encodes `request` for `model` (a model id or a deployment name).
    func encode(_ request: CompletionRequest, model: String) throws(ProviderFailure) -> ProviderHTTPRequest

    /// Decodes any response: a 2xx into the answer, anything else into the failure it means.
    func decode(_ response: ProviderHTTPResponse, now: Date) throws(ProviderFailure) -> CompletionResponse
}
