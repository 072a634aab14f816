import Completions
import Foundation
import Testing

@testable import Providers

/// Cutting a results file into lines as its bytes arrive: in order, across pieces, within bounds.
@Suite struct LineSplitterTests {
    /// Feeds `pieces` and finishes, gathering every delivery.
    private func deliveries(_ pieces: [String], maxBytes: Int = 1 << 20, maxLineBytes: Int = 1024) async throws -> [[String]] {
        var splitter = LineSplitter(maxBytes: maxBytes, maxLineBytes: maxLineBytes)
        var deliveries: [[String]] = []
        for piece in pieces {
            try await splitter.feed(Array(piece.utf8)) { deliveries.append($0.map { String(decoding: $0, as: UTF8.self) }) }
        }
        try await splitter.finish { deliveries.append($0.map { String(decoding: $0, as: UTF8.self) }) }
        return deliveries
    }

    @Test func linesSplitAcrossPiecesComeOutWholeAndInOrder() async throws {
        let got = try await deliveries(["{\"a\":", "1}\n{\"b\"", ":2}\n\n{\"c\":3}"])
        #expect(got == [["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"]])
    }

    @Test func linesAreHandedOverSixtyFourAtATimeAsTheyArrive() async throws {
        var splitter = LineSplitter(maxBytes: 1 << 20, maxLineBytes: 1024)
        var sizes: [Int] = []
        let body = (0..<150).map { "{\"n\":\($0)}\n" }.joined()
        try await splitter.feed(Array(body.utf8)) { sizes.append($0.count) }
        // Two full deliveries before the body ends; the rest only when it ends.
        #expect(sizes == [64, 64])
        try await splitter.finish { sizes.append($0.count) }
        #expect(sizes == [64, 64, 22])
    }

    @Test func aLineOverItsBoundComesOutEmptyAndIsNeverHeld() async throws {
        let long = String(repeating: "x", count: 100)
        let got = try await deliveries(["{\"ok\":1}\n", long.prefix(60) + "", long.suffix(40) + "\n{\"ok\":2}\n"], maxLineBytes: 64)
        #expect(got == [["{\"ok\":1}", "", "{\"ok\":2}"]])
    }

    @Test func aBodyOverItsBoundIsInvalidOutput() async throws {
        var splitter = LineSplitter(maxBytes: 10, maxLineBytes: 1024)
        let failure = await #expect(throws: ProviderFailure.self) {
            try await splitter.feed(Array("{\"a\":1}\n{\"b\":2}\n".utf8)) { _ in }
        }
        #expect(failure?.outcome == .invalidOutput)
    }

    @Test func aBigPieceOfShortLinesIsDeliveredWithinTheByteBound() async throws {
        // Lines of 40 bytes against a bound of 100: a delivery is cut once it reaches 100 bytes.
        var splitter = LineSplitter(maxBytes: 1 << 20, maxLineBytes: 100)
        var sizes: [Int] = []
        let line = String(repeating: "y", count: 39) + "\n"
        try await splitter.feed(Array(String(repeating: line, count: 10).utf8)) { sizes.append($0.count) }
        try await splitter.finish { sizes.append($0.count) }
        #expect(sizes.reduce(0, +) == 10)
        #expect(sizes == [3, 3, 3, 1])
    }
}
