import Completions
import Foundation
import NIOHTTP1

/// How a provider's requests are authorized, applied to an encoded request just before it is
/// sent: a key in a header, a bearer token, an AWS SigV4 signature, or nothing (local servers).
///
/// Guarantees: the only place a secret enters a request; ``redact(_:)`` removes every secret it
/// knows from a text, and providers pass every failure message through it.
package struct RequestAuthorizer: Sendable, CustomStringConvertible {
    enum Method: Sendable {
        case none
        case header(name: String, prefix: String, secret: SecretSource)
        case sigV4(SigV4Signer, accessKeyID: String, secret: SecretSource, sessionToken: SecretSource?)
    }

    let method: Method

    /// No authorization (OpenAI-compatible local servers, the simulator without keys).
    package static let none = RequestAuthorizer(method: .none)

    /// `name: secret` (e.g. `x-api-key`, `api-key`, `x-goog-api-key`).
    package static func apiKey(header name: String, secret: SecretSource) -> RequestAuthorizer {
        RequestAuthorizer(method: .header(name: name, prefix: "", secret: secret))
    }

    /// `Authorization: Bearer secret`.
    package static func bearer(_ secret: SecretSource) -> RequestAuthorizer {
        RequestAuthorizer(method: .header(name: "Authorization", prefix: "Bearer ", secret: secret))
    }

    /// AWS SigV4 with an access key id, its secret and an optional session token.
    package static func sigV4(_ signer: SigV4Signer, accessKeyID: String, secret: SecretSource, sessionToken: SecretSource?) -> RequestAuthorizer {
        RequestAuthorizer(method: .sigV4(signer, accessKeyID: accessKeyID, secret: secret, sessionToken: sessionToken))
    }

    package var description: String {
        switch method {
        case .none: "none"
        case .header(let name, let prefix, let secret): prefix.isEmpty ? "header \(name) from \(secret)" : "bearer from \(secret)"
        case .sigV4(let signer, _, let secret, _): "sigv4 \(signer.service)/\(signer.region) from \(secret)"
        }
    }

    /// Adds the authorization to `request`, signing it when the method is SigV4.
    package func authorize(_ request: inout ProviderHTTPRequest, now: Date) throws(ProviderFailure) {
        switch method {
        case .none:
            return
        case .header(let name, let prefix, let secret):
            request.headers.replaceOrAdd(name: name, value: prefix + (try secret.current()))
        case .sigV4(let signer, let accessKeyID, let secret, let sessionToken):
            let credentials = SigV4Signer.Credentials(
                accessKeyID: accessKeyID,
                secretAccessKey: try secret.current(),
                sessionToken: try sessionToken?.current()
            )
            signer.sign(&request, credentials: credentials, date: now)
        }
    }

    /// `text` with every known secret replaced by `[redacted]`, and, when `text` was cut by
    /// ``ProviderFailure/bounded(_:toBytes:)``, a secret's beginning left just before the cut too
    /// (the cut may fall inside a secret, so its whole is no longer there to find).
    package func redact(_ text: String) -> String {
        let secrets = self.secrets.filter { $0.count >= 4 }
        guard !secrets.isEmpty else { return text }
        var output = text
        for secret in secrets where output.contains(secret) {
            output = output.replacingOccurrences(of: secret, with: "[redacted]")
        }
        guard let (kept, marker) = ProviderFailure.splitCut(output) else { return output }
        for secret in secrets {
            // The longest beginning of the secret (4 characters or more) that ends the kept text.
            for length in stride(from: min(secret.count - 1, kept.count), through: 4, by: -1) where kept.hasSuffix(secret.prefix(length)) {
                return String(kept.dropLast(length)) + "[redacted]" + marker
            }
        }
        return output
    }

    private var secrets: [String] {
        switch method {
        case .none: []
        case .header(_, _, let secret): [secret.knownValue].compactMap { $0 }
        case .sigV4(_, _, let secret, let token): [secret.knownValue, token?.knownValue].compactMap { $0 }
        }
    }
}
