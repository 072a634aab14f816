import Completions
import Failover
import Jobs
import Kafka

/// What the batch lane knows of the partitions this worker owns: every open entry and
/// submitted batch of their batch-state partitions, folded from their records as they are
/// read, with this worker's own changes laid over them. It decides what is due at an instant (a
/// flush, a poll, a job to run realtime, a batch to cancel); the lane does it. A value, driven
/// by records and instants only, so every decision is testable without Kafka, HTTP or sleeps.
///
/// Guarantees: a job is handed out for one piece of work at a time (``markBusy(_:)``); a job
/// that was served never comes back from a record read later (save, at-least-once, when its
/// tombstone is still being retried as its partition is read again); only partitions this worker owns
/// and has read up to its own ownership marker yield work; it holds nothing of a partition it
/// does not own (a revoke forgets the partition; an assignment reads it again from the
/// beginning), so its size is that of this worker's own partitions, and ``heldBytes`` tells
/// the jobs' share of it.
struct BatchBook: Sendable {
    /// Which waiting jobs go to one batch: same partition, workload and batch route.
    struct GroupKey: Sendable, Hashable {
        var partition: Int32
        var workload: String
        var route: RouteKey
    }

    /// Jobs not yet submitted, of one group, in the order they were read.
    struct Pending: Sendable {
        var origins: [String] = []
        /// When the oldest of them was read.
        var sinceMs: Int64 = .max
    }

    /// A submitted batch not yet closed.
    struct Open: Sendable {
        var batch: SubmittedBatch
        /// Origins by custom id.
        var origins: [String: String]
        /// Members not yet served.
        var unserved: Set<String>
        /// Members that left the batch unanswered (errored, expired, cancelled, missing, or the
        /// whole batch failed): they run realtime, and the batch stays open until they are served.
        var left: Set<String> = []
        /// Its results are being read or were read (or it failed): no more polls, no cancel.
        var ended = false
        /// Custom ids whose result line was taken in an earlier delivery or an earlier read of
        /// the results (a read cut short is read again; what it took is not taken twice).
        var seen: Set<String> = []
        /// Answers that came for jobs already served elsewhere (dropped).
        var lateAnswers = 0
        /// The provider said it ended: its results can be read (a cancel would come too late).
        var resultsReady = false
        var nextPollMs: Int64
        /// Polls that failed in a row (their backoff).
        var failedPolls = 0
        /// The counts the provider reported last.
        var counts: ProviderBatch.Counts?
        /// A cancel was asked for (all its jobs were served elsewhere).
        var cancelRequested = false
        /// Its tombstone is being written.
        var closing = false
    }

    /// What is due now.
    struct Work: Sendable {
        /// Groups to submit, each within `flush_after_jobs`.
        var flushes: [(key: GroupKey, entries: [BatchEntry])] = []
        /// Jobs to run realtime now (their deadline margin came, or their workload has no batch any more).
        var realtime: [BatchEntry] = []
        /// Batches to poll.
        var polls: [SubmittedBatch] = []
        /// Batches every job of which was served elsewhere while they ran: to cancel and close.
        var cancels: [SubmittedBatch] = []
        /// Batches that ended and whose jobs were all served: to close.
        var closes: [SubmittedBatch] = []
        /// Intents found with no batch after them whose jobs were all served: to tombstone.
        var voidIntents: [(group: String, partition: Int32)] = []
    }

    /// A partition of the batch-state topic this worker owns, under the nonce of its ownership
    /// marker (each assignment has its own, and so does the reader that follows it).
    enum Ownership: Sendable, Equatable {
        /// Assigned; reading up to its marker before acting.
        case restoring(nonce: String)
        case ready(nonce: String)

        var nonce: String {
            switch self {
            case .restoring(let nonce), .ready(let nonce): nonce
            }
        }
    }

    private(set) var entries: [String: BatchEntry] = [:]
    /// When each entry was read (its flush timer).
    private var readAtMs: [String: Int64] = [:]
    private(set) var pending: [GroupKey: Pending] = [:]
    private(set) var open: [String: Open] = [:]
    /// Origin → the group of the open batch it is in.
    private var inBatch: [String: String] = [:]
    /// Groups this worker closed whose tombstone it has not read back yet, and their partitions.
    private var closed: [String: Int32] = [:]
    /// In-doubt intents whose tombstone is being written.
    private var voidingIntents: Set<String> = []
    /// Groups this worker is submitting (its intent written, the provider not yet answered).
    private var submitting: Set<String> = []
    /// Batches this worker submitted while their partition was being read again (revoked and
    /// assigned back meanwhile): opened once the marker is read, when every job before it is in.
    private var submittedWhileRestoring: [String: (batch: SubmittedBatch, nextPollMs: Int64)] = [:]
    /// Intents read with no batch after them: the provider may or may not have taken them, so
    /// their jobs run realtime rather than go to a batch again. Group → its members' origins.
    private var inDoubt: [String: (partition: Int32, origins: [String])] = [:]
    /// Jobs handed out for work now.
    private var busy: Set<String> = []
    /// Jobs outside any batch that must run realtime (their flush was refused for good).
    private var refused: Set<String> = []
    /// Groups whose flush failed, and when they may flush again.
    private var flushNotBefore: [GroupKey: Int64] = [:]
    private(set) var owned: [Int32: Ownership] = [:]
    /// The bytes of the jobs it holds (their messages' values).
    private(set) var heldBytes = 0

    /// The workloads' batch settings (`workloads.NAME.batch`).
    let configs: [String: BatchConfig]

    init(configs: [String: BatchConfig]) {
        self.configs = configs
    }

    /// Open entries, waiting or in a batch, of the partitions it owns.
    var count: Int { entries.count }
    /// Entries waiting for a flush, all owned partitions.
    var waiting: Int { pending.values.reduce(0) { $0 + $1.origins.count } }

    // MARK: Reading the topic

    /// Folds one record of the batch-state topic, read at `nowMs` by the reader of the ownership
    /// `nonce` (`nil`: whichever owns the partition now). A record of a partition this worker
    /// does not own, or read by the reader of an earlier ownership, is skipped.
    mutating func read(_ message: KafkaMessage, nowMs: Int64, nonce: String? = nil) {
        guard let ownership = owned[message.partition], nonce.map({ $0 == ownership.nonce }) ?? true,
            let key = message.key.flatMap({ String(validating: $0, as: UTF8.self) })
        else { return }
        if key.hasPrefix(BatchEntry.Key.job) {
            let origin = String(key.dropFirst(BatchEntry.Key.job.count))
            if message.value.isEmpty {
                served(origin)
            } else if entries[origin] == nil, let entry = BatchEntry.read(message, origin: origin, nowMs: nowMs) {
                add(entry, nowMs: nowMs)
            }
        } else if key.hasPrefix(BatchEntry.Key.batch) {
            let group = String(key.dropFirst(BatchEntry.Key.batch.count))
            if message.value.isEmpty {
                closed[group] = nil
                submittedWhileRestoring[group] = nil
                inDoubt[group] = nil
                voidingIntents.remove(group)
                close(group)
            } else if let own = submittedWhileRestoring[group] {
                // This worker's own batch, submitted while the partition was read again: its
                // intent is skipped, its full record opens it.
                if let batch = SubmittedBatch.read(message, group: group), batch.batchID != nil {
                    submittedWhileRestoring[group] = nil
                    submitted(batch, nextPollMs: own.nextPollMs)
                }
            } else if open[group] == nil, closed[group] == nil, !submitting.contains(group),
                let batch = SubmittedBatch.read(message, group: group)
            {
                if batch.batchID == nil {
                    inDoubt[group] = (batch.partition, batch.members.map(\.origin))
                    for member in batch.members where entries[member.origin] != nil {
                        removePending(member.origin)
                        refused.insert(member.origin)
                    }
                } else {
                    inDoubt[group] = nil
                    submitted(batch, nextPollMs: nowMs)
                }
            }
        } else if key.hasPrefix(BatchEntry.Key.owner) {
            let nonce = String(decoding: message.value, as: UTF8.self)
            if ownership == .restoring(nonce: nonce) {
                owned[message.partition] = .ready(nonce: nonce)
                for (group, own) in submittedWhileRestoring where own.batch.partition == message.partition {
                    submittedWhileRestoring[group] = nil
                    submitted(own.batch, nextPollMs: own.nextPollMs)
                }
            }
        }
    }

    private mutating func add(_ entry: BatchEntry, nowMs: Int64) {
        entries[entry.origin] = entry
        heldBytes += entry.value.count
        readAtMs[entry.origin] = nowMs
        guard inBatch[entry.origin] == nil else { return }
        let key = GroupKey(partition: entry.partition, workload: entry.workload, route: entry.route)
        var group = pending[key] ?? Pending()
        group.origins.append(entry.origin)
        group.sinceMs = min(group.sinceMs, nowMs)
        pending[key] = group
    }

    // MARK: Ownership

    /// This worker now owns `partition`; it reads the partition from the beginning (through
    /// the reader of `nonce`) and acts on it once it read back `nonce`, its ownership marker.
    mutating func assign(_ partition: Int32, nonce: String) {
        // Owned already: what it knew is read again from the topic, as by a new owner.
        if owned[partition] != nil { revoke(partition) }
        owned[partition] = .restoring(nonce: nonce)
    }

    /// This worker no longer owns `partition`: it forgets it (only which jobs it still has out
    /// for work stays, so a job is never out twice should the partition come back meanwhile).
    mutating func revoke(_ partition: Int32) {
        owned[partition] = nil
        for (origin, entry) in entries where entry.partition == partition {
            entries[origin] = nil
            readAtMs[origin] = nil
            refused.remove(origin)
            inBatch[origin] = nil
            heldBytes -= entry.value.count
        }
        pending = pending.filter { $0.key.partition != partition }
        flushNotBefore = flushNotBefore.filter { $0.key.partition != partition }
        open = open.filter { $0.value.batch.partition != partition }
        // A batch record may name jobs of another partition: none may point at a batch forgotten here.
        inBatch = inBatch.filter { open[$0.value] != nil }
        submittedWhileRestoring = submittedWhileRestoring.filter { $0.value.batch.partition != partition }
        inDoubt = inDoubt.filter { $0.value.partition != partition }
        voidingIntents = voidingIntents.filter { inDoubt[$0] != nil }
        closed = closed.filter { $0.value != partition }
    }

    func isReady(_ partition: Int32) -> Bool {
        if case .ready = owned[partition] { return true }
        return false
    }

    /// Whether `partition` is owned under the ownership of `nonce` (its reader still has work).
    func owns(_ partition: Int32, nonce: String) -> Bool { owned[partition]?.nonce == nonce }

    // MARK: This worker's changes

    /// This worker is about to ask the provider for `group`: a read-back of its intent is its own.
    mutating func submitting(_ group: String) { submitting.insert(group) }

    /// This worker submitted `batch`; its first poll is at `nextPollMs`. While its partition is
    /// read again (revoked and assigned back during the submission), it opens once the marker
    /// is read, so it holds every job read before it.
    mutating func submittedHere(_ batch: SubmittedBatch, nextPollMs: Int64) {
        guard case .restoring = owned[batch.partition] else {
            submitted(batch, nextPollMs: nextPollMs)
            return
        }
        submitting.remove(batch.group)
        submittedWhileRestoring[batch.group] = (batch, nextPollMs)
    }

    /// `batch` was submitted (by this worker, or read from the topic); its first poll is at `nextPollMs`.
    mutating func submitted(_ batch: SubmittedBatch, nextPollMs: Int64) {
        submitting.remove(batch.group)
        // Revoked meanwhile: the partition's owner reads the batch's record.
        guard owned[batch.partition] != nil else { return }
        var origins: [String: String] = [:]
        var unserved = Set<String>()
        for member in batch.members {
            origins[member.customID] = member.origin
            // A job already in another open batch stays there (a stale owner's batch may come later).
            if entries[member.origin] != nil, inBatch[member.origin].map({ $0 == batch.group }) ?? true {
                unserved.insert(member.origin)
                inBatch[member.origin] = batch.group
            }
        }
        for origin in unserved {
            removePending(origin)
            refused.remove(origin)
        }
        open[batch.group] = Open(batch: batch, origins: origins, unserved: unserved, nextPollMs: nextPollMs)
    }

    /// The job of `origin` was served (its result published): it leaves the book.
    mutating func served(_ origin: String) {
        // Out for work even when its partition was revoked meanwhile: it is not any more.
        busy.remove(origin)
        guard let entry = entries[origin] else { return }
        removePending(origin)
        entries[origin] = nil
        heldBytes -= entry.value.count
        readAtMs[origin] = nil
        refused.remove(origin)
        if let group = inBatch.removeValue(forKey: origin) {
            open[group]?.unserved.remove(origin)
            open[group]?.left.remove(origin)
        }
    }

    /// The batch `group` is over for this worker (its tombstone written or read).
    mutating func close(_ group: String) {
        guard let batch = open.removeValue(forKey: group) else { return }
        for origin in batch.unserved where inBatch[origin] == group { inBatch[origin] = nil }
    }

    /// This worker closed `group` and wrote its tombstone: a read-back of its record must not reopen it.
    mutating func closedLocally(_ group: String) {
        guard let partition = open[group]?.batch.partition else { return }
        close(group)
        closed[group] = partition
    }

    /// A job of `group` left the batch unanswered: it runs realtime (handed out by ``due``).
    mutating func leaveBatch(_ origin: String, group: String) {
        guard open[group]?.unserved.contains(origin) == true else { return }
        open[group]?.left.insert(origin)
    }

    /// `group` ended (its results read, or it failed): no more polls.
    mutating func ended(_ group: String) {
        open[group]?.ended = true
        open[group]?.nextPollMs = .max
    }

    /// Its results are being read: no polls and no cancel meanwhile (nor after: it ended).
    mutating func collecting(_ group: String) {
        ended(group)
        open[group]?.resultsReady = true
    }

    /// Reading its results failed part-way: polled again with backoff, and read again.
    mutating func collectFailed(_ group: String, nowMs: Int64, interval: Int64) {
        open[group]?.ended = false
        pollFailed(group, nowMs: nowMs, interval: interval)
    }

    /// Records that the result for `customID`, a member of `group`, is being taken; false when it
    /// was taken before, is no member (so ``Open/seen`` holds members only), or the batch is no
    /// longer open.
    mutating func see(_ customID: String, of group: String) -> Bool {
        guard open[group]?.origins[customID] != nil else { return false }
        return open[group]?.seen.insert(customID).inserted ?? false
    }

    /// The members of `group` whose results the provider never reported, after a complete read.
    func unreported(of group: String) -> [(customID: String, origin: String)] {
        guard let batch = open[group] else { return [] }
        return batch.batch.members.filter { !batch.seen.contains($0.customID) }
    }

    mutating func countLate(_ count: Int, of group: String) { open[group]?.lateAnswers += count }

    mutating func polled(_ group: String, counts: ProviderBatch.Counts, nextPollMs: Int64) {
        open[group]?.counts = counts
        open[group]?.failedPolls = 0
        open[group]?.nextPollMs = nextPollMs
    }

    mutating func pollFailed(_ group: String, nowMs: Int64, interval: Int64) {
        guard var batch = open[group] else { return }
        batch.failedPolls = min(batch.failedPolls + 1, 16)
        // Doubling from the poll interval, at most 16 times it and at most 15 minutes.
        let factor = Int64(1) << Int64(min(batch.failedPolls, 4))
        batch.nextPollMs = nowMs &+ min(interval &* factor, 900_000)
        open[group] = batch
    }

    /// Its tombstone was not written: the next look tries again.
    mutating func closeFailed(_ group: String) { open[group]?.closing = false }

    /// Hands `origin` out for work; false when it is already out.
    mutating func markBusy(_ origin: String) -> Bool { busy.insert(origin).inserted }
    mutating func markIdle(_ origin: String) { busy.remove(origin) }
    func isBusy(_ origin: String) -> Bool { busy.contains(origin) }

    /// The origin a custom id of `group` stands for, and whether its job is still unserved.
    func member(_ customID: String, of group: String) -> (origin: String, unserved: Bool)? {
        guard let batch = open[group], let origin = batch.origins[customID] else { return nil }
        return (origin, batch.unserved.contains(origin) && !batch.left.contains(origin) && !busy.contains(origin))
    }

    private mutating func removePending(_ origin: String) {
        guard let entry = entries[origin] else {
            for key in Array(pending.keys) { pending[key]?.origins.removeAll { $0 == origin } }
            return
        }
        let key = GroupKey(partition: entry.partition, workload: entry.workload, route: entry.route)
        guard var group = pending[key] else { return }
        if let index = group.origins.firstIndex(of: origin) { group.origins.remove(at: index) }
        if group.origins.isEmpty {
            pending[key] = nil
        } else {
            group.sinceMs = group.origins.compactMap { readAtMs[$0] }.min() ?? group.sinceMs
            pending[key] = group
        }
    }

    // MARK: What is due

    /// What is due at `nowMs` on the ready partitions. `maxRequests(route)` is the most one batch
    /// of that route may carry (its provider's limit); `maxRecordBytes` bounds a batch's record.
    /// Handed-out jobs are marked busy; the caller marks them idle or served when done.
    mutating func due(nowMs: Int64, maxRequests: (RouteKey) -> Int, maxRecordBytes: Int) -> Work {
        var work = Work()
        for origin in refused where entries[origin].map({ isReady($0.partition) }) == true { handOut(origin, to: &work) }
        for (key, group) in pending where isReady(key.partition) {
            guard let config = configs[key.workload], config.enabled, configs[key.workload]?.routes.contains(key.route) == true else {
                for origin in group.origins { handOut(origin, to: &work) }
                continue
            }
            let margin = Int64(config.realtimeMarginMs)
            var candidates: [BatchEntry] = []
            for origin in group.origins where !busy.contains(origin) {
                guard let entry = entries[origin] else { continue }
                if entry.deadlineMs &- margin <= nowMs {
                    handOut(origin, to: &work)
                } else {
                    candidates.append(entry)
                }
            }
            let limit = max(1, min(config.flushAfterJobs, maxRequests(key.route)))
            if let notBefore = flushNotBefore[key], notBefore > nowMs { continue }
            guard candidates.count >= limit || (!candidates.isEmpty && nowMs &- group.sinceMs >= Int64(config.flushAfterMs)) else {
                continue
            }
            // Chunks within the request limit and the record's size; the last, short one waits
            // for its own timer only when a count flushed the group.
            var chunk: [BatchEntry] = []
            var bytes = SubmittedBatch.estimatedBytes(origins: [String]())
            for entry in candidates {
                let size = entry.origin.utf8.count + 80
                if !chunk.isEmpty, chunk.count >= limit || bytes + size > maxRecordBytes {
                    work.flushes.append((key, chunk))
                    chunk = []
                    bytes = SubmittedBatch.estimatedBytes(origins: [String]())
                }
                chunk.append(entry)
                bytes += size
            }
            if !chunk.isEmpty, chunk.count >= limit || nowMs &- group.sinceMs >= Int64(config.flushAfterMs) {
                work.flushes.append((key, chunk))
            }
        }
        for flush in work.flushes { for entry in flush.entries { busy.insert(entry.origin) } }
        for (group, intent) in inDoubt where isReady(intent.partition) && !voidingIntents.contains(group) {
            if intent.origins.allSatisfy({ entries[$0] == nil }) {
                work.voidIntents.append((group, intent.partition))
                voidingIntents.insert(group)
            }
        }
        for (group, batch) in open where isReady(batch.batch.partition) {
            if batch.unserved.isEmpty {
                // Every job served: a batch that ended (or whose read failed part-way after it
                // ended) closes; one still running is cancelled first.
                if batch.ended || batch.resultsReady {
                    if !batch.closing {
                        work.closes.append(batch.batch)
                        open[group]?.closing = true
                    }
                } else if !batch.cancelRequested {
                    work.cancels.append(batch.batch)
                    open[group]?.cancelRequested = true
                }
                continue
            }
            let margin = Int64(configs[batch.batch.workload]?.realtimeMarginMs ?? 0)
            for origin in batch.unserved where !busy.contains(origin) {
                guard let entry = entries[origin] else { continue }
                if batch.left.contains(origin) || entry.deadlineMs &- margin <= nowMs { handOut(origin, to: &work) }
            }
            if batch.nextPollMs <= nowMs {
                work.polls.append(batch.batch)
                // Not polled again until this poll reports.
                open[group]?.nextPollMs = .max
            }
        }
        return work
    }

    private mutating func handOut(_ origin: String, to work: inout Work) {
        guard let entry = entries[origin], busy.insert(origin).inserted else { return }
        work.realtime.append(entry)
    }

    /// The provider did not take `group` (of `partition`): its intent is void (and closed by a
    /// tombstone).
    mutating func notSubmitted(_ group: String, partition: Int32) {
        submitting.remove(group)
        if owned[partition] != nil { closed[group] = partition }
    }

    /// The provider may or may not have taken `group` (the call failed without an answer): its
    /// jobs run realtime, and its intent stays until they are served (then it is tombstoned).
    mutating func inDoubt(_ group: String, partition: Int32, entries taken: [BatchEntry]) {
        submitting.remove(group)
        for entry in taken { busy.remove(entry.origin) }
        guard owned[partition] != nil else { return }
        inDoubt[group] = (partition, taken.map(\.origin))
        for entry in taken where entries[entry.origin] != nil {
            busy.remove(entry.origin)
            removePending(entry.origin)
            refused.insert(entry.origin)
        }
    }

    /// An in-doubt intent's tombstone was written (`done`) or not (tried again later).
    mutating func intentVoided(_ group: String, done: Bool) {
        voidingIntents.remove(group)
        if done, let intent = inDoubt.removeValue(forKey: group) { closed[group] = intent.partition }
    }

    /// A flush that was not submitted: its jobs wait again, and their group flushes no sooner
    /// than `retryAtMs`; refused for good (`permanent`), they run realtime instead.
    mutating func flushFailed(_ key: GroupKey, _ entries: [BatchEntry], retryAtMs: Int64, permanent: Bool) {
        for entry in entries {
            busy.remove(entry.origin)
            if permanent, self.entries[entry.origin] != nil {
                removePending(entry.origin)
                refused.insert(entry.origin)
            }
        }
        if !permanent, owned[key.partition] != nil { flushNotBefore[key] = retryAtMs }
    }

    /// A flush was submitted: its group's retry wait, if any, is over.
    mutating func flushSucceeded(_ key: GroupKey) {
        flushNotBefore[key] = nil
    }
}
