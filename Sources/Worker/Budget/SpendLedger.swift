import Jobs

/// The fleet's spend on each budgeted workload, as this worker knows it: its own spend per
/// window and its running jobs' reservations, and the last word of every other worker
/// (``SpendMessage``). It decides whether a job may start under the caps.
///
/// Guarantees: a job is admitted only when, in every window of its workload, the fleet's spend
/// plus every live reservation plus the job's own estimate stays within the cap; so, while the
/// estimates are upper bounds and the workers hear each other, the fleet's spend stays under
/// each cap. A peer's spend counts for the window it names (a stopped worker's spend still
/// counts until its window ends); its reservations lapse ``reservationLifetimeMs`` after its
/// last word. At most ``maxPeers`` workers are remembered per workload (the oldest word goes).
/// Times are milliseconds since the epoch, passed in, so tests need no clock.
struct SpendLedger: Sendable {
    /// Whether a job may start.
    enum Admission: Sendable, Equatable {
        /// It may; its estimate is reserved until ``SpendLedger/settle(_:estimate:actual:atMs:)``.
        case admitted
        /// A window's cap is reached: not before `untilMs` (the latest end among the full windows).
        case wait(untilMs: Int64, window: String)
        /// The job's estimate alone is above the cap of `window`: it can never run.
        case never(window: String)
    }

    /// One window's spend, for metrics and telemetry.
    struct WindowStatus: Sendable, Equatable {
        var workload: String
        var window: String
        var startMs: Int64
        var spentUSD: Double
        var capUSD: Double
        var reservedUSD: Double
    }

    private struct Own {
        var spent: [String: (startMs: Int64, usd: Double)] = [:]
        var reserved = 0.0
    }

    static let maxPeers = 1_024
    let budgets: [String: BudgetConfig]
    let me: String
    let reservationLifetimeMs: Int64
    private var own: [String: Own] = [:]
    private var peers: [String: [String: SpendMessage]] = [:]

    init(budgets: [String: BudgetConfig], me: String, reservationLifetimeMs: Int64 = 10_000) {
        self.budgets = budgets
        self.me = me
        self.reservationLifetimeMs = reservationLifetimeMs
    }

    /// Admits a job of `workload` whose cost is at most `estimate`, reserving it; or says until
    /// when the workload waits.
    mutating func admit(_ workload: String, estimate: Double, nowMs: Int64) -> Admission {
        let admission = check(workload, estimate: estimate, nowMs: nowMs)
        if admission == .admitted, budgets[workload] != nil { own[workload, default: Own()].reserved += max(0, estimate) }
        return admission
    }

    /// What ``admit(_:estimate:nowMs:)`` would say, reserving nothing.
    func check(_ workload: String, estimate: Double, nowMs: Int64) -> Admission {
        guard let budget = budgets[workload] else { return .admitted }
        if let window = budget.windows.first(where: { estimate > $0.capUSD }) { return .never(window: window.name) }
        let reserved = reservedUSD(workload, nowMs: nowMs)
        var wait: (untilMs: Int64, window: String)?
        for window in budget.windows {
            let total = spentUSD(workload, window: window, nowMs: nowMs) + reserved
            guard total + max(0, estimate) > window.capUSD else { continue }
            let end = window.end(at: nowMs)
            if wait.map({ end > $0.untilMs }) ?? true { wait = (end, window.name) }
        }
        if let wait { return .wait(untilMs: wait.untilMs, window: wait.window) }
        return .admitted
    }

    /// A job admitted with `estimate` ended having spent `actual`: the reservation goes, the
    /// spend counts in the windows that hold `atMs`.
    mutating func settle(_ workload: String, estimate: Double, actual: Double, atMs: Int64) {
        guard let budget = budgets[workload] else { return }
        var entry = own[workload, default: Own()]
        entry.reserved = max(0, entry.reserved - max(0, estimate))
        if entry.reserved < 1e-12 { entry.reserved = 0 }
        let usd = actual.isFinite ? max(0, actual) : 0
        for window in budget.windows {
            let start = window.start(at: atMs)
            let previous = entry.spent[window.name]
            let base = previous.map { $0.startMs == start ? $0.usd : 0 } ?? 0
            if let previous, previous.startMs > start {
                // Settled late, into a window already left behind: it counts in the newer one.
                entry.spent[window.name] = (previous.startMs, previous.usd + usd)
            } else {
                entry.spent[window.name] = (start, base + usd)
            }
        }
        own[workload] = entry
    }

    /// The fleet's spend on `workload` in the window of `window` that holds `nowMs`.
    func spentUSD(_ workload: String, window: BudgetConfig.Window, nowMs: Int64) -> Double {
        let start = window.start(at: nowMs)
        var total = own[workload]?.spent[window.name].map { $0.startMs == start ? $0.usd : 0 } ?? 0
        for message in peers[workload]?.values ?? [:].values {
            if let spend = message.windows.first(where: { $0.window == window.name && $0.startMs == start }) { total += spend.spentUSD }
        }
        return total
    }

    /// Live reservations on `workload`: this worker's and its peers' recent ones.
    func reservedUSD(_ workload: String, nowMs: Int64) -> Double {
        var total = own[workload]?.reserved ?? 0
        for message in peers[workload]?.values ?? [:].values where nowMs - message.atMs <= reservationLifetimeMs {
            total += message.reservedUSD
        }
        return total
    }

    /// Jobs of `workload` waiting in the deferred topic: `own` (this worker's) and as its peers
    /// last said.
    func waiting(_ workload: String, own: Int) -> Int {
        var total = own
        for message in peers[workload]?.values ?? [:].values { total += message.waiting }
        return total
    }

    /// Takes another worker's word; false when it is this worker's own, for no budgeted
    /// workload, or older than the one held.
    @discardableResult
    mutating func add(_ message: SpendMessage) -> Bool {
        guard message.worker != me, budgets[message.workload] != nil else { return false }
        var known = peers[message.workload] ?? [:]
        if let held = known[message.worker], held.atMs > message.atMs { return false }
        known[message.worker] = message
        if known.count > Self.maxPeers, let oldest = known.min(by: { $0.value.atMs < $1.value.atMs })?.key {
            known[oldest] = nil
        }
        peers[message.workload] = known
        return true
    }

    /// Forgets peers whose every window has ended and whose reservations lapsed.
    mutating func prune(nowMs: Int64) {
        for (workload, known) in peers {
            guard let budget = budgets[workload] else { continue }
            let current = Dictionary(budget.windows.map { ($0.name, $0.start(at: nowMs)) }, uniquingKeysWith: { first, _ in first })
            peers[workload] = known.filter { _, message in
                nowMs - message.atMs <= reservationLifetimeMs || message.waiting > 0
                    || message.windows.contains { current[$0.window] == $0.startMs }
            }
        }
    }

    /// This worker's word on `workload`, to publish, with `waiting`: the jobs it holds deferred.
    func message(for workload: String, nowMs: Int64, waiting: Int = 0) -> SpendMessage? {
        guard let budget = budgets[workload] else { return nil }
        let entry = own[workload] ?? Own()
        let windows = budget.windows.map { window -> SpendMessage.WindowSpend in
            let start = window.start(at: nowMs)
            let usd = entry.spent[window.name].map { $0.startMs == start ? $0.usd : 0 } ?? 0
            return SpendMessage.WindowSpend(window: window.name, startMs: start, spentUSD: usd)
        }
        return SpendMessage(
            workload: workload, worker: me, atMs: nowMs, windows: windows, reservedUSD: entry.reserved, waiting: waiting)
    }

    /// Every budgeted window's spend and cap, for metrics.
    func status(nowMs: Int64) -> [WindowStatus] {
        budgets.keys.sorted().flatMap { workload in
            let reserved = reservedUSD(workload, nowMs: nowMs)
            return (budgets[workload]?.windows ?? []).map { window in
                WindowStatus(
                    workload: workload, window: window.name, startMs: window.start(at: nowMs),
                    spentUSD: spentUSD(workload, window: window, nowMs: nowMs), capUSD: window.capUSD, reservedUSD: reserved)
            }
        }
    }
}
