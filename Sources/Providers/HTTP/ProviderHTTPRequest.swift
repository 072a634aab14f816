import Foundation
import NIOHTTP1

/// One HTTP request as an adapter's encoder produces it: method, absolute URL, headers and body.
///
/// It is a plain value so that encoders are pure functions that tests check field by field; the
/// authorization headers are added afterwards by the provider, so an encoded request never holds a
/// secret until the moment it is sent.
public struct ProviderHTTPRequest: Sendable, Equatable {
    public var method: HTTPMethod
    public var url: String
    public var headers: HTTPHeaders
    public var body: Data

    public init(method: HTTPMethod = .POST, url: String, headers: HTTPHeaders = [:], body: Data = Data()) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}
