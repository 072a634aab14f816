import Failover
import Foundation
import Jobs
import Testing

@testable import Worker

/// The verdicts of shared route health, from other workers' words (time passed in).
@Suite struct RouteHealthViewTests {
    let route = RouteKey(provider: "primary", model: "m")
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func word(_ worker: String, _ state: CircuitState, at: TimeInterval, openFor: TimeInterval? = nil, ttl: TimeInterval = 5)
        -> RouteHealthMessage
    {
        RouteHealthMessage(
            route: route, worker: worker, state: state, reason: .change, at: t0 + at, openUntil: openFor.map { t0 + at + $0 },
            expiresAt: t0 + at + ttl)
    }

    /// A `failing` word sent at `at` for a streak that began at `since` (by default, then).
    func failing(_ worker: String, _ failures: Int, at: TimeInterval, since: TimeInterval? = nil, ttl: TimeInterval = 5) -> RouteHealthMessage {
        RouteHealthMessage(
            route: route, worker: worker, state: .closed, reason: .failing, at: t0 + at, since: t0 + (since ?? at), expiresAt: t0 + at + ttl,
            failures: failures)
    }

    @Test("failing words pool: the other live workers' streaks sum; a newer word replaces a worker's; its next state word ends it; they lapse")
    func failingWordsPool() {
        var view = RouteHealthView(me: "c", probeGrace: .seconds(2))
        view.add(failing("a", 2, at: 0))
        view.add(failing("b", 1, at: 0))
        view.add(failing("c", 9, at: 0))
        #expect(view.fleetFailures(for: route, now: t0) == 3, "this worker's own word is not counted")
        view.add(failing("b", 3, at: 1))
        #expect(view.fleetFailures(for: route, now: t0 + 1) == 5)
        view.add(failing("b", 1, at: 0.5))
        #expect(view.fleetFailures(for: route, now: t0 + 1) == 5, "an older word does not replace a newer one")
        // a's breaker opened: its streak is over, and its open holds as always.
        view.add(word("a", .open, at: 2, openFor: 1))
        #expect(view.fleetFailures(for: route, now: t0 + 2) == 3)
        #expect(view.verdict(for: route, now: t0 + 2) == .hold(.seconds(3)))
        #expect(view.fleetFailures(for: route, now: t0 + 6) == 0, "b's word lapsed")
    }

    @Test("only streaks that began after the newest success count: another worker's success (its streak ended at 0) or this worker's own")
    func successesBreakTheRun() {
        var view = RouteHealthView(me: "c", probeGrace: .seconds(2))
        view.add(failing("a", 3, at: 1, since: 0))
        view.add(failing("b", 2, at: 1, since: 0.5))
        #expect(view.fleetFailures(for: route, now: t0 + 1) == 5)
        #expect(view.fleetFailures(for: route, now: t0 + 1, after: t0 + 0.6) == 0, "this worker succeeded after both began")
        #expect(view.fleetFailures(for: route, now: t0 + 1, after: t0 + 0.2) == 2, "after a's began, before b's")
        // b succeeds at 2: a's streak began before that and no longer counts; b's new one does.
        view.add(failing("b", 0, at: 2))
        #expect(view.fleetFailures(for: route, now: t0 + 2) == 0)
        view.add(failing("b", 1, at: 3, since: 3))
        #expect(view.fleetFailures(for: route, now: t0 + 3) == 1)
    }

    @Test("a failing word is never read as a state: it neither closes nor releases another worker's open")
    func failingIsNotAClose() {
        var view = RouteHealthView(me: "c", probeGrace: .seconds(2))
        view.add(word("a", .open, at: 0, openFor: 1))
        view.add(failing("b", 1, at: 0.5))
        #expect(view.verdict(for: route, now: t0 + 0.5) == .hold(.milliseconds(2_500)))
    }

    @Test("another worker's open holds this one until its cooldown ends plus the probe grace, capped by its expiry")
    func openHolds() {
        var view = RouteHealthView(me: "b", probeGrace: .seconds(2))
        view.add(word("a", .open, at: 0, openFor: 1))
        #expect(view.verdict(for: route, now: t0) == .hold(.seconds(3)))
        #expect(view.verdict(for: route, now: t0 + 2.5) == .hold(.milliseconds(500)))
        #expect(view.verdict(for: route, now: t0 + 3) == .release(closedAt: nil))
        // Its word lapses with its expiry, whatever it said.
        var short = RouteHealthView(me: "b", probeGrace: .seconds(60))
        short.add(word("a", .open, at: 0, openFor: 30, ttl: 5))
        #expect(short.verdict(for: route, now: t0 + 4) == .hold(.seconds(1)))
        #expect(short.verdict(for: route, now: t0 + 5) == .release(closedAt: nil))
    }

    @Test("a probe in flight elsewhere holds for the probe grace after it began (or until its word lapses); a newer close releases")
    func probeThenClose() {
        var view = RouteHealthView(me: "b", probeGrace: .seconds(2))
        view.add(word("a", .halfOpen, at: 0, ttl: 4))
        #expect(view.verdict(for: route, now: t0 + 1) == .hold(.seconds(1)), "the grace (2 s) ends before the word lapses (4 s)")
        var lapsing = RouteHealthView(me: "b", probeGrace: .seconds(10))
        lapsing.add(word("a", .halfOpen, at: 0, ttl: 4))
        #expect(lapsing.verdict(for: route, now: t0 + 1) == .hold(.seconds(3)))
        view.add(word("a", .closed, at: 1))
        #expect(view.verdict(for: route, now: t0 + 1) == .release(closedAt: t0 + 1))
        // An older word from the same worker does not undo a newer one.
        let older = view.add(word("a", .open, at: 0.5, openFor: 10))
        #expect(!older)
    }

    @Test("one prober: of the workers whose breaker is open, the smallest id probes; the others wait for it")
    func oneProber() {
        var a = RouteHealthView(me: "a", probeGrace: .seconds(2))
        var c = RouteHealthView(me: "c", probeGrace: .seconds(2))
        let b = word("b", .open, at: 0, openFor: 1)
        a.add(b)
        c.add(b)
        #expect(a.verdict(for: route, now: t0, localOpen: true) == .release(closedAt: nil), "a is the smallest opener: it probes")
        #expect(c.verdict(for: route, now: t0, localOpen: true) == .hold(.seconds(3)), "c waits for b")
        #expect(a.verdict(for: route, now: t0, localOpen: false) == .hold(.seconds(3)), "a with its breaker closed just skips")
    }

    @Test("its own words are ignored, and the bounds hold")
    func ownWordsAndBounds() {
        var view = RouteHealthView(me: "a", probeGrace: .seconds(2))
        let own = view.add(word("a", .open, at: 0, openFor: 10))
        #expect(!own)
        #expect(view.verdict(for: route, now: t0) == .release(closedAt: nil))
        for index in 0..<(RouteHealthView.maxWorkersPerRoute + 5) { view.add(word("w\(index)", .closed, at: 0)) }
        #expect(view.words[route]?.count == RouteHealthView.maxWorkersPerRoute)
        view.prune(now: t0 + 60)
        #expect(view.words.isEmpty)
    }

    @Test("a route-health message round-trips, and a hostile one is refused")
    func messageRoundTrip() throws {
        let message = word("a", .open, at: 0, openFor: 1)
        let bytes = try WireJSON.encodeBytes(message)
        #expect(RouteHealthMessage.read(bytes) == message)
        #expect(RouteHealthMessage.read(Array(#"{"provider":"p"}"#.utf8)) == nil)
        let long = String(repeating: "x", count: RouteHealthMessage.maxNameBytes + 1)
        let hostile =
            #"{"provider":"\#(long)","model":"m","worker":"w","state":"open","reason":"change","at":"2026-01-01T00:00:00Z","expires_at":"2026-01-01T00:00:05Z"}"#
        #expect(RouteHealthMessage.read(Array(hostile.utf8)) == nil)
        let backwards =
            #"{"provider":"p","model":"m","worker":"w","state":"open","reason":"change","at":"2026-01-01T00:00:05Z","expires_at":"2026-01-01T00:00:00Z"}"#
        #expect(RouteHealthMessage.read(Array(backwards.utf8)) == nil)
        let streak = failing("a", 4, at: 0)
        #expect(RouteHealthMessage.read(try WireJSON.encodeBytes(streak)) == streak)
        let countless =
            #"{"provider":"p","model":"m","worker":"w","state":"closed","reason":"failing","at":"2026-01-01T00:00:00Z","expires_at":"2026-01-01T00:00:05Z"}"#
        #expect(RouteHealthMessage.read(Array(countless.utf8)) == nil, "a failing word says how many")
        let huge =
            #"{"provider":"p","model":"m","worker":"w","state":"closed","reason":"failing","at":"2026-01-01T00:00:00Z","expires_at":"2026-01-01T00:00:05Z","failures":1e300}"#
        #expect(RouteHealthMessage.read(Array(huge.utf8)) == nil, "a count out of bounds is refused, not trapped on")
    }
}
