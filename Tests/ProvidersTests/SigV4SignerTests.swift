import Foundation
import NIOHTTP1
import Testing

@testable import Providers

/// The AWS SigV4 test suite (awslabs/aws-c-auth `tests/aws-signing-test-suite/v4/`, see
/// Fixtures/sigv4/SOURCE.md): canonical request, string to sign and signature for every vector.
@Suite struct SigV4SignerTests {
    struct Vector: CustomTestStringConvertible, Sendable {
        var name: String
        var directory: URL
        var testDescription: String { name }
    }

    static let vectors: [Vector] = {
        guard let root = try? Fixtures.sigV4Directory,
            let names = try? FileManager.default.contentsOfDirectory(atPath: root.path)
        else { return [] }
        return names.sorted().filter { !$0.hasSuffix(".md") }.map { Vector(name: $0, directory: root.appendingPathComponent($0)) }
    }()

    struct Context: Decodable {
        struct Credentials: Decodable {
            var accessKeyID: String
            var secretAccessKey: String
            var token: String?

            enum CodingKeys: String, CodingKey {
                case accessKeyID = "access_key_id"
                case secretAccessKey = "secret_access_key"
                case token
            }
        }

        var credentials: Credentials
        var region: String
        var service: String
        var timestamp: String
        var normalize: Bool?
        var signBody: Bool?
        var omitSessionToken: Bool?

        enum CodingKeys: String, CodingKey {
            case credentials, region, service, timestamp, normalize
            case signBody = "sign_body"
            case omitSessionToken = "omit_session_token"
        }
    }

    @Test func suiteIsPresent() {
        #expect(Self.vectors.count >= 30)
    }

    @Test(arguments: vectors)
    func vector(_ vector: Vector) throws {
        func read(_ file: String) throws -> String {
            try String(contentsOf: vector.directory.appendingPathComponent(file), encoding: .utf8)
        }
        let context = try JSONDecoder().decode(Context.self, from: Data(read("context.json").utf8))
        let date = try #require(RetryAfter.parseRFC3339Date(context.timestamp))
        let signer = SigV4Signer(
            service: context.service,
            region: context.region,
            normalizePath: context.normalize ?? true,
            signBodyHeader: context.signBody ?? false,
            omitSessionTokenFromSignature: context.omitSessionToken ?? false
        )
        let input = try Self.parseRequest(read("request.txt"))
        let result = signer.sign(
            input,
            credentials: .init(
                accessKeyID: context.credentials.accessKeyID,
                secretAccessKey: context.credentials.secretAccessKey,
                sessionToken: context.credentials.token
            ),
            date: date
        )
        #expect(result.canonicalRequest == (try read("header-canonical-request.txt")))
        #expect(result.stringToSign == (try read("header-string-to-sign.txt")))
        #expect(result.signature == (try read("header-signature.txt")).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func signsAProviderRequestForBedrock() throws {
        var request = ProviderHTTPRequest(
            url: "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-v2%3A1/converse",
            headers: ["content-type": "application/json"],
            body: Data("{}".utf8)
        )
        let signer = SigV4Signer(service: "bedrock", region: "us-east-1")
        let credentials = SigV4Signer.Credentials(
            accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: "tok")
        signer.sign(&request, credentials: credentials, date: Date(timeIntervalSince1970: 1_440_938_160))
        #expect(request.headers.first(name: "host") == "bedrock-runtime.us-east-1.amazonaws.com")
        #expect(request.headers.first(name: "x-amz-date") == "20150830T123600Z")
        #expect(request.headers.first(name: "x-amz-security-token") == "tok")
        let authorization = try #require(request.headers.first(name: "authorization"))
        #expect(
            authorization.hasPrefix(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature="
            ))
        // The already-encoded model id is encoded again in the canonical path, as non-S3 services expect.
        #expect(signer.canonicalPath("/model/anthropic.claude-v2%3A1/converse") == "/model/anthropic.claude-v2%253A1/converse")
    }

    /// Parses the suite's `request.txt`: request line, headers (continuation lines allowed), body.
    static func parseRequest(_ text: String) throws -> SigV4Signer.Input {
        var lines = text.components(separatedBy: "\n")
        let requestLine = lines.removeFirst()
        let firstSpace = try #require(requestLine.firstIndex(of: " "))
        let lastSpace = try #require(requestLine.lastIndex(of: " "))
        let method = String(requestLine[..<firstSpace])
        let target = String(requestLine[requestLine.index(after: firstSpace)..<lastSpace])
        var headers: [(name: String, value: String)] = []
        var bodyLines: [String] = []
        var inBody = false
        for line in lines {
            if inBody {
                bodyLines.append(line)
            } else if line.isEmpty {
                inBody = true
            } else if line.first == " " || line.first == "\t", let last = headers.popLast() {
                headers.append((last.name, last.value + "\n" + line))
            } else if let colon = line.firstIndex(of: ":") {
                headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
            }
        }
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        return SigV4Signer.Input(
            method: method,
            path: String(parts[0]),
            query: parts.count > 1 ? String(parts[1]) : "",
            headers: headers,
            body: Data(bodyLines.joined(separator: "\n").utf8)
        )
    }
}
