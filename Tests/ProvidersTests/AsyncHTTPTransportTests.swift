import AsyncHTTPClient
import Completions
import Foundation
import NIOHTTP1
import Synchronization
import Testing

@testable import Providers

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The transport's bounds on a response (issue 9): the body may not outgrow its cap nor stall
/// after its head. A loopback server on a free port answers with a scripted head and body; the
/// body timer runs on a hand-driven clock, so no test waits for time to pass.
@Suite struct AsyncHTTPTransportTests {
    /// A body timer whose clock the test moves, and which tells when it arms its alarm.
    final class HandTimer: Sendable {
        final class Clock: Sendable {
            let state = Mutex<(now: Duration, alarms: [(at: Duration, fire: @Sendable () -> Void)])>((.zero, []))
        }

        let clock: Clock
        let armings: AsyncStream<Duration>
        let timer: DeadlineTimer

        init() {
            let clock = Clock()
            let (armings, armed) = AsyncStream.makeStream(of: Duration.self)
            self.clock = clock
            self.armings = armings
            timer = DeadlineTimer(
                now: { clock.state.withLock { $0.now } },
                alarm: { instant, fire in
                    clock.state.withLock { $0.alarms.append((instant, fire)) }
                    armed.yield(instant)
                }
            )
        }

        /// Moves the clock to `instant` and rings the alarms due.
        func advance(to instant: Duration) {
            let due = clock.state.withLock { state in
                state.now = instant
                let due = state.alarms.filter { $0.at <= instant }.map(\.fire)
                state.alarms.removeAll { $0.at <= instant }
                return due
            }
            for fire in due { fire() }
        }
    }

    private func withTransport(
        answering response: [UInt8],
        _ body: (AsyncHTTPTransport, HandTimer, String) async throws -> Void
    ) async throws {
        let server = try LoopbackServer(response: response)
        defer { server.stop() }
        let client = ProviderHTTPClient(maxConnectionsPerHost: 8)
        let hand = HandTimer()
        do {
            try await body(AsyncHTTPTransport(client: client.client, bodyTimer: hand.timer), hand, "http://127.0.0.1:\(server.port)/v1/messages")
        } catch {
            try await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    /// Expects `call` to fail as a `.timeout` whose message says `word`.
    static func expectTimeout(_ call: Task<some Sendable, any Error>, saying word: String) async {
        do {
            _ = try await call.value
            Issue.record("the call must time out")
        } catch let failure as ProviderFailure {
            #expect(failure.outcome == .timeout)
            #expect(failure.message.contains(word))
        } catch {
            Issue.record("not a timeout: \(error)")
        }
    }

    static func head(contentLength: Int) -> [UInt8] {
        Array("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: \(contentLength)\r\n\r\n".utf8)
    }

    @Test func aCompleteBodyPassesAndLeavesNoDeadlineBehind() async throws {
        let body = Array(#"{"ok":true}"#.utf8)
        try await withTransport(answering: Self.head(contentLength: body.count) + body) { transport, hand, url in
            let answer = try await transport.send(
                ProviderHTTPRequest(url: url, body: Data("{}".utf8)), timeout: .seconds(30), maxResponseBytes: 1024, bodyTimeout: .seconds(5))
            #expect(answer.status == 200)
            #expect(answer.bodyText == #"{"ok":true}"#)
            #expect(hand.timer.counts.registered == 0)
        }
    }

    @Test func aBodyOverTheCapIsInvalidOutput() async throws {
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 64 * 1024)
        try await withTransport(answering: Self.head(contentLength: body.count) + body) { transport, _, url in
            let failure = await #expect(throws: ProviderFailure.self) {
                _ = try await transport.send(ProviderHTTPRequest(url: url), timeout: .seconds(30), maxResponseBytes: 4096, bodyTimeout: .seconds(5))
            }
            #expect(failure?.outcome == .invalidOutput)
        }
    }

    @Test func aBodyThatStallsAfterItsHeadTimesOut() async throws {
        // The head promises 1000 bytes; 10 come, then nothing.
        try await withTransport(answering: Self.head(contentLength: 1000) + Array(#"{"partial""#.utf8)) { transport, hand, url in
            let call = Task {
                try await transport.send(ProviderHTTPRequest(url: url), timeout: .seconds(600), maxResponseBytes: 4096, bodyTimeout: .seconds(5))
            }
            var armings = hand.armings.makeAsyncIterator()
            let deadline = try #require(await armings.next())
            #expect(deadline == .seconds(5))
            hand.advance(to: deadline)
            await Self.expectTimeout(call, saying: "body")
            #expect(hand.timer.counts.registered == 0)
        }
    }

    /// Streams `url`'s body with a 5 s pause bound, reporting each delivery's size on the stream.
    private static func stream(
        _ transport: AsyncHTTPTransport, _ url: String
    ) -> (call: Task<ProviderHTTPResponse, any Error>, deliveries: AsyncStream<Int>) {
        let (deliveries, deliver) = AsyncStream.makeStream(of: Int.self)
        let call = Task {
            defer { deliver.finish() }
            return try await transport.streamLines(
                ProviderHTTPRequest(url: url), timeout: .seconds(600), bodyTimeout: .seconds(5), maxErrorBytes: 1024,
                splitter: LineSplitter(maxBytes: 1 << 20, maxLineBytes: 1024)
            ) { lines in deliver.yield(lines.count) }
        }
        return (call, deliveries)
    }

    static func all(_ deliveries: AsyncStream<Int>) async -> [Int] {
        var sizes: [Int] = []
        for await size in deliveries { sizes.append(size) }
        return sizes
    }

    static let seventyLines = (0..<70).map { "{\"n\":\($0)}\n" }.joined()

    @Test func aStreamedBodyArrivesAsDeliveriesOfLines() async throws {
        let body = Array(Self.seventyLines.utf8)
        try await withTransport(answering: Self.head(contentLength: body.count) + body) { transport, hand, url in
            let (call, deliveries) = Self.stream(transport, url)
            let answer = try await call.value
            #expect(answer.status == 200 && answer.body.isEmpty)
            #expect(await Self.all(deliveries) == [64, 6])
            #expect(hand.timer.counts.registered == 0)
        }
    }

    @Test func aStreamedBodyHandsOverLinesBeforeItEndsAndAPauseTimesOut() async throws {
        // The head promises 100 bytes more than come: 64 lines are handed over while the body is
        // still open, then the wait for the rest is cut by the body timer.
        let body = Array(Self.seventyLines.utf8)
        try await withTransport(answering: Self.head(contentLength: body.count + 100) + body) { transport, hand, url in
            let (call, deliveries) = Self.stream(transport, url)
            var iterator = deliveries.makeAsyncIterator()
            #expect(await iterator.next() == 64)
            // The reader is waiting for more once it has armed the timer again.
            while hand.timer.counts.registered == 0 { await Task.yield() }
            hand.advance(to: .seconds(5))
            await Self.expectTimeout(call, saying: "paused")
            #expect(await iterator.next() == nil, "the six lines of an unfinished body are not handed over")
        }
    }

    @Test func aStreamedErrorStatusComesBackWholeWithNoLines() async throws {
        let body = Array(#"{"error":{"type":"overloaded_error"}}"#.utf8)
        let head = Array("HTTP/1.1 529 Overloaded\r\ncontent-type: application/json\r\ncontent-length: \(body.count)\r\n\r\n".utf8)
        try await withTransport(answering: head + body) { transport, _, url in
            let (call, deliveries) = Self.stream(transport, url)
            let answer = try await call.value
            #expect(answer.status == 529 && answer.bodyText.contains("overloaded_error"))
            #expect(await Self.all(deliveries) == [])
        }
    }

    @Test func cancellingTheCallerDuringAStalledBodyIsACancellation() async throws {
        try await withTransport(answering: Self.head(contentLength: 1000) + Array("{".utf8)) { transport, hand, url in
            let call = Task {
                try await transport.send(ProviderHTTPRequest(url: url), timeout: .seconds(600), maxResponseBytes: 4096, bodyTimeout: .seconds(5))
            }
            var armings = hand.armings.makeAsyncIterator()
            _ = await armings.next()
            call.cancel()
            await #expect(throws: CancellationError.self) { _ = try await call.value }
        }
    }
}

/// A one-response HTTP server on 127.0.0.1 and a free port: it reads each request's head,
/// writes `response`, and keeps the connection open (so a short body stalls) until stopped.
final class LoopbackServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let connections = Mutex<[Int32]>([])
    private let response: [UInt8]

    init(response: [UInt8]) throws {
        self.response = response
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, bound == 0, listen(fd, 8) == 0 else { throw POSIXError(.EADDRNOTAVAIL) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    private func serve() {
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            connections.withLock { $0.append(connection) }
            var seen: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !seen.contains(subsequence: Array("\r\n\r\n".utf8)) {
                let count = read(connection, &buffer, buffer.count)
                guard count > 0 else { break }
                seen += buffer[0..<count]
            }
            response.withUnsafeBytes { _ = write(connection, $0.baseAddress, $0.count) }
        }
    }

    func stop() {
        _ = shutdown(listener, Int32(SHUT_RDWR))
        _ = close(listener)
        for connection in connections.withLock({ $0 }) {
            _ = shutdown(connection, Int32(SHUT_RDWR))
            _ = close(connection)
        }
    }
}

extension Array where Element == UInt8 {
    fileprivate func contains(subsequence: [UInt8]) -> Bool {
        guard count >= subsequence.count else { return false }
        return (0...(count - subsequence.count)).contains { self[$0..<($0 + subsequence.count)].elementsEqual(subsequence) }
    }
}
