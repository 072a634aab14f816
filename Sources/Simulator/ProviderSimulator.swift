import Completions
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Providers
import ServiceLifecycle
import Synchronization

/// A local HTTP server that speaks the anthropic, openai and azure-openai wire formats, answers
/// with deterministic extractive summaries and ≈ chars/4 token counts, and fails on command the
/// way the real providers fail (see ``SimulatorMode/Fault``), for the tests, the demo and the
/// benchmarks. A swift-service-lifecycle `Service`.
///
/// Endpoints:
/// - `POST /v1/messages` and `POST /anthropic/v1/messages` (Foundry): anthropic.
/// - `POST /v1/chat/completions`: openai.
/// - `POST /openai/deployments/{deployment}/chat/completions?api-version=...` and
///   `POST /openai/v1/chat/completions`: azure-openai.
/// - `POST /v1/messages/batches`, `GET /v1/messages/batches/{id}`, `POST .../{id}/cancel`,
///   `GET .../{id}/results` (also under `/anthropic`): Anthropic's Message Batches, played by
///   ``SimulatedBatches`` as `PUT /_sim/batches` (a ``BatchScript`` as JSON) says.
/// - `PUT /_sim/mode` (a ``SimulatorMode`` as JSON), `GET /_sim/mode`,
///   `PUT /_sim/script` (a ``SimulatorScript`` as YAML or JSON), `GET /_sim/stats`
///   (``SimulatorStats``), `DELETE /_sim/stats` (zero the counters).
///
/// Guarantees: binds only the configured host (127.0.0.1 by default) and, with port 0, a free
/// port that ``waitUntilRunning()`` reports; on graceful shutdown or cancellation, blackholed
/// and dripping requests end at once so the server stops promptly.
package final class ProviderSimulator: Service, Sendable {
    /// Where to listen and how to start.
    package struct Configuration: Sendable {
        package var host: String
        /// 0 picks a free port.
        package var port: Int
        /// The mode before any script or control request.
        package var mode: SimulatorMode
        /// A schedule to run from start-up (overrides `mode`).
        package var script: SimulatorScript?
        package var maxRequestBytes: Int
        /// Answer every successful request with one prebuilt body per wire format (a summary of a
        /// sample ticket), without parsing the request or summarizing it: for benchmarks that
        /// measure the client, so the simulator's own work per request is as small as it gets.
        /// Faults, latency and status codes still apply.
        package var cannedAnswers: Bool
        package var logger: Logger

        package init(
            host: String = "127.0.0.1",
            port: Int = 0,
            mode: SimulatorMode = .healthy,
            script: SimulatorScript? = nil,
            maxRequestBytes: Int = 16 << 20,
            cannedAnswers: Bool = false,
            logger: Logger = Logger(label: "understudy.simulator")
        ) {
            self.host = host
            self.port = port
            self.mode = mode
            self.script = script
            self.maxRequestBytes = maxRequestBytes
            self.cannedAnswers = cannedAnswers
            self.logger = logger
        }
    }

    /// The simulator stopped or failed before it was listening.
    package struct NotRunningError: Error, Sendable, CustomStringConvertible {
        package var description: String
    }

    private enum Binding {
        case waiting([CheckedContinuation<Int, any Error>])
        case bound(Int)
        case ended(String)
    }

    private struct State {
        var schedule: SimulatorSchedule
        var stats = SimulatorStats()
        var binding = Binding.waiting([])
        var stopping = false
    }

    package let configuration: Configuration
    private let state: Mutex<State>
    private let serial = Atomic<Int>(0)
    let summaries = SummaryCache()
    let promptCache = PromptCacheModel()
    let batches = SimulatedBatches()

    package init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        let now = ContinuousClock.now
        let schedule =
            configuration.script.map { SimulatorSchedule(script: $0, now: now) }
            ?? SimulatorSchedule(mode: configuration.mode, now: now)
        self.state = Mutex(State(schedule: schedule))
    }

    // MARK: Lifecycle

    /// Serves until cancelled or gracefully shut down.
    package func run() async throws {
        let router = Router(context: SimulatorRequestContext.self)
        registerRoutes(on: router)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { [self] channel in
                bound(to: channel.localAddress?.port)
            },
            logger: configuration.logger
        )
        do {
            try await withGracefulShutdownHandler {
                try await app.run()
            } onGracefulShutdown: { [self] in
                state.withLock { $0.stopping = true }
            }
        } catch {
            ended("the simulator failed: \(error)")
            throw error
        }
        ended("the simulator has stopped")
    }

    /// The port it listens on, once it does.
    var boundPort: Int? {
        state.withLock { state in
            if case .bound(let port) = state.binding { return port }
            return nil
        }
    }

    /// Waits until the server listens, and returns its port.
    package func waitUntilRunning() async throws -> Int {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int, any Error>) in
            let result: Result<Int, NotRunningError>? = state.withLock { state in
                switch state.binding {
                case .waiting(var waiters):
                    waiters.append(continuation)
                    state.binding = .waiting(waiters)
                    return nil
                case .bound(let port): return .success(port)
                case .ended(let why): return .failure(NotRunningError(description: why))
                }
            }
            if let result { continuation.resume(with: result) }
        }
    }

    /// `http://host:port` once running.
    package func baseURL() async throws -> String {
        "http://\(configuration.host):\(try await waitUntilRunning())"
    }

    private func bound(to port: Int?) {
        let waiters: [CheckedContinuation<Int, any Error>] = state.withLock { state in
            guard case .waiting(let waiters) = state.binding else { return [] }
            if let port {
                state.binding = .bound(port)
            } else {
                state.binding = .ended("the server has no local port")
            }
            return waiters
        }
        for waiter in waiters {
            if let port { waiter.resume(returning: port) } else { waiter.resume(throwing: NotRunningError(description: "no local port")) }
        }
    }

    private func ended(_ why: String) {
        let waiters: [CheckedContinuation<Int, any Error>] = state.withLock { state in
            state.stopping = true
            guard case .waiting(let waiters) = state.binding else {
                state.binding = .ended(why)
                return []
            }
            state.binding = .ended(why)
            return waiters
        }
        for waiter in waiters { waiter.resume(throwing: NotRunningError(description: why)) }
    }

    // MARK: Control

    /// Replaces any schedule with `mode`, for ever.
    package func setMode(_ mode: SimulatorMode) {
        state.withLock { $0.schedule = SimulatorSchedule(mode: mode, now: .now) }
    }

    /// Starts `script` now.
    package func load(script: SimulatorScript) {
        state.withLock { $0.schedule = SimulatorSchedule(script: script, now: .now) }
    }

    /// The mode in force now.
    package func currentMode() -> SimulatorMode {
        state.withLock { $0.schedule.currentMode(now: .now) }
    }

    /// Request counts so far.
    package func stats() -> SimulatorStats {
        state.withLock { state in
            var stats = state.stats
            stats.mode = state.schedule.currentMode(now: .now)
            stats.scriptStep = state.schedule.index
            return stats
        }
    }

    /// Zeroes the request counts.
    package func resetStats() {
        state.withLock { $0.stats = SimulatorStats() }
    }

    // MARK: Routes

    private func registerRoutes(on router: Router<SimulatorRequestContext>) {
        router.post("/v1/messages") { [self] request, context in try await handle(.anthropic, request, context, pathModel: nil) }
        router.post("/anthropic/v1/messages") { [self] request, context in try await handle(.anthropic, request, context, pathModel: nil) }
        router.post("/v1/chat/completions") { [self] request, context in try await handle(.openai, request, context, pathModel: nil) }
        router.post("/openai/v1/chat/completions") { [self] request, context in
            try await handle(.azureOpenAI, request, context, pathModel: nil)
        }
        router.post("/openai/deployments/:deployment/chat/completions") { [self] request, context in
            try await handle(.azureOpenAI, request, context, pathModel: context.parameters.get("deployment"))
        }

        router.put("/_sim/mode") { [self] request, _ in
            let body = try await request.body.collect(upTo: 1 << 20)
            do {
                let mode = try JSONDecoder().decode(SimulatorMode.self, from: Data(body.readableBytesView))
                setMode(mode)
                return Self.json(mode)
            } catch {
                return Self.controlError("not a simulator mode: \(error)")
            }
        }
        router.get("/_sim/mode") { [self] _, _ in Self.json(currentMode()) }
        router.put("/_sim/script") { [self] request, _ in
            let body = try await request.body.collect(upTo: 1 << 20)
            do {
                let script = try SimulatorScript.parse(yaml: String(decoding: body.readableBytesView, as: UTF8.self))
                load(script: script)
                return Self.json(script)
            } catch {
                return Self.controlError("not a simulator script: \(error)")
            }
        }
        registerBatchRoutes(on: router)
        router.get("/_sim/stats") { [self] _, _ in Self.json(stats()) }
        router.delete("/_sim/stats") { [self] _, _ in
            resetStats()
            return Response(status: .noContent)
        }
    }

    private struct Disconnect: Error {}

    private func handle(_ wire: SimulatorWire, _ request: Request, _ context: SimulatorRequestContext, pathModel: String?) async throws -> Response {
        let channel = context.channel
        let path = request.uri.path
        let mode = state.withLock { state in
            let mode = state.schedule.nextRequest(now: .now)
            state.stats.totalRequests += 1
            state.stats.byPath[path, default: 0] += 1
            state.stats.byWire[wire.rawValue, default: 0] += 1
            state.stats.byFault[mode.fault.rawValue, default: 0] += 1
            return mode
        }
        let number = serial.wrappingAdd(1, ordering: .relaxed).newValue

        if let latency = mode.latency {
            var generator = SystemRandomNumberGenerator()
            let delay = latency.sample(using: &generator)
            if delay > .zero { try await sleepUnlessStopping(delay, channel: channel) }
        }

        switch mode.fault {
        case .blackhole:
            // Until the client gives up (closes the connection) or the simulator stops.
            try await sleepUnlessStopping(.seconds(86_400), channel: channel)
            throw Disconnect()
        case .error:
            let padded = mode.errorMessageBytes.map { String(repeating: "x", count: min(max(0, $0), 8 << 20)) }
            return Self.response(wire.error(status: mode.status ?? 500, retryAfterSeconds: mode.retryAfterSeconds, message: padded, serial: number))
        case .malformed:
            return Self.response(.init(status: 200, headers: [("content-type", "application/json")], body: SimulatorWire.malformedBody))
        case .wrongShape:
            return Self.response(.init(status: 200, headers: [("content-type", "application/json")], body: SimulatorWire.wrongShapeBody))
        case .healthy, .reset, .slowDrip, .reshaped:
            break
        }

        let body = try await request.body.collect(upTo: configuration.maxRequestBytes)
        if configuration.cannedAnswers, mode.fault == .healthy {
            return Self.response(wire.cannedReply)
        }
        let parsed: SimulatorWire.Parsed
        do {
            parsed = try wire.parse(Data(body.readableBytesView), pathModel: pathModel)
        } catch let error as SimulatorWire.BadRequest {
            return Self.response(wire.badRequest(error.message, serial: number))
        }
        var answer = summaries.answer(for: parsed.request)
        answer.usage = promptCache.usage(answer.usage, prefix: parsed.cachePrefix)
        if mode.fault == .reshaped { answer.text = Self.reshaped(answer.text) }
        let reply = wire.success(parsed, answer: answer, serial: number)
        switch mode.fault {
        case .reset:
            let full = reply.body
            var response = Self.response(reply)
            response.body = ResponseBody(contentLength: full.readableBytes) { [channel] writer in
                try await writer.write(full.getSlice(at: full.readerIndex, length: full.readableBytes / 2) ?? ByteBuffer())
                // Drop the connection now, as a crashing upstream would; only throwing lets the
                // server close it at its leisure (seconds later under load).
                channel.close(promise: nil)
                throw Disconnect()
            }
            return response
        case .slowDrip:
            let full = reply.body
            let chunk = max(1, mode.dripBytes ?? 16)
            let interval = Duration.milliseconds(max(1, mode.dripIntervalMs ?? 500))
            var response = Self.response(reply)
            response.body = ResponseBody(contentLength: full.readableBytes) { [self] writer in
                var offset = 0
                while offset < full.readableBytes {
                    let length = min(chunk, full.readableBytes - offset)
                    try await writer.write(full.getSlice(at: full.readerIndex + offset, length: length) ?? ByteBuffer())
                    offset += length
                    if offset < full.readableBytes { try await sleepUnlessStopping(interval, channel: channel) }
                }
                try await writer.finish(nil)
            }
            return response
        default:
            return Self.response(reply)
        }
    }

    /// The ``SimulatorMode/Fault/reshaped`` form of an answer: one paragraph, a stock opening,
    /// and only the first few words of the real answer.
    static func reshaped(_ text: String) -> String {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).prefix(6).joined(separator: " ")
        return "Thank you for your message. Our team has reviewed the request and will follow up shortly. Regarding \(words)."
    }

    private var isStopping: Bool { state.withLock { $0.stopping } }

    /// Sleeps for `duration` in short steps, ending early (by throwing) when the server stops or
    /// the client has closed the connection.
    private func sleepUnlessStopping(_ duration: Duration, channel: any Channel) async throws {
        let deadline = ContinuousClock.now + duration
        while true {
            if isStopping || !channel.isActive { throw Disconnect() }
            let remaining = deadline - .now
            if remaining <= .zero { return }
            try await Task.sleep(for: min(remaining, .milliseconds(100)))
        }
    }

    // MARK: Responses

    static func response(_ reply: SimulatorWire.Reply) -> Response {
        var fields = HTTPFields()
        for (name, value) in reply.headers {
            if let fieldName = HTTPField.Name(name) { fields.append(HTTPField(name: fieldName, value: value)) }
        }
        return Response(
            status: HTTPResponse.Status(code: reply.status, reasonPhrase: reply.status == 529 ? "Overloaded" : ""),
            headers: fields,
            body: ResponseBody(byteBuffer: reply.body)
        )
    }

    static func json(_ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func controlError(_ message: String) -> Response {
        json(["error": message]).with(status: .badRequest)
    }
}

extension Response {
    func with(status: HTTPResponse.Status) -> Response {
        var copy = self
        copy.status = status
        return copy
    }
}
