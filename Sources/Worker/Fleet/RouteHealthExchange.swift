import Completions
import Failover
import Foundation
import Jobs
import Kafka
import Logging
import ServiceLifecycle
import Synchronization

/// Shared route health (`fleet.route_health`): this worker's breaker changes go to the compacted
/// route-health topic, with a heartbeat while a breaker stays open or half-open; the other
/// workers' words come back from it (read from the beginning at start-up, then followed) and
/// become holds on this worker's engine (``FailoverEngine/holdRoute(_:for:closeBreaker:)``).
/// Failures are pooled too: while a breaker here is closed but its last calls failed, this
/// worker tells the fleet its streak (a `failing` word), and the other workers' streaks, summed,
/// count toward this worker's breaker (``FailoverEngine/fleetFailures(_:count:)``), so the
/// fleet trips after about one worker's threshold of failed calls, not N times it.
///
/// Guarantees: it talks through a ``FleetChannel`` (clients of its own), so the job path never
/// waits on it; a word lapses with its
/// `expires_at` (about `ttl_ms` after the sender's last message); a lost broker only means
/// the fleet's words lapse and each worker trusts its own breakers again.
final class RouteHealthExchange: Sendable {
    private struct Local {
        var state: CircuitState
        var openUntil: Date?
        /// When this worker's breaker took that state.
        var since: Date
    }

    private struct State {
        var view: RouteHealthView
        var local: [RouteKey: Local] = [:]
        var outbox: [RouteHealthMessage] = []
        var applied: [RouteKey: RouteHealthView.Verdict] = [:]
        var caughtUp = false
        /// Routes whose verdict may have changed with a local change.
        var rejudge: Set<RouteKey> = []
        /// Routes whose breaker the exchange is closing on another worker's word.
        var forcedClose: Set<RouteKey> = []
        /// This worker's failure streaks as last told to the fleet, and when each began.
        var toldStreaks: [RouteKey: (failures: Int, since: Date)] = [:]
        /// When a call to each route with a streak here last succeeded here.
        var ownSuccess: [RouteKey: Date] = [:]
        /// The fleet's pooled streaks as last given to the engine.
        var pooled: [RouteKey: Int] = [:]
    }

    let config: RouteHealthConfig
    let worker: String
    private let engine: FailoverEngine<ContinuousClock>
    private let channel: FleetChannel
    private let logger: Logger
    private let state: Mutex<State>

    init(config: UnderstudyConfig, worker: String, engine: FailoverEngine<ContinuousClock>, logger: Logger) {
        self.config = config.routeHealth
        self.worker = worker
        self.engine = engine
        channel = FleetChannel(
            topic: config.kafka.routeHealthTopic, purpose: "route-health", settings: WorkerKafkaSettings(config: config), logger: logger)
        self.logger = logger
        state = Mutex(State(view: RouteHealthView(me: worker, probeGrace: .milliseconds(config.routeHealth.probeGraceMs))))
    }

    private var ttl: TimeInterval { Double(config.ttlMs) / 1_000 }

    /// A breaker of this worker changed (the engine's event sink): tell the fleet.
    func localChange(_ event: CircuitEvent, at now: Date = Date()) {
        let route = RouteKey(provider: event.provider, model: event.model)
        let openUntil = event.cooldown.map { now.addingTimeInterval($0.seconds) }
        let message = RouteHealthMessage(
            route: route, worker: worker, state: event.state, reason: .change, at: now, since: now, openUntil: openUntil,
            expiresAt: now.addingTimeInterval(ttl))
        state.withLock { state in
            state.local[route] = event.state == .closed ? nil : Local(state: event.state, openUntil: openUntil, since: now)
            // A close this exchange caused (another worker's probe succeeded) is that worker's
            // news, not this one's: told again, it would read as a newer probe.
            if event.state == .closed, state.forcedClose.remove(route) != nil { return }
            state.outbox.append(message)
            state.rejudge.insert(route)
        }
    }

    /// Whether the start-up read of the topic is done (or given up on).
    var caughtUp: Bool { channel.caughtUp }

    /// Waits until the start-up read is done, at most `timeout`.
    func waitUntilCaughtUp(timeout: Duration) async { await channel.waitUntilCaughtUp(timeout: timeout) }

    /// Reads and publishes until cancelled.
    func run() async {
        await channel.run(receive: { self.receive($0) }, publish: { await self.publishLoop($0) })
        logger.debug("route health: stopped", metadata: ["routes": "\(state.withLock { $0.view.routes.count })"])
    }

    private func receive(_ batch: ArraySlice<KafkaMessage>) {
        let now = Date()
        let (touched, failing): (Set<RouteKey>, Set<RouteKey>) = state.withLock { state in
            var touched = Set<RouteKey>()
            var failing = Set<RouteKey>()
            for message in batch {
                guard let word = RouteHealthMessage.read(message.value), state.view.add(word) else { continue }
                // Any word may end a streak; only a state word changes the verdict.
                failing.insert(word.route)
                if word.reason != .failing { touched.insert(word.route) }
            }
            return (touched, failing)
        }
        apply(touched, now: now)
        pool(failing, now: now)
    }

    /// Gives the engine the fleet's pooled streak on each of `routes` that changed.
    private func pool(_ routes: Set<RouteKey>, now: Date) {
        let changed: [(RouteKey, Int)] = state.withLock { state in
            var changed: [(RouteKey, Int)] = []
            for route in routes {
                let count = state.view.fleetFailures(for: route, now: now, after: state.ownSuccess[route])
                guard count != state.pooled[route, default: 0] else { continue }
                if count == 0 { state.pooled[route] = nil } else { state.pooled[route] = count }
                changed.append((route, count))
            }
            return changed
        }
        for (route, count) in changed { engine.fleetFailures(route, count: count) }
    }

    /// `failing` words for this worker's streaks that changed since last told: the count and
    /// when the streak began; 0 for one a success ended (one that ended with the breaker opening
    /// is told by the state word). Never repeated by heartbeats: a streak that stops growing (no
    /// more calls) lapses a `ttl` after its last failure. Also returns the routes whose streak
    /// here changed, for ``pool(_:now:)``.
    private func streakWords(now: Date) -> (words: [RouteHealthMessage], changed: Set<RouteKey>) {
        let streaks = engine.failureStreaks()
        return state.withLock { state in
            var words: [RouteHealthMessage] = []
            var changed = Set<RouteKey>()
            for route in Set(streaks.keys).union(state.toldStreaks.keys) {
                let streak = streaks[route]
                let count = streak?.failures ?? 0
                let told = state.toldStreaks[route]
                guard count != told?.failures ?? 0 else { continue }
                changed.insert(route)
                if let ago = streak?.sinceSuccess {
                    state.ownSuccess[route] = now.addingTimeInterval(-ago.seconds)
                } else if streak == nil {
                    state.ownSuccess[route] = nil
                }
                if count == 0 {
                    state.toldStreaks[route] = nil
                    // Ended by the breaker opening, not by a success: the open word says so.
                    guard state.local[route] == nil else { continue }
                } else {
                    state.toldStreaks[route] = (count, told?.since ?? now)
                }
                words.append(
                    RouteHealthMessage(
                        route: route, worker: worker, state: .closed, reason: .failing, at: now, since: count > 0 ? told?.since ?? now : now,
                        expiresAt: now.addingTimeInterval(ttl), failures: count))
            }
            return (words, changed)
        }
    }

    /// Publishes changes at once and heartbeats every `heartbeat_ms`; re-judges the held routes
    /// as words lapse.
    private func publishLoop(_ producer: KafkaProducer) async {
        var lastHeartbeat = ContinuousClock.now
        let heartbeat = Duration.milliseconds(config.heartbeatMs)
        while !Task.isCancelled {
            let now = Date()
            var (messages, rejudge) = state.withLock { state in
                defer {
                    state.outbox.removeAll()
                    state.rejudge.removeAll()
                }
                return (state.outbox, state.rejudge)
            }
            let (streakWords, ownChanged) = streakWords(now: now)
            messages += streakWords
            if !ownChanged.isEmpty { pool(ownChanged, now: now) }
            if ContinuousClock.now - lastHeartbeat >= heartbeat {
                lastHeartbeat = ContinuousClock.now
                messages += state.withLock { state in
                    state.local.map { route, local in
                        RouteHealthMessage(
                            route: route, worker: worker, state: local.state, reason: .heartbeat, at: now, since: local.since,
                            openUntil: local.openUntil, expiresAt: now.addingTimeInterval(ttl))
                    }
                }
                let (held, pooled) = state.withLock { state in
                    state.view.prune(now: now)
                    return (Set(state.applied.keys), Set(state.pooled.keys))
                }
                rejudge.formUnion(held)
                // Streaks of workers that stopped publishing lapse.
                pool(pooled, now: now)
            }
            if !rejudge.isEmpty { apply(rejudge, now: now) }
            let records = messages.compactMap { message -> KafkaRecord? in
                guard let bytes = try? WireJSON.encodeBytes(message) else { return nil }
                return KafkaRecord(topic: channel.topic, key: Array(message.route.description.utf8), value: bytes)
            }
            await channel.send(records, with: producer)
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Turns the view's verdicts on `routes` into holds on the engine, when they changed.
    private func apply(_ routes: Set<RouteKey>, now: Date) {
        for route in routes {
            let verdict = state.withLock { $0.view.verdict(for: route, now: now, localOpen: $0.local[route] != nil) }
            let (previous, localSince) = state.withLock { state -> (RouteHealthView.Verdict?, Date?) in
                let previous = state.applied[route]
                if case .release = verdict { state.applied[route] = nil } else { state.applied[route] = verdict }
                return (previous, state.local[route]?.since)
            }
            switch verdict {
            case .hold(let duration):
                engine.holdRoute(route, for: duration)
                if previous == nil {
                    logger.notice("route held by the fleet", metadata: ["understudy.route": "\(route)", "hold_ms": "\(duration.milliseconds)"])
                }
            case .release(let closedAt):
                // Another worker's close outweighs this worker's open only when it came after it.
                let closeBreaker = closedAt.map { closed in localSince.map { $0 < closed } ?? true } ?? false
                if closeBreaker { state.withLock { _ = $0.forcedClose.insert(route) } }
                if previous != nil || closeBreaker { engine.holdRoute(route, for: nil, closeBreaker: closeBreaker) }
                if previous != nil { logger.notice("route released by the fleet", metadata: ["understudy.route": "\(route)"]) }
                if closeBreaker { state.withLock { _ = $0.forcedClose.remove(route) } }
            }
        }
    }
}
