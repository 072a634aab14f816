import Completions
import Failover
import Foundation
import Jobs
import Kafka
import Synchronization

/// Where jobs of budgeted workloads (`workloads.NAME.budget`) pass, before they run: a job runs
/// when its workload's spend allows it, and otherwise waits in Kafka, on the deferred topic, for
/// its window to roll; a job whose deadline comes first fails as `budget_exhausted` at its
/// deadline, never before.
///
/// Guarantees:
/// - A job runs only with its cost's upper bound (``CostEstimate``) reserved in the
///   ``SpendLedger``; ``settle(_:actualUSD:atMs:)`` replaces it with what the job spent.
/// - Order per key: a deferred job goes to the deferred partition of the same number as its
///   jobs partition. While this worker holds jobs of a workload deferred from a partition, later
///   jobs of that workload from the same partition are deferred behind them; a deferred partition
///   whose first waiting job is not ready is paused, and the jobs of that workload behind it are
///   put back in order behind it. (The jobs and deferred partitions of one number go to the same
///   worker under the range assignor, librdkafka's default.)
/// - A workload with a jobs topic of its own (`jobs_topic`) waits in it: over the cap, the
///   partition the job came from is paused until the window rolls.
/// - Jobs of workloads without a budget never pass here.
final class BudgetGate: Sendable {
    /// What to do with one job.
    enum Step: Sendable {
        /// Run it; `reservation` is settled when it ends.
        case run(Job, reservation: Reservation)
        /// Move it to the deferred topic (the record); when from a deferred partition, pause that
        /// partition until `pauseUntilMs`.
        case deferral(KafkaRecord, pauseUntilMs: Int64?)
        /// Its deadline came while it waited: fail it as `budget_exhausted`.
        case exhausted(Job, message: String)
    }

    /// A running job's reservation.
    struct Reservation: Sendable {
        var workload: String
        var estimateUSD: Double
    }

    private struct State {
        var ledger: SpendLedger
        /// Jobs this worker deferred and has not taken back, per partition number and workload.
        var lanes: [Int32: [String: Int]] = [:]
        /// Per deferred partition and workload: the origin of the job put back first, whose copy
        /// at the partition's end the workload's later jobs there follow until it is read back.
        var blocked: [Int32: [String: String]] = [:]
        /// Paused partitions (deferred, or of a workload's own jobs topic), when to resume them,
        /// and whether the consumer has paused them yet (``confirmPaused(_:)``).
        var pausedUntil: [KafkaTopicPartition: (until: Int64, confirmed: Bool)] = [:]
        /// The window end each workload was last announced as exhausted until.
        var announced: [String: Int64] = [:]
        var changed = true
    }

    let worker: String
    let jobsTopic: String
    let deferredTopic: String
    private let budgets: [String: BudgetConfig]
    /// Each budgeted workload's own jobs topic, if it has one.
    private let ownTopics: [String: String]
    private let prices: PriceTable
    private let state: Mutex<State>
    private let telemetry: @Sendable (TelemetryEvent) -> Void

    init(config: UnderstudyConfig, worker: String, telemetry: @escaping @Sendable (TelemetryEvent) -> Void) {
        self.worker = worker
        jobsTopic = config.kafka.topics.jobs
        deferredTopic = config.kafka.deferredTopic
        budgets = config.workloads.compactMapValues(\.budget)
        ownTopics = config.workloads.filter { $0.value.budget != nil }.compactMapValues(\.jobsTopic)
        prices = config.priceTable
        state = Mutex(State(ledger: SpendLedger(budgets: budgets, me: worker)))
        self.telemetry = telemetry
    }

    /// Decides for `job`, read from `message` (the jobs topic or the deferred topic).
    func screen(_ job: Job, message: KafkaMessage, nowMs: Int64) -> Step? {
        let fromDeferred = message.topic == deferredTopic
        guard budgets[job.workload] != nil else { return nil }
        let workload = job.workload
        let lane = message.partition
        let marks = fromDeferred ? Deferral.read(message.headers, nowMs: nowMs) : nil
        let deadline = marks?.deadlineMs ?? Deferral.deadline(of: job, message: message, nowMs: nowMs)
        let origin = marks?.origin ?? "\(message.topic)/\(message.partition)/\(message.offset)"
        let estimate = CostEstimate.upperBound(of: job, prices: prices)
        var events: [TelemetryEvent] = []
        let step = state.withLock { state -> Step in
            state.changed = true
            if fromDeferred {
                // Behind a put-back of its workload on this partition: it follows, in order, until
                // the put-back copy itself comes back.
                if let head = state.blocked[lane]?[workload] {
                    if origin != head {
                        if nowMs >= deadline {
                            take(workload, lane: lane, state: &state)
                            return .exhausted(job, message: exhaustedMessage(workload, deadline: deadline))
                        }
                        // The partition resumes by this job's deadline, so it fails then, not a window later.
                        if let paused = state.pausedUntil[message.topicPartition], deadline < paused.until {
                            state.pausedUntil[message.topicPartition] = (deadline, paused.confirmed)
                        }
                        let again = Deferral(notBeforeMs: marks?.notBeforeMs ?? nowMs, deadlineMs: deadline, origin: origin)
                        return .deferral(again.record(of: message, topic: deferredTopic), pauseUntilMs: nil)
                    }
                    state.blocked[lane]?[workload] = nil
                }
                if let notBefore = marks?.notBeforeMs, nowMs < notBefore {
                    return putBack(message, workload: workload, notBefore: notBefore, deadline: deadline, origin: origin, state: &state)
                }
                if nowMs >= deadline {
                    take(workload, lane: lane, state: &state)
                    return .exhausted(job, message: exhaustedMessage(workload, deadline: deadline))
                }
                switch state.ledger.admit(workload, estimate: estimate, nowMs: nowMs) {
                case .never(let window):
                    take(workload, lane: lane, state: &state)
                    return .exhausted(job, message: neverMessage(workload, estimate: estimate, window: window))
                case .admitted:
                    take(workload, lane: lane, state: &state)
                    if let until = state.announced[workload], nowMs >= until {
                        state.announced[workload] = nil
                        events += announcements(workload, state: .reopened, nowMs: nowMs, ledger: state.ledger, lanes: state.lanes)
                    }
                    var clamped = job
                    clamped.policy.deadline = min(job.policy.deadline, .milliseconds(max(1, deadline - nowMs)))
                    return .run(clamped, reservation: Reservation(workload: workload, estimateUSD: estimate))
                case .wait(let until, let window):
                    announce(workload, window: window, until: until, nowMs: nowMs, state: &state, events: &events)
                    return putBack(message, workload: workload, notBefore: min(until, deadline), deadline: deadline, origin: origin, state: &state)
                }
            }
            // From the jobs topic: behind this worker's deferred jobs of the workload, or over the cap.
            if (state.lanes[lane]?[workload] ?? 0) > 0 {
                let step = deferNew(message, workload: workload, notBefore: nowMs, deadline: deadline, origin: origin, state: &state)
                // Its own jobs topic waits where it is while the window is full.
                if message.topic == ownTopics[workload], case .wait(let until, _) = state.ledger.check(workload, estimate: estimate, nowMs: nowMs),
                    case .deferral(let record, _) = step
                {
                    return pauseOwn(message, record: record, until: until, state: &state)
                }
                return step
            }
            switch state.ledger.admit(workload, estimate: estimate, nowMs: nowMs) {
            case .never(let window):
                return .exhausted(job, message: neverMessage(workload, estimate: estimate, window: window))
            case .admitted:
                return .run(job, reservation: Reservation(workload: workload, estimateUSD: estimate))
            case .wait(let until, let window):
                var step =
                    nowMs >= deadline
                    ? .exhausted(job, message: exhaustedMessage(workload, deadline: deadline))
                    : deferNew(message, workload: workload, notBefore: min(until, deadline), deadline: deadline, origin: origin, state: &state)
                // A workload's own jobs topic waits where it is: its partition is paused until the
                // window rolls (what was already fetched from it waits in the deferred topic).
                if message.topic == ownTopics[workload], case .deferral(let record, _) = step {
                    step = pauseOwn(message, record: record, until: until, state: &state)
                }
                announce(workload, window: window, until: until, nowMs: nowMs, state: &state, events: &events)
                return step
            }
        }
        for event in events { telemetry(event) }
        return step
    }

    /// A job admitted with `reservation` ended having spent `actualUSD` at `atMs`.
    func settle(_ reservation: Reservation, actualUSD: Double, atMs: Int64) {
        state.withLock { state in
            state.ledger.settle(reservation.workload, estimate: reservation.estimateUSD, actual: actualUSD, atMs: atMs)
            state.changed = true
        }
    }

    /// A reservation of nothing for a job of `workload` that passed no gate (a batch job run
    /// realtime at once), so what it spends is still counted when it settles; `nil` when the
    /// workload has no budget.
    func unreserved(_ workload: String) -> Reservation? {
        budgets[workload] == nil ? nil : Reservation(workload: workload, estimateUSD: 0)
    }

    /// Spend with nothing reserved for it (a provider batch's answer, or a batch job's realtime fallback):
    /// it counts toward `workload`'s caps like any other, so the realtime jobs after it see it.
    func count(_ workload: String, spentUSD: Double, atMs: Int64) {
        guard budgets[workload] != nil else { return }
        settle(Reservation(workload: workload, estimateUSD: 0), actualUSD: spentUSD, atMs: atMs)
    }

    /// The consumer paused `partition` (after a step that asked for it): from now on its
    /// resume is due at its time. (Before, a resume could come before the pause and be lost.)
    func confirmPaused(_ partition: KafkaTopicPartition) {
        state.withLock { state in
            if let paused = state.pausedUntil[partition] { state.pausedUntil[partition] = (paused.until, true) }
        }
    }

    /// Paused partitions whose pause ends by `nowMs`; they are forgotten as paused.
    func partitionsToResume(nowMs: Int64) -> [KafkaTopicPartition] {
        state.withLock { state in
            let due = state.pausedUntil.filter { $0.value.confirmed && $0.value.until <= nowMs }.map(\.key)
            for partition in due { state.pausedUntil[partition] = nil }
            return due.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
        }
    }

    /// Partitions of number `partitions` left this worker: what it knew of their deferred jobs goes
    /// (the next owner learns their order from the topic, not from this worker).
    func forget(_ partitions: Set<Int32>) {
        state.withLock { state in
            for partition in partitions {
                state.lanes[partition] = nil
                state.blocked[partition] = nil
            }
            state.pausedUntil = state.pausedUntil.filter { !partitions.contains($0.key.partition) }
            state.changed = true
        }
    }

    // MARK: The fleet's spend

    /// Another worker's word.
    func add(_ message: SpendMessage) {
        state.withLock { state in _ = state.ledger.add(message) }
    }

    /// This worker's words to publish, when something changed since the last call (or `force`).
    func messages(nowMs: Int64, force: Bool) -> [SpendMessage] {
        state.withLock { state in
            guard state.changed || force else { return [] }
            state.changed = false
            state.ledger.prune(nowMs: nowMs)
            return budgets.keys.sorted().compactMap {
                state.ledger.message(for: $0, nowMs: nowMs, waiting: Self.waiting($0, in: state.lanes))
            }
        }
    }

    /// Each budgeted window's spend, cap and reservations, and each workload's waiting jobs.
    func status(nowMs: Int64) -> (windows: [SpendLedger.WindowStatus], waiting: [String: Int]) {
        state.withLock { state in
            (
                state.ledger.status(nowMs: nowMs),
                Dictionary(uniqueKeysWithValues: budgets.keys.map { ($0, state.ledger.waiting($0, own: Self.waiting($0, in: state.lanes))) })
            )
        }
    }

    // MARK: Inside the lock

    private func deferNew(
        _ message: KafkaMessage, workload: String, notBefore: Int64, deadline: Int64, origin: String, state: inout State
    ) -> Step {
        state.lanes[message.partition, default: [:]][workload, default: 0] += 1
        let deferral = Deferral(notBeforeMs: notBefore, deadlineMs: deadline, origin: origin)
        return .deferral(deferral.record(of: message, topic: deferredTopic), pauseUntilMs: nil)
    }

    private func putBack(
        _ message: KafkaMessage, workload: String, notBefore: Int64, deadline: Int64, origin: String, state: inout State
    ) -> Step {
        if state.blocked[message.partition]?[workload] == nil { state.blocked[message.partition, default: [:]][workload] = origin }
        let paused = state.pausedUntil[message.topicPartition]
        let until = min(paused?.until ?? .max, notBefore)
        state.pausedUntil[message.topicPartition] = (until, paused?.confirmed ?? false)
        let deferral = Deferral(notBeforeMs: notBefore, deadlineMs: deadline, origin: origin)
        return .deferral(deferral.record(of: message, topic: deferredTopic), pauseUntilMs: until)
    }

    /// Moves `record` (a job of a workload's own topic) and pauses that partition until `until`.
    private func pauseOwn(_ message: KafkaMessage, record: KafkaRecord, until: Int64, state: inout State) -> Step {
        let partition = message.topicPartition
        let paused = state.pausedUntil[partition]
        state.pausedUntil[partition] = (min(paused?.until ?? .max, until), paused?.confirmed ?? false)
        return .deferral(record, pauseUntilMs: until)
    }

    /// Jobs of `workload` this worker moved to the deferred topic and has not taken back: the
    /// sum of its lanes (the one count; the ledger is told it, it does not keep its own).
    private static func waiting(_ workload: String, in lanes: [Int32: [String: Int]]) -> Int {
        lanes.values.reduce(0) { $0 + ($1[workload] ?? 0) }
    }

    private func take(_ workload: String, lane: Int32, state: inout State) {
        guard let count = state.lanes[lane]?[workload], count > 0 else { return }
        state.lanes[lane]?[workload] = count - 1
    }

    private func announce(
        _ workload: String, window: String, until: Int64, nowMs: Int64, state: inout State, events: inout [TelemetryEvent]
    ) {
        guard state.announced[workload] != until else { return }
        state.announced[workload] = until
        events += announcements(workload, state: .exhausted, only: window, nowMs: nowMs, ledger: state.ledger, lanes: state.lanes)
    }

    /// One `budget` event for the window `only` of `workload`, or for each of its windows.
    private func announcements(
        _ workload: String, state: TelemetryEvent.Budget.State, only: String? = nil, nowMs: Int64, ledger: SpendLedger,
        lanes: [Int32: [String: Int]]
    ) -> [TelemetryEvent] {
        let now = Date(timeIntervalSince1970: Double(nowMs) / 1_000)
        return ledger.status(nowMs: nowMs).filter { $0.workload == workload && (only == nil || $0.window == only) }.map { window in
            .budget(
                .init(
                    workload: workload, window: window.window, windowStart: Date(timeIntervalSince1970: Double(window.startMs) / 1_000),
                    state: state, spentUSD: window.spentUSD, capUSD: window.capUSD,
                    waiting: ledger.waiting(workload, own: Self.waiting(workload, in: lanes)),
                    worker: worker, at: now))
        }
    }

    private func neverMessage(_ workload: String, estimate: Double, window: String) -> String {
        let cap = budgets[workload]?.windows.first { $0.name == window }?.capUSD ?? 0
        return "the job may cost up to \(estimate) USD, more than workload \(workload)'s \(window) cap of \(cap) USD: "
            + "it can never run within the budget (lower its max_tokens or raise the cap)"
    }

    private func exhaustedMessage(_ workload: String, deadline: Int64) -> String {
        let caps = (budgets[workload]?.windows ?? []).map { "\($0.name) cap \($0.capUSD) USD" }.joined(separator: ", ")
        return "workload \(workload) was over its budget (\(caps)) until the job's deadline "
            + RFC3339.string(from: Date(timeIntervalSince1970: Double(deadline) / 1_000))
    }
}
