import Crypto
import Foundation
import NIOHTTP1

/// AWS Signature Version 4 (header signing, `AWS4-HMAC-SHA256`), as Bedrock requires for the
/// service name `bedrock`.
///
/// Guarantees: a pure function of the request, the credentials and the instant; checked against
/// the SigV4 test suite AWS publishes with aws-c-auth. The path is URI-encoded as given (so an
/// already-encoded path, as every non-S3 service expects, is encoded twice), the query is
/// decoded then re-encoded and sorted, header values are trimmed and their inner whitespace
/// collapsed. Nothing here logs or keeps the secret.
package struct SigV4Signer: Sendable, Hashable {
    /// An access key pair and an optional session token.
    package struct Credentials: Sendable, Hashable {
        package var accessKeyID: String
        package var secretAccessKey: String
        package var sessionToken: String?

        package init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
            self.accessKeyID = accessKeyID
            self.secretAccessKey = secretAccessKey
            self.sessionToken = sessionToken
        }
    }

    /// The parts of a request that the signature covers.
    package struct Input: Sendable, Hashable {
        package var method: String
        /// The path as sent (or, for the test suite, as written), without the query.
        package var path: String
        /// The raw query string without `?`, or empty.
        package var query: String
        /// Header fields in order; names in any case, duplicates allowed.
        package var headers: [(name: String, value: String)]
        package var body: Data

        package init(method: String, path: String, query: String, headers: [(name: String, value: String)], body: Data) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.body = body
        }

        package static func == (lhs: Input, rhs: Input) -> Bool {
            lhs.method == rhs.method && lhs.path == rhs.path && lhs.query == rhs.query && lhs.body == rhs.body
                && lhs.headers.map { [$0.name, $0.value] } == rhs.headers.map { [$0.name, $0.value] }
        }

        package func hash(into hasher: inout Hasher) {
            hasher.combine(method)
            hasher.combine(path)
            hasher.combine(query)
            hasher.combine(body)
        }
    }

    /// The intermediate and final products of signing, for tests and debugging (never logged).
    package struct Result: Sendable, Hashable {
        package var canonicalRequest: String
        package var stringToSign: String
        package var signature: String
        package var signedHeaders: String
        /// The headers to add to the request, `authorization` last.
        package var addedHeaders: [String: String]
    }

    package var service: String
    package var region: String
    /// Remove `.`/`..` segments and repeated slashes before encoding (every service but S3).
    package var normalizePath: Bool
    /// Add and sign `x-amz-content-sha256`.
    package var signBodyHeader: Bool
    /// Send the session token without signing it (a few services want that).
    package var omitSessionTokenFromSignature: Bool

    package init(
        service: String, region: String, normalizePath: Bool = true, signBodyHeader: Bool = false, omitSessionTokenFromSignature: Bool = false
    ) {
        self.service = service
        self.region = region
        self.normalizePath = normalizePath
        self.signBodyHeader = signBodyHeader
        self.omitSessionTokenFromSignature = omitSessionTokenFromSignature
    }

    /// Signs `input` at `date`: the headers to add and the intermediate strings.
    package func sign(_ input: Input, credentials: Credentials, date: Date) -> Result {
        let (amzDate, shortDate) = Self.timestamps(date)
        let payloadHash = Self.hex(SHA256.hash(data: input.body))

        var headers = input.headers
        var added: [(String, String)] = [("X-Amz-Date", amzDate)]
        if signBodyHeader { added.append(("x-amz-content-sha256", payloadHash)) }
        if let token = credentials.sessionToken, !omitSessionTokenFromSignature {
            added.append(("X-Amz-Security-Token", token))
        }
        headers.append(contentsOf: added.map { (name: $0.0, value: $0.1) })

        // Canonical headers: lower-cased names, sorted; duplicate values joined by commas in order.
        var grouped: [String: [String]] = [:]
        for header in headers {
            grouped[header.name.lowercased(), default: []].append(Self.trimHeaderValue(header.value))
        }
        let names = grouped.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(grouped[$0, default: []].joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")

        let canonicalRequest = [
            input.method.uppercased(),
            canonicalPath(input.path),
            Self.canonicalQuery(input.query),
            canonicalHeaders,
            signedHeaders,
            payloadHash,
        ].joined(separator: "\n")

        let scope = "\(shortDate)/\(region)/\(service)/aws4_request"
        let stringToSign = [
            "AWS4-HMAC-SHA256",
            amzDate,
            scope,
            Self.hex(SHA256.hash(data: Data(canonicalRequest.utf8))),
        ].joined(separator: "\n")

        var key = SymmetricKey(data: Data("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [shortDate, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key))

        var addedHeaders = Dictionary(added, uniquingKeysWith: { _, last in last })
        if let token = credentials.sessionToken, omitSessionTokenFromSignature {
            addedHeaders["X-Amz-Security-Token"] = token
        }
        addedHeaders["Authorization"] =
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return Result(
            canonicalRequest: canonicalRequest,
            stringToSign: stringToSign,
            signature: signature,
            signedHeaders: signedHeaders,
            addedHeaders: addedHeaders
        )
    }

    /// Signs an encoded provider request in place (adds `host` if missing, `x-amz-date`,
    /// the session token and `authorization`).
    package func sign(_ request: inout ProviderHTTPRequest, credentials: Credentials, date: Date) {
        guard let components = URLComponents(string: request.url), let host = components.host else { return }
        let hostValue = components.port.map { "\(host):\($0)" } ?? host
        if request.headers.first(name: "host") == nil {
            request.headers.replaceOrAdd(name: "host", value: hostValue)
        }
        let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        let input = Input(
            method: request.method.rawValue,
            path: path,
            query: components.percentEncodedQuery ?? "",
            headers: request.headers.map { (name: $0.name, value: $0.value) },
            body: request.body
        )
        let result = sign(input, credentials: credentials, date: date)
        for (name, value) in result.addedHeaders.sorted(by: { $0.key < $1.key }) where name != "Authorization" {
            request.headers.replaceOrAdd(name: name, value: value)
        }
        if let authorization = result.addedHeaders["Authorization"] {
            request.headers.replaceOrAdd(name: "Authorization", value: authorization)
        }
    }

    // MARK: Canonical forms

    func canonicalPath(_ path: String) -> String {
        var working = path.isEmpty ? "/" : path
        if normalizePath {
            working = Self.normalize(working)
        }
        return Self.uriEncode(working, keepSlash: true)
    }

    static func normalize(_ path: String) -> String {
        let trailingSlash = path.hasSuffix("/") && path.count > 1
        var output: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..": _ = output.popLast()
            default: output.append(segment)
            }
        }
        var result = "/" + output.joined(separator: "/")
        if trailingSlash, result != "/" { result += "/" }
        return result
    }

    static func canonicalQuery(_ query: String) -> String {
        guard !query.isEmpty else { return "" }
        let pairs: [(String, String)] = query.split(separator: "&", omittingEmptySubsequences: true).map { item in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0])
            let value = parts.count > 1 ? String(parts[1]) : ""
            let decodedKey = key.removingPercentEncoding ?? key
            let decodedValue = value.removingPercentEncoding ?? value
            return (uriEncode(decodedKey, keepSlash: false), uriEncode(decodedValue, keepSlash: false))
        }
        return pairs.sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    static func uriEncode(_ text: String, keepSlash: Bool) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                output.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where keepSlash:
                output.append("/")
            default:
                output += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return output
    }

    static func trimHeaderValue(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).joined(separator: " ")
    }

    static func timestamps(_ date: Date) -> (amzDate: String, shortDate: String) {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // civil-from-days
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        let short = String(year).leftPadded(to: 4) + String(month).leftPadded(to: 2) + String(day).leftPadded(to: 2)
        let time =
            String(secondOfDay / 3600).leftPadded(to: 2) + String(secondOfDay % 3600 / 60).leftPadded(to: 2)
            + String(secondOfDay % 60).leftPadded(to: 2)
        return (short + "T" + time + "Z", short)
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        var output = ""
        for byte in digest {
            output += String(byte, radix: 16).leftPadded(to: 2)
        }
        return output
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
