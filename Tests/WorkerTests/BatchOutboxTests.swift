import Kafka
import Testing

@testable import Worker

/// The exactly-once outbox of the batch lane: writers hear `true` only after a commit that
/// carried their records.
@Suite("BatchOutbox: a writer is resumed once, by a commit, a close or its cancellation")
struct BatchOutboxTests {
    static let record = KafkaRecord(topic: "t", key: nil, value: [1])

    @Test("records drained before a commit are committed by it; records queued after wait for the next")
    func commit() async {
        let outbox = BatchOutbox()
        async let first = outbox.write([Self.record])
        while outbox.queuedCount == 0 { await Task.yield() }
        #expect(outbox.drain().count == 1)
        async let second = outbox.write([Self.record, Self.record])
        while outbox.queuedCount == 0 { await Task.yield() }
        outbox.committed()
        #expect(await first)
        #expect(outbox.drain().count == 2)
        outbox.committed()
        #expect(await second)
    }

    @Test("a drain takes whole writers within the transaction's bytes (always the first); the rest wait for the next transaction")
    func boundedDrain() async {
        let outbox = BatchOutbox()
        let big = KafkaRecord(topic: "t", key: nil, value: Array(repeating: 7, count: 1_000))
        async let first = outbox.write([big, big])
        while outbox.queuedCount < 1 { await Task.yield() }
        async let second = outbox.write([Self.record])
        while outbox.queuedCount < 2 { await Task.yield() }
        #expect(outbox.drain(maxBytes: 100).count == 2, "the first writer goes alone, however large")
        #expect(outbox.queuedCount == 1)
        outbox.committed()
        #expect(await first)
        #expect(outbox.drain(maxBytes: 100).count == 1)
        outbox.committed()
        #expect(await second)
    }

    @Test("closing refuses every waiting writer and every later one")
    func close() async {
        let outbox = BatchOutbox()
        async let waiting = outbox.write([Self.record])
        while outbox.queuedCount == 0 { await Task.yield() }
        outbox.close()
        #expect(await !waiting)
        #expect(await !outbox.write([Self.record]))
        #expect(outbox.drain().isEmpty)
    }

    @Test("a cancelled writer hears false at once, queued or drained")
    func cancellation() async {
        let outbox = BatchOutbox()
        let queued = Task { await outbox.write([Self.record]) }
        while outbox.queuedCount == 0 { await Task.yield() }
        queued.cancel()
        #expect(await !queued.value)
        #expect(outbox.drain().isEmpty)
        let drained = Task { await outbox.write([Self.record]) }
        while outbox.queuedCount == 0 { await Task.yield() }
        _ = outbox.drain()
        drained.cancel()
        #expect(await !drained.value)
        outbox.committed()
    }
}
