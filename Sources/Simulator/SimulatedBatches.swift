import Completions
import Foundation
import Providers
import Synchronization

/// Anthropic's Message Batches as the simulator plays them: a batch is taken whole, runs for
/// its script's `processing_ms`, then ends; its results are the answers realtime calls would
/// get (the same summaries, the same prompt cache), except the requests the script makes error
/// or expire. A cancel ends the batch at once with every request cancelled.
///
/// Guarantees: at most ``maxBatches`` batches are kept (the oldest is dropped first), each of at
/// most 100,000 requests with unique, well-formed custom ids; results exist only once a batch
/// has ended.
final class SimulatedBatches: Sendable {
    static let maxBatches = 1_000

    struct Item: Sendable {
        var customID: String
        var model: String
        var request: CompletionRequest
        var cachePrefix: String?
    }

    private struct Batch: Sendable {
        var id: String
        var items: [Item]
        var script: BatchScript
        var createdAt: Date
        var canceled = false
        /// When a cancel was asked for; the batch ends ``BatchScript/cancellingMs`` later.
        var canceledAt: Date?
        /// OpenAI's input file id (the uploaded JSONL).
        var inputFile: String?
        /// Its output and error files deleted so far (`…-output`, `…-errors`).
        var deletedFiles: Set<String> = []
    }

    /// A batch as the API reports it.
    struct Snapshot: Sendable {
        var id: String
        var ended: Bool
        var canceling: Bool
        /// It ended failed as a whole (``BatchScript/failBatch``).
        var failed = false
        var counts: (processing: Int, succeeded: Int, errored: Int, canceled: Int, expired: Int)
        var createdAt: Date
        var inputFile: String?
    }

    private struct State {
        var batches: [String: Batch] = [:]
        var order: [String] = []
        var serial = 0
        var script = BatchScript()
        var tally = BatchTally()
        /// How many times each custom id was submitted (for ``BatchTally``).
        var submissions: [String: Int] = [:]
        var files: [String: Data] = [:]
        /// When each uploaded file stops being `pending` (``BatchScript/filePendingMs``).
        var filesProcessedAt: [String: Date] = [:]
        /// The `status_details` of uploaded files the provider refused (``BatchScript/fileError``).
        var fileErrors: [String: String] = [:]
        var fileOrder: [String] = []
        /// Results files already cut once (``BatchScript/cutResultsAfterLines``).
        var cutFiles: Set<String> = []
    }

    /// Keeps an uploaded file (OpenAI's Files API) and returns its id; at most ``maxBatches``
    /// files are kept.
    func store(file: Data, now: Date) -> String {
        state.withLock { state in
            state.serial += 1
            let id = "file-sim-\(state.serial)"
            state.files[id] = file
            state.filesProcessedAt[id] = now.addingTimeInterval(Double(state.script.filePendingMs) / 1_000)
            state.fileErrors[id] = state.script.fileError
            state.fileOrder.append(id)
            if state.fileOrder.count > Self.maxBatches {
                let oldest = state.fileOrder.removeFirst()
                state.files[oldest] = nil
                state.filesProcessedAt[oldest] = nil
                state.fileErrors[oldest] = nil
            }
            state.tally.filesHeld = state.files.count
            return id
        }
    }

    /// An uploaded file's status at `now`: `pending`, then `processed` (or `error`, with its
    /// `status_details`, when the script refuses files); `nil` for no such file.
    func fileStatus(_ id: String, now: Date) -> (status: String, details: String?)? {
        state.withLock { state in
            guard let processedAt = state.filesProcessedAt[id] else { return nil }
            if processedAt > now { return ("pending", nil) }
            if let details = state.fileErrors[id] { return ("error", details) }
            return ("processed", nil)
        }
    }

    func file(_ id: String) -> Data? {
        state.withLock { $0.files[id] }
    }

    /// Deletes an uploaded file, or the output (`…-output`) or error (`…-errors`) file of a
    /// batch; `false` when there is no such file (any more).
    func deleteFile(_ id: String) -> Bool {
        state.withLock { state in
            if state.files.removeValue(forKey: id) != nil {
                state.filesProcessedAt[id] = nil
                state.fileErrors[id] = nil
                state.fileOrder.removeAll { $0 == id }
                state.tally.filesHeld = state.files.count
                state.tally.filesDeleted += 1
                return true
            }
            for suffix in ["-output", "-errors"] where id.hasSuffix(suffix) {
                let batchID = String(id.dropLast(suffix.count))
                guard var batch = state.batches[batchID], batch.deletedFiles.insert(id).inserted else { return false }
                state.batches[batchID] = batch
                state.tally.filesDeleted += 1
                return true
            }
            return false
        }
    }

    /// Whether the output or error file `file` of batch `id` was deleted.
    func hasDeleted(_ file: String, of id: String) -> Bool {
        state.withLock { $0.batches[id]?.deletedFiles.contains(file) ?? false }
    }

    private let state = Mutex(State())

    var script: BatchScript {
        get { state.withLock { $0.script } }
        set { state.withLock { $0.script = newValue } }
    }

    /// Whether the next upload gets no answer (``BatchScript/dropUploads``); counts it down.
    func dropsUpload() -> Bool {
        state.withLock { state in
            guard state.script.dropUploads > 0 else { return false }
            state.script.dropUploads -= 1
            state.tally.droppedUploads += 1
            return true
        }
    }

    /// Takes a batch; `nil` when the script refuses it (see ``BatchScript/refuseStatus``).
    func create(
        _ items: [Item], now: Date, idPrefix: String = "msgbatch_sim_", inputFile: String? = nil
    ) -> (snapshot: Snapshot?, refusedStatus: Int?) {
        state.withLock { state in
            if let status = state.script.refuseStatus { return (nil, status) }
            state.serial += 1
            let id = "\(idPrefix)\(state.serial)"
            let batch = Batch(id: id, items: items, script: state.script, createdAt: now, inputFile: inputFile)
            state.tally.batches += 1
            state.tally.requests += items.count
            for item in items where state.submissions.count < Self.maxTalliedIDs {
                state.submissions[item.customID, default: 0] += 1
                if state.submissions[item.customID] == 2 { state.tally.resubmittedIDs += 1 }
            }
            state.batches[id] = batch
            state.order.append(id)
            if state.order.count > Self.maxBatches { state.batches[state.order.removeFirst()] = nil }
            return (Self.snapshot(of: batch, now: now), nil)
        }
    }

    /// Where the read of results file `file` (of batch `id`, `lines` long) is cut: the script's
    /// line count on the first read of each file longer than that, `nil` otherwise.
    func resultsCut(file: String, of id: String, lines: Int) -> Int? {
        state.withLock { state in
            state.tally.resultReads += 1
            guard let batch = state.batches[id], let cut = batch.script.cutResultsAfterLines, cut >= 0, cut < lines,
                state.cutFiles.count < Self.maxBatches, state.cutFiles.insert(file).inserted
            else { return nil }
            state.tally.cutReads += 1
            return cut
        }
    }

    /// The most custom ids ``BatchTally/resubmittedIDs`` keeps track of.
    static let maxTalliedIDs = 1_000_000

    /// What was submitted and cancelled so far.
    var tally: BatchTally { state.withLock { $0.tally } }

    func snapshot(_ id: String, now: Date) -> Snapshot? {
        state.withLock { state in state.batches[id].map { Self.snapshot(of: $0, now: now) } }
    }

    /// A page of batches, newest first (as both APIs list them): at most `limit` (1 to 1,000),
    /// starting after the batch `after` (older ones) or, with `before`, ending before it
    /// (newer ones); `hasMore` when the page left some out on its far side.
    func list(limit: Int, after: String?, before: String?, now: Date) -> (page: [Snapshot], hasMore: Bool) {
        state.withLock { state in
            let newestFirst = Array(state.order.reversed())
            var lower = 0
            var upper = newestFirst.count
            if let after, let index = newestFirst.firstIndex(of: after) { lower = index + 1 }
            if let before, let index = newestFirst.firstIndex(of: before) { upper = index }
            let ids = lower < upper ? newestFirst[lower..<upper] : []
            let size = min(max(1, limit), 1_000)
            let page = before == nil ? Array(ids.prefix(size)) : Array(ids.suffix(size))
            let snapshots = page.compactMap { id in state.batches[id].map { Self.snapshot(of: $0, now: now) } }
            return (snapshots, ids.count > page.count)
        }
    }

    /// Cancels a batch that has not ended; returns it as it stands then.
    func cancel(_ id: String, now: Date) -> Snapshot? {
        state.withLock { state in
            guard var batch = state.batches[id] else { return nil }
            if !Self.hasEnded(batch, now: now) && !batch.canceled {
                state.tally.cancelled += 1
                batch.canceled = true
                batch.canceledAt = now
            }
            state.batches[id] = batch
            var snapshot = Self.snapshot(of: batch, now: now)
            // The cancel's own answer says cancelling, as the APIs do.
            snapshot.canceling = batch.canceled
            return snapshot
        }
    }

    /// The ended batch's requests and how each ended (`nil` while it runs or when unknown).
    func outcomes(_ id: String, now: Date) -> [(item: Item, outcome: String)]? {
        state.withLock { state in
            guard let batch = state.batches[id], Self.hasEnded(batch, now: now) else { return nil }
            return batch.items.map { ($0, Self.outcome(of: $0, in: batch)) }
        }
    }

    private static func hasEnded(_ batch: Batch, now: Date) -> Bool {
        if batch.canceled, let canceledAt = batch.canceledAt {
            return now.timeIntervalSince(canceledAt) * 1_000 >= Double(batch.script.cancellingMs)
        }
        guard let processing = batch.script.processingMs else { return false }
        return now.timeIntervalSince(batch.createdAt) * 1_000 >= Double(processing)
    }

    private static func outcome(of item: Item, in batch: Batch) -> String {
        if batch.canceled { return "canceled" }
        if batch.script.failBatch { return "errored" }
        if batch.script.expiredIDs.contains(item.customID) { return "expired" }
        if batch.script.erroredIDs.contains(item.customID) { return "errored" }
        return "succeeded"
    }

    private static func snapshot(of batch: Batch, now: Date) -> Snapshot {
        let ended = hasEnded(batch, now: now)
        var counts = (processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0)
        if ended {
            for item in batch.items {
                switch outcome(of: item, in: batch) {
                case "canceled": counts.canceled += 1
                case "expired": counts.expired += 1
                case "errored": counts.errored += 1
                default: counts.succeeded += 1
                }
            }
        } else {
            counts.processing = batch.items.count
        }
        return Snapshot(
            id: batch.id, ended: ended, canceling: batch.canceled && !ended, failed: ended && !batch.canceled && batch.script.failBatch,
            counts: counts,
            createdAt: batch.createdAt, inputFile: batch.inputFile)
    }
}

/// What a simulator's batch APIs took so far, for tests: batches created, requests in them,
/// custom ids submitted more than once, and batches cancelled while they ran.
package struct BatchTally: Sendable, Hashable {
    package var batches = 0
    package var requests = 0
    package var resubmittedIDs = 0
    package var cancelled = 0
    /// Reads of a results file (Anthropic's results, OpenAI's output and error files).
    package var resultReads = 0
    /// Reads cut short (``BatchScript/cutResultsAfterLines``).
    package var cutReads = 0
    /// Uploaded files (OpenAI's Files API) stored now.
    package var filesHeld = 0
    /// Files deleted through the Files API: uploads, output and error files.
    package var filesDeleted = 0
    /// Uploads closed with no answer (``BatchScript/dropUploads``).
    package var droppedUploads = 0
}
