import CLibrdkafka
import Dispatch
import Foundation
import Logging
import Synchronization

/// One `rd_kafka_t` handle and the Swift context its C callbacks reach through the handle's
/// opaque pointer.
///
/// Ownership across the C boundary: the handle's opaque is an *unretained* pointer to
/// ``context``. This class holds the context strongly and destroys the handle (in ``destroy()``
/// or `deinit`) before the context can be freed, so no callback ever sees a dangling context.
///
/// Thread safety of the handle: every use goes through ``withHandle(_:)``, which counts the
/// calls in progress. ``destroy()`` first makes every later ``withHandle(_:)`` return `nil`, then
/// waits until the calls in progress have returned, and only then calls `rd_kafka_destroy`: a
/// late handler on another thread can never reach a destroyed handle. Every call made inside
/// ``withHandle(_:)`` is bounded by a timeout, so the wait is too. Never call ``destroy()`` from
/// inside ``withHandle(_:)`` or from a librdkafka callback (it would wait for itself).
final class RDKafkaClient: @unchecked Sendable {
    enum Kind {
        case producer
        case consumer

        var cType: rd_kafka_type_t { self == .producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER }
    }

    /// What the callbacks need: the logger, and hooks the owning client installs.
    ///
    /// The hooks are set once, in ``RDKafkaClient/make(kind:pairs:logger:rebalance:delivery:onFatalError:prepare:)``
    /// before the handle exists, and only read afterwards.
    final class Context: @unchecked Sendable {
        let logger: Logger
        var onDelivery: (@Sendable (UnsafePointer<rd_kafka_message_t>, _ fatal: Bool) -> Void)?
        var onRebalance: (@Sendable (rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) -> Void)?
        var onStatistics: (@Sendable (KafkaStatistics) -> Void)?
        var onFatalError: (@Sendable (KafkaError) -> Void)?
        /// Set by the first fatal report: the owner hears of a fatal error once.
        private let fatalReported = Atomic<Bool>(false)

        init(logger: Logger) {
            self.logger = logger
        }

        /// Logs `error` and calls ``onFatalError`` the first time only (any thread).
        func reportFatal(_ error: KafkaError) {
            guard fatalReported.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
            logger.critical(
                "fatal Kafka error: the client is unusable",
                metadata: [
                    KafkaLoggingKeys.errorCode: "\(error.code.name)", "error": "\(error)",
                ])
            onFatalError?(error)
        }
    }

    private struct HandleState: @unchecked Sendable {
        var handle: OpaquePointer?
        /// Calls inside ``withHandle(_:)`` right now.
        var users = 0
        /// Set by ``destroy()``: no new user gets the handle.
        var closing = false
    }

    private let handleState: Mutex<HandleState>
    /// Signalled by the last user to leave once ``destroy()`` is waiting.
    private let usersGone = DispatchSemaphore(value: 0)
    let context: Context
    let kind: Kind

    private init(handle: OpaquePointer, context: Context, kind: Kind) {
        self.handleState = Mutex(HandleState(handle: handle))
        self.context = context
        self.kind = kind
    }

    /// Builds the configuration from `pairs` (each checked by librdkafka, in order) and creates
    /// the handle. `prepare` lets the owner install hooks on the context before any callback runs.
    static func make(
        kind: Kind,
        pairs: [(String, String)],
        logger: Logger,
        rebalance: Bool = false,
        delivery: Bool = false,
        onFatalError: (@Sendable (KafkaError) -> Void)? = nil,
        prepare: (Context) -> Void = { _ in }
    ) throws(KafkaError) -> RDKafkaClient {
        let conf = try makeConf(pairs)
        let context = Context(logger: logger)
        context.onFatalError = onFatalError
        prepare(context)
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(context).toOpaque())
        rd_kafka_conf_set_log_cb(conf, rdkafkaLogCallback)
        rd_kafka_conf_set_error_cb(conf, rdkafkaErrorCallback)
        rd_kafka_conf_set_stats_cb(conf, rdkafkaStatsCallback)
        if rebalance { rd_kafka_conf_set_rebalance_cb(conf, rdkafkaRebalanceCallback) }
        if delivery { rd_kafka_conf_set_dr_msg_cb(conf, rdkafkaDeliveryCallback) }

        var errstr = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(kind.cType, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(code: .invalidArgument, message: cText(errstr))
        }
        return RDKafkaClient(handle: handle, context: context, kind: kind)
    }

    /// A configuration object with every pair set; the first pair librdkafka refuses is named in
    /// the error, with librdkafka's own text.
    static func makeConf(_ pairs: [(String, String)]) throws(KafkaError) -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError(code: .invalidArgument, message: "rd_kafka_conf_new failed")
        }
        var errstr = [CChar](repeating: 0, count: 512)
        for (name, value) in pairs {
            let result = rd_kafka_conf_set(conf, name, value, &errstr, errstr.count)
            if result != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw KafkaError.configuration(property: name, cText(errstr))
            }
        }
        return conf
    }

    /// Runs `body` with the live handle, or returns `nil` (without running it) once
    /// ``destroy()`` started. ``destroy()`` waits for `body` to return. Keep `body` bounded
    /// in time; never destroy the client inside it.
    func withHandle<R, E: Error>(_ body: (OpaquePointer) throws(E) -> R) throws(E) -> R? {
        let handle = handleState.withLock { state -> OpaquePointer? in
            guard !state.closing, let handle = state.handle else { return nil }
            state.users += 1
            return handle
        }
        guard let handle else { return nil }
        defer {
            let last = handleState.withLock { state -> Bool in
                state.users -= 1
                return state.closing && state.users == 0
            }
            if last { usersGone.signal() }
        }
        return try body(handle)
    }

    /// True once ``destroy()`` started.
    var isClosed: Bool { handleState.withLock { $0.closing || $0.handle == nil } }

    /// Fetches cluster metadata (all topics, or one), failing after `timeout`.
    func metadata(topic: String? = nil, timeout: Duration) throws(KafkaError) -> KafkaClusterMetadata {
        let result = withHandle { handle -> Result<KafkaClusterMetadata, KafkaError> in
            var metadata: UnsafePointer<rd_kafka_metadata>?
            var topicHandle: OpaquePointer?
            if let topic { topicHandle = rd_kafka_topic_new(handle, topic, nil) }
            defer { if let topicHandle { rd_kafka_topic_destroy(topicHandle) } }
            let err = rd_kafka_metadata(handle, topic == nil ? 1 : 0, topicHandle, &metadata, Int32(clamping: timeout.milliseconds))
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
                return .failure(KafkaError(err, context: "metadata request to \(bootstrapDescription) failed"))
            }
            defer { rd_kafka_metadata_destroy(metadata) }
            return .success(KafkaClusterMetadata(metadata.pointee))
        }
        guard let result else { throw KafkaError(code: .state, message: "client is closed") }
        return try result.get()
    }

    var bootstrapDescription: String = "the bootstrap servers"

    // MARK: Fatal errors

    /// The fatal error librdkafka raised on this client (its real cause, not `_FATAL`), if any.
    func raisedFatalError() -> KafkaError? {
        withHandle { handle in Self.fatalError(of: handle) } ?? nil
    }

    /// The fatal error raised on `handle`, if any; callable from any thread and from callbacks.
    static func fatalError(of handle: OpaquePointer) -> KafkaError? {
        var errstr = [CChar](repeating: 0, count: 512)
        let cause = rd_kafka_fatal_error(handle, &errstr, errstr.count)
        guard cause != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        return KafkaError(code: .init(cause), message: "fatal error: \(cText(errstr))", isFatal: true)
    }

    /// `error`, marked fatal when the client has raised a fatal error (then reported to the owner
    /// once). Use it for every error a call on this client returns.
    func checked(_ error: KafkaError) -> KafkaError {
        var error = error
        if !error.isFatal, error.code == .fatal || error.code == .fencedInstanceID || raisedFatalError() != nil {
            error.isFatal = true
        }
        if error.isFatal { context.reportFatal(raisedFatalError() ?? error) }
        return error
    }

    /// An error from a `rd_kafka_resp_err_t` this client returned, marked fatal when it is.
    func error(_ err: rd_kafka_resp_err_t, context: String? = nil) -> KafkaError {
        checked(KafkaError(err, context: context))
    }

    // MARK: Destroying

    /// Destroys the handle once every call in progress returned; safe to call more than once and
    /// from any thread except from inside ``withHandle(_:)`` or a callback. A consumer is
    /// destroyed without a consumer close (the owner closes it, with a bound, before).
    func destroy() {
        let (handle, wait) = handleState.withLock { state -> (OpaquePointer?, Bool) in
            guard !state.closing, let handle = state.handle else { return (nil, false) }
            state.closing = true
            return (handle, state.users > 0)
        }
        guard let handle else { return }
        if wait { usersGone.wait() }
        handleState.withLock { $0.handle = nil }
        if kind == .consumer {
            rd_kafka_destroy_flags(handle, Int32(RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE))
        } else {
            rd_kafka_destroy(handle)
        }
    }

    deinit {
        destroy()
    }
}

// MARK: - C callbacks (no captures: they find their context through the handle's opaque)

private func context(of rk: OpaquePointer?) -> RDKafkaClient.Context? {
    guard let rk, let opaque = rd_kafka_opaque(rk) else { return nil }
    return Unmanaged<RDKafkaClient.Context>.fromOpaque(opaque).takeUnretainedValue()
}

private let rdkafkaLogCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = {
    rk, level, facility, buffer in
    guard let context = context(of: rk) else { return }
    let swiftLevel: Logger.Level =
        switch level {
        case 0...2: .critical
        case 3: .error
        case 4: .warning
        case 5, 6: .info
        default: .debug
        }
    let text = buffer.map { String(cString: $0) } ?? ""
    let fac = facility.map { String(cString: $0) } ?? ""
    context.logger.log(level: swiftLevel, "\(text)", metadata: [KafkaLoggingKeys.facility: "\(fac)"], source: "librdkafka")
}

/// librdkafka's error callback: informational errors are logged; `_FATAL` (a producer's fatal
/// error: consumers get theirs as a consumer error) is reported with its real cause.
private let rdkafkaErrorCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = {
    rk, err, reason, _ in
    guard let rk, let context = context(of: rk) else { return }
    let text = reason.map { String(cString: $0) } ?? ""
    let code = KafkaError.Code(rawValue: err)
    if code == .fatal {
        context.reportFatal(RDKafkaClient.fatalError(of: rk) ?? KafkaError(code: code, message: text, isFatal: true))
        return
    }
    context.logger.warning("\(text)", metadata: [KafkaLoggingKeys.errorCode: "\(code.name)"], source: "librdkafka")
}

private let rdkafkaStatsCallback: @convention(c) (OpaquePointer?, UnsafeMutablePointer<CChar>?, Int, UnsafeMutableRawPointer?) -> Int32 = {
    rk, json, length, _ in
    guard let context = context(of: rk), let handler = context.onStatistics, let json else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: json, count: length)
    if let statistics = KafkaStatistics(json: Array(bytes)) {
        handler(statistics)
    }
    return 0
}

private let rdkafkaRebalanceCallback:
    @convention(c) (OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, UnsafeMutableRawPointer?) -> Void = {
        rk, err, partitions, _ in
        guard let context = context(of: rk), let handler = context.onRebalance else { return }
        handler(err, partitions)
    }

/// The delivery report callback; a failed report is checked against the client's fatal state
/// (a fatal idempotent-producer error fails the records it concerns with their own codes).
private let rdkafkaDeliveryCallback: @convention(c) (OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?) -> Void = {
    rk, message, _ in
    guard let rk, let context = context(of: rk), let handler = context.onDelivery, let message else { return }
    var fatal = false
    if message.pointee.err != RD_KAFKA_RESP_ERR_NO_ERROR, let error = RDKafkaClient.fatalError(of: rk) {
        fatal = true
        context.reportFatal(error)
    }
    handler(message, fatal)
}

/// The text in a NUL-terminated C buffer that librdkafka filled.
func cText(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
