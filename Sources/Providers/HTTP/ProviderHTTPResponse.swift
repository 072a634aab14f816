import Foundation
import NIOHTTP1

/// One complete HTTP response as a decoder sees it: status, headers and the whole body (already
/// capped at the provider's response size limit).
package struct ProviderHTTPResponse: Sendable, Equatable {
    package var status: Int
    package var headers: HTTPHeaders
    package var body: Data

    package init(status: Int, headers: HTTPHeaders = [:], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// `body` as UTF-8 text (invalid bytes replaced), for error messages and tests.
    package var bodyText: String { String(decoding: body, as: UTF8.self) }
}
