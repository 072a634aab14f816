import Foundation
import NIOHTTP1

/// One HTTP request as an adapter's encoder produces it: method, absolute URL, headers and body.
///
/// It is a plain value so that encoders are pure functions that tests check field by field; the
/// authorization headers are added afterwards by the provider, so an encoded request never holds a
/// secret until the moment it is sent.
package struct ProviderHTTPRequest: Sendable, Equatable {
    package var method: HTTPMethod
    package var url: String
    package var headers: HTTPHeaders
    package var body: Data

    package init(method: HTTPMethod = .POST, url: String, headers: HTTPHeaders = [:], body: Data = Data()) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}
