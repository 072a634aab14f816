import Completions
import Testing

/// The bound on provider text kept in telemetry and results: cut on a scalar boundary, marked,
/// and kept by the type itself.
struct ProviderFailureTests {
    @Test func shortTextIsKeptAsItIs() {
        #expect(ProviderFailure.bounded("overloaded") == "overloaded")
        let exact = String(repeating: "a", count: ProviderFailure.maxMessageBytes)
        #expect(ProviderFailure.bounded(exact) == exact)
    }

    @Test func aThreeHundredKilobyteBodyBecomesAtMostTwoKibibytesMarkedCut() throws {
        let page = String(repeating: "<p>Service Unavailable</p>\n", count: 12_000)
        #expect(page.utf8.count > 300_000)
        let failure = ProviderFailure(outcome: .overloaded, httpStatus: 503, message: page)
        #expect(failure.message.utf8.count <= ProviderFailure.maxMessageBytes)
        #expect(failure.message.utf8.count > ProviderFailure.maxMessageBytes - 32)
        let (kept, marker) = try #require(ProviderFailure.splitCut(failure.message))
        #expect(page.hasPrefix(kept))
        #expect(marker == "… [cut: \(page.utf8.count - kept.utf8.count) bytes]")
    }

    @Test func theCutFallsOnAScalarBoundary() throws {
        for unit in ["é", "日", "😀", "e\u{301}"] {
            let text = String(repeating: unit, count: 3000)
            let cut = ProviderFailure.bounded(text, toBytes: 1001)
            #expect(cut.utf8.count <= 1001)
            let (kept, marker) = try #require(ProviderFailure.splitCut(cut))
            #expect(text.unicodeScalars.starts(with: kept.unicodeScalars))
            #expect(marker == "… [cut: \(text.utf8.count - kept.utf8.count) bytes]")
        }
    }

    @Test func assignmentsAreBoundedToo() {
        var failure = ProviderFailure(outcome: .serverError, message: "short")
        failure.message = String(repeating: "x", count: 100_000)
        #expect(failure.message.utf8.count <= ProviderFailure.maxMessageBytes)
        failure.providerErrorType = String(repeating: "T", count: 10_000)
        #expect((failure.providerErrorType?.utf8.count ?? 0) <= ProviderFailure.maxErrorTypeBytes)
        #expect(ProviderFailure(outcome: .serverError, providerErrorType: "api_error", message: "m").providerErrorType == "api_error")
    }

    @Test func aLimitSmallerThanTheMarkerGivesTheMarkerAlone() {
        #expect(ProviderFailure.bounded("abcdefghijklmnopqrstuvwxyz", toBytes: 3) == "… [cut: 26 bytes]")
        #expect(ProviderFailure.bounded("", toBytes: 0) == "")
    }

    @Test func uncutTextHasNoMarker() {
        #expect(ProviderFailure.splitCut("plain text") == nil)
        #expect(ProviderFailure.splitCut("ends with [cut: x bytes]") == nil)
        #expect(ProviderFailure.splitCut("… [cut:  bytes]") == nil)
    }
}

struct UsageTests {
    @Test func negativeCountsAreZeroAndSumsSaturate() {
        #expect(CompletionResponse.Usage(inputTokens: -5, outputTokens: -1) == .init(inputTokens: 0, outputTokens: 0))
        var total = CompletionResponse.Usage(inputTokens: 10, outputTokens: 1)
        total.add(.init(inputTokens: Int.max, outputTokens: 2))
        total.add(.init(inputTokens: Int.max, outputTokens: 3))
        #expect(total == .init(inputTokens: Int.max, outputTokens: 6))
    }
}

struct JSONValueNumberTextTests {
    @Test func numbersPrintAsNumbersWhateverTheirSize() {
        #expect(JSONValue.number(429).numberText == "429")
        #expect(JSONValue.number(-1).numberText == "-1")
        #expect(JSONValue.number(-0.0).numberText == "0")
        #expect(JSONValue.number(0.5).numberText == "0.5")
        #expect(JSONValue.number(1e300).numberText == "1e+300")
        #expect(JSONValue.number(-1e300).numberText == "-1e+300")
        #expect(JSONValue.number(1.2345678901234567e19).numberText == "1.2345678901234567e+19")
        #expect(JSONValue.string("1").numberText == nil)
    }
}
