import Foundation
import Jobs
import Testing

@testable import Worker

@Suite("SpendLedger: one cap for the fleet, from every worker's spend and reservations")
struct SpendLedgerTests {
    static let window = BudgetConfig.Window(name: "window", lengthMs: 10_000, capUSD: 1.0)
    static let budgets = ["w": BudgetConfig(windows: [window])]
    /// An instant at the start of a window.
    static let t0: Int64 = 1_800_000_000_000

    @Test("a job is admitted while spend, reservations and its estimate fit under the cap; then the workload waits for the window's end")
    func admitsUnderCap() {
        var ledger = SpendLedger(budgets: Self.budgets, me: "a")
        #expect(ledger.admit("w", estimate: 0.4, nowMs: Self.t0) == .admitted)
        #expect(ledger.admit("w", estimate: 0.4, nowMs: Self.t0) == .admitted)
        // 0.8 reserved: a third 0.4 would pass 1.0.
        #expect(ledger.admit("w", estimate: 0.4, nowMs: Self.t0 + 5) == .wait(untilMs: Self.t0 + 10_000, window: "window"))
        // The first job spent far less than it reserved: room again.
        ledger.settle("w", estimate: 0.4, actual: 0.05, atMs: Self.t0 + 10)
        #expect(ledger.reservedUSD("w", nowMs: Self.t0 + 10) == 0.4)
        #expect(ledger.admit("w", estimate: 0.4, nowMs: Self.t0 + 20) == .admitted)
        // A workload without a budget is never held.
        #expect(ledger.admit("other", estimate: 1e9, nowMs: Self.t0) == .admitted)
    }

    @Test("spend counts in the window it happened in; the next window starts at zero")
    func windowsRoll() {
        var ledger = SpendLedger(budgets: Self.budgets, me: "a")
        #expect(ledger.admit("w", estimate: 0.9, nowMs: Self.t0) == .admitted)
        ledger.settle("w", estimate: 0.9, actual: 0.9, atMs: Self.t0 + 100)
        #expect(ledger.admit("w", estimate: 0.2, nowMs: Self.t0 + 200) == .wait(untilMs: Self.t0 + 10_000, window: "window"))
        #expect(ledger.spentUSD("w", window: Self.window, nowMs: Self.t0 + 9_999) == 0.9)
        #expect(ledger.spentUSD("w", window: Self.window, nowMs: Self.t0 + 10_000) == 0)
        #expect(ledger.admit("w", estimate: 0.2, nowMs: Self.t0 + 10_000) == .admitted)
    }

    @Test("two workers: each sees the other's spend and reservations, so together they stay under one cap")
    func twoWorkers() throws {
        var a = SpendLedger(budgets: Self.budgets, me: "a")
        var b = SpendLedger(budgets: Self.budgets, me: "b")
        #expect(a.admit("w", estimate: 0.3, nowMs: Self.t0) == .admitted)
        a.settle("w", estimate: 0.3, actual: 0.3, atMs: Self.t0 + 1)
        #expect(a.admit("w", estimate: 0.3, nowMs: Self.t0 + 2) == .admitted)
        let word = try #require(a.message(for: "w", nowMs: Self.t0 + 3))
        #expect(word.windows == [SpendMessage.WindowSpend(window: "window", startMs: Self.t0, spentUSD: 0.3)])
        #expect(word.reservedUSD == 0.3)
        let taken = b.add(word)
        #expect(taken)
        // 0.3 spent and 0.3 reserved by a: b may reserve 0.35 but not 0.5.
        #expect(b.admit("w", estimate: 0.5, nowMs: Self.t0 + 4) == .wait(untilMs: Self.t0 + 10_000, window: "window"))
        #expect(b.admit("w", estimate: 0.35, nowMs: Self.t0 + 4) == .admitted)
        // Its own word and an older word of a are not taken.
        let ownTaken = a.add(word)
        #expect(!ownTaken)
        var older = word
        older.atMs -= 1
        older.reservedUSD = 0
        let olderTaken = b.add(older)
        #expect(!olderTaken)
        #expect(abs(b.reservedUSD("w", nowMs: Self.t0 + 5) - 0.65) < 1e-9)
    }

    @Test("a silent worker's reservations lapse; its spend still counts until its window ends")
    func silentPeer() {
        var b = SpendLedger(budgets: Self.budgets, me: "b", reservationLifetimeMs: 2_000)
        b.add(
            SpendMessage(
                workload: "w", worker: "a", atMs: Self.t0, windows: [.init(window: "window", startMs: Self.t0, spentUSD: 0.5)],
                reservedUSD: 0.4, waiting: 0))
        #expect(b.admit("w", estimate: 0.2, nowMs: Self.t0 + 1_000) == .wait(untilMs: Self.t0 + 10_000, window: "window"))
        #expect(b.admit("w", estimate: 0.2, nowMs: Self.t0 + 2_500) == .admitted)
        #expect(b.spentUSD("w", window: Self.window, nowMs: Self.t0 + 2_500) == 0.5)
        b.prune(nowMs: Self.t0 + 20_000)
        #expect(b.spentUSD("w", window: Self.window, nowMs: Self.t0 + 20_000) == 0)
    }

    @Test("with an hour and a day cap, a full day waits for the day's end, not the hour's")
    func latestEnd() {
        let hour = BudgetConfig.Window(name: "hour", lengthMs: 3_600_000, capUSD: 10)
        let day = BudgetConfig.Window(name: "day", lengthMs: 86_400_000, capUSD: 12)
        var ledger = SpendLedger(budgets: ["w": BudgetConfig(windows: [hour, day])], me: "a")
        let noon = day.start(at: Self.t0) + 43_200_000
        #expect(ledger.admit("w", estimate: 9, nowMs: noon) == .admitted)
        ledger.settle("w", estimate: 9, actual: 9, atMs: noon)
        #expect(ledger.admit("w", estimate: 2, nowMs: noon + 1) == .wait(untilMs: hour.end(at: noon), window: "hour"))
        let nextHour = hour.end(at: noon)
        #expect(ledger.admit("w", estimate: 2, nowMs: nextHour) == .admitted)
        ledger.settle("w", estimate: 2, actual: 2, atMs: nextHour)
        #expect(ledger.admit("w", estimate: 2, nowMs: nextHour + 1) == .wait(untilMs: day.end(at: noon), window: "day"))
    }

    @Test("SpendMessage reads back what it writes and refuses what is out of bounds")
    func messageBounds() throws {
        let message = SpendMessage(
            workload: "w", worker: "a", atMs: Self.t0, windows: [.init(window: "hour", startMs: Self.t0, spentUSD: 1.25)], reservedUSD: 0.5,
            waiting: 3)
        let bytes = try WireJSON.encodeBytes(message)
        #expect(SpendMessage.read(bytes) == message)
        for hostile in [
            #"{"workload":"w","worker":"a","at_ms":1,"windows":[],"reserved_usd":-1,"waiting":0}"#,
            #"{"workload":"w","worker":"a","at_ms":1.5,"windows":[],"reserved_usd":0,"waiting":0}"#,
            #"{"workload":"w","worker":"a","at_ms":1,"windows":[],"reserved_usd":0,"waiting":-2}"#,
            #"{"workload":"","worker":"a","at_ms":1,"windows":[],"reserved_usd":0,"waiting":0}"#,
            #"{"workload":"w","worker":"a","at_ms":1,"windows":[{"window":"h","start_ms":1,"spent_usd":1e300}],"reserved_usd":0,"waiting":0}"#,
            #"{"workload":"w","worker":"a","at_ms":1e300,"windows":[],"reserved_usd":0,"waiting":0}"#,
            "not json",
        ] {
            #expect(SpendMessage.read(Array(hostile.utf8)) == nil, "\(hostile)")
        }
        let many = (0..<9).map { #"{"window":"h\#($0)","start_ms":1,"spent_usd":1}"# }.joined(separator: ",")
        #expect(SpendMessage.read(Array(#"{"workload":"w","worker":"a","at_ms":1,"windows":[\#(many)],"reserved_usd":0,"waiting":0}"#.utf8)) == nil)
    }
}
