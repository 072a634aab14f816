/// A classified failure of one provider call: what every adapter throws, and all the engine needs
/// to decide between retrying, failing over and giving up.
///
/// `message` is the provider's error text or a transport description; adapters must never put a
/// key, a token or an authorization header in it.
///
/// Guarantees: `message` never holds more than ``maxMessageBytes`` UTF-8 bytes and
/// `providerErrorType` never more than ``maxErrorTypeBytes``, however long the provider's text:
/// a longer text is cut on a Unicode scalar boundary and marked (see ``bounded(_:toBytes:)``).
/// The bound is kept by the type, on every initialization and assignment, so no adapter can
/// forget it; a text within the bound is kept as it is, at the cost of one length check.
package struct ProviderFailure: Error, Sendable, Hashable {
    /// The most UTF-8 bytes of `message` a failure keeps: the provider text that reaches an
    /// attempt event and a failed job's result.
    package static let maxMessageBytes = 2048
    /// The most UTF-8 bytes of `providerErrorType` a failure keeps.
    package static let maxErrorTypeBytes = 128

    /// The outcome class (never `.ok`, `.circuitOpen` or `.cancelled`).
    package var outcome: Outcome
    /// The HTTP status, when the provider answered.
    package var httpStatus: Int?
    /// The provider's own error type (`overloaded_error`, `ThrottlingException`, ...), cut to
    /// ``maxErrorTypeBytes``.
    package var providerErrorType: String? {
        get { storedErrorType }
        set { storedErrorType = newValue.map { Self.bounded($0, toBytes: Self.maxErrorTypeBytes) } }
    }
    /// The provider's error text or the transport's description, cut to ``maxMessageBytes``.
    package var message: String {
        get { storedMessage }
        set { storedMessage = Self.bounded(newValue) }
    }
    /// How long the provider asked to wait (`retry-after`, `retry-after-ms`, a reset header).
    package var retryAfter: Duration?
    /// True for a client error that only this route has (model not found, context too long for
    /// this model, a filter another provider may not share): fail over instead of failing the job.
    package var isRouteSpecific: Bool

    private var storedMessage: String
    private var storedErrorType: String?

    package init(
        outcome: Outcome,
        httpStatus: Int? = nil,
        providerErrorType: String? = nil,
        message: String,
        retryAfter: Duration? = nil,
        isRouteSpecific: Bool = false
    ) {
        self.outcome = outcome
        self.httpStatus = httpStatus
        self.storedErrorType = providerErrorType.map { Self.bounded($0, toBytes: Self.maxErrorTypeBytes) }
        self.storedMessage = Self.bounded(message)
        self.retryAfter = retryAfter
        self.isRouteSpecific = isRouteSpecific
    }
}

extension ProviderFailure {
    /// `text` as it is when it has at most `limit` UTF-8 bytes; else its longest prefix that ends
    /// on a Unicode scalar boundary and, followed by the marker `… [cut: N bytes]` (N being the
    /// bytes left out), fits in `limit` bytes. The marker alone when `limit` is smaller than it.
    ///
    /// Costs one length check when nothing is cut (native strings know their UTF-8 length).
    package static func bounded(_ text: String, toBytes limit: Int = maxMessageBytes) -> String {
        let count = text.utf8.count
        guard count > limit else { return text }
        // The marker is longest when every byte is cut: reserve room for that many digits.
        let room = max(0, limit - marker(cut: count).utf8.count)
        let utf8 = text.utf8
        var end = utf8.index(utf8.startIndex, offsetBy: room)
        // Back off continuation bytes (10xxxxxx) to the start of the scalar they belong to.
        while end > utf8.startIndex, utf8[end] & 0xC0 == 0x80 {
            end = utf8.index(before: end)
        }
        let kept = utf8.distance(from: utf8.startIndex, to: end)
        return String(text.unicodeScalars[..<end]) + marker(cut: count - kept)
    }

    /// The text ``bounded(_:toBytes:)`` kept and the marker it added, or `nil` when `text` does
    /// not end with a marker (it was not cut). Redaction uses it to find a secret cut in two.
    package static func splitCut(_ text: String) -> (kept: Substring, marker: Substring)? {
        guard text.hasSuffix(markerClosing) else { return nil }
        let number = text.dropLast(markerClosing.count)
        let digitsStart = number.lastIndex { !($0.isASCII && $0.isNumber) }.map(number.index(after:)) ?? number.startIndex
        let head = number[..<digitsStart]
        guard digitsStart < number.endIndex, head.hasSuffix(markerOpening) else { return nil }
        let keptEnd = head.index(head.endIndex, offsetBy: -markerOpening.count)
        return (text[..<keptEnd], text[keptEnd...])
    }

    private static let markerOpening = "… [cut: "
    private static let markerClosing = " bytes]"

    private static func marker(cut bytes: Int) -> String { "\(markerOpening)\(bytes)\(markerClosing)" }
}
