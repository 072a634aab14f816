/// The closed batches whose files at the provider (OpenAI's input, output and error files) are
/// still to be deleted: a batch cancelled while it ran keeps `cancelling` for minutes and makes
/// its output and error files only when it ends, and a delete may fail for a while.
///
/// Guarantees: a batch is handed out for a delete at most once at a time; after each miss it is
/// tried again later, the wait doubling from its own first wait (its workload's poll interval)
/// to at most ``maxRetryMs``; it is dropped
/// (and reported so) once ``giveUpAfterMs`` passed since it closed, longer than any batch runs;
/// at most ``capacity`` batches are held (a batch past it is reported dropped at once). It lives
/// in memory: a worker that stops forgets it, and those files stay.
struct ClosedBatchFiles: Sendable {
    /// One closed batch's files.
    struct Batch: Sendable, Hashable {
        /// The configured provider it ran on.
        var provider: String
        /// The provider's batch id.
        var batchID: String
    }

    static let maxRetryMs: Int64 = 900_000
    /// OpenAI ends every batch within 24 hours of its creation; cancelling takes minutes more.
    static let giveUpAfterMs: Int64 = 26 * 3_600_000
    static let capacity = 10_000

    private struct Entry {
        var closedAtMs: Int64
        var firstRetryMs: Int64
        var nextTryMs: Int64
        var misses: Int
        var outForDelete: Bool
    }

    private var entries: [Batch: Entry] = [:]

    /// How many batches wait for their files to be deleted.
    var count: Int { entries.count }

    /// A batch just closed: its files are due at once, and after a miss `firstRetryMs` later
    /// (at least 1 ms). False when the list is full (the batch is not taken); a batch already
    /// held is kept as it is (a delete of it may be under way).
    mutating func closed(_ batch: Batch, nowMs: Int64, firstRetryMs: Int64) -> Bool {
        if entries[batch] != nil { return true }
        guard entries.count < Self.capacity else { return false }
        entries[batch] = Entry(closedAtMs: nowMs, firstRetryMs: max(1, firstRetryMs), nextTryMs: nowMs, misses: 0, outForDelete: false)
        return true
    }

    /// The batches due for a delete at `nowMs`, each handed out until ``deleted(_:)`` or
    /// ``missed(_:nowMs:)`` says how it went.
    mutating func due(nowMs: Int64) -> [Batch] {
        var due: [Batch] = []
        for (batch, entry) in entries where !entry.outForDelete && entry.nextTryMs <= nowMs {
            due.append(batch)
            entries[batch]?.outForDelete = true
        }
        return due
    }

    /// Its files are gone.
    mutating func deleted(_ batch: Batch) {
        entries[batch] = nil
    }

    /// Not yet (the batch has not finished, or a delete failed): tried again after a doubling
    /// wait. False when the batch has been given up on (it is dropped).
    mutating func missed(_ batch: Batch, nowMs: Int64) -> Bool {
        guard var entry = entries[batch] else { return false }
        guard nowMs &- entry.closedAtMs < Self.giveUpAfterMs else {
            entries[batch] = nil
            return false
        }
        let wait = min(min(entry.firstRetryMs, Self.maxRetryMs) << min(entry.misses, 16), Self.maxRetryMs)
        entry.misses += 1
        entry.nextTryMs = nowMs &+ wait
        entry.outForDelete = false
        entries[batch] = entry
        return true
    }
}
