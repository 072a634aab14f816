import Foundation
import NIOHTTP1

/// One complete HTTP response as a decoder sees it: status, headers and the whole body (already
/// capped at the provider's response size limit).
public struct ProviderHTTPResponse: Sendable, Equatable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: Data

    public init(status: Int, headers: HTTPHeaders = [:], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// `body` as UTF-8 text (invalid bytes replaced), for error messages and tests.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}
