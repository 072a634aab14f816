import CLibrdkafka
import Foundation
import Logging

/// One `rd_kafka_t` handle and the Swift context its C callbacks reach through the handle's
/// opaque pointer.
///
/// Ownership across the C boundary: the handle's opaque is an *unretained* pointer to
/// ``context``. This class holds the context strongly and destroys the handle (in ``destroy()``
/// or `deinit`) before the context can be freed, so no callback ever sees a dangling context.
final class RDKafkaClient: @unchecked Sendable {
    enum Kind {
        case producer
        case consumer

        var cType: rd_kafka_type_t { self == .producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER }
    }

    /// What the callbacks need: the logger, and hooks the owning client installs.
    final class Context: @unchecked Sendable {
        let logger: Logger
        var onDelivery: (@Sendable (UnsafePointer<rd_kafka_message_t>) -> Void)?
        var onRebalance: (@Sendable (rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) -> Void)?
        var onStatistics: (@Sendable (KafkaStatistics) -> Void)?

        init(logger: Logger) {
            self.logger = logger
        }
    }

    private(set) var handle: OpaquePointer?
    let context: Context
    let kind: Kind

    private init(handle: OpaquePointer, context: Context, kind: Kind) {
        self.handle = handle
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
        prepare: (Context) -> Void = { _ in }
    ) throws(KafkaError) -> RDKafkaClient {
        let conf = try makeConf(pairs)
        let context = Context(logger: logger)
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

    /// Fetches cluster metadata (all topics, or one), failing after `timeout`.
    func metadata(topic: String? = nil, timeout: Duration) throws(KafkaError) -> KafkaClusterMetadata {
        guard let handle else { throw KafkaError(code: .state, message: "client is closed") }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        var topicHandle: OpaquePointer?
        if let topic { topicHandle = rd_kafka_topic_new(handle, topic, nil) }
        defer { if let topicHandle { rd_kafka_topic_destroy(topicHandle) } }
        let err = rd_kafka_metadata(handle, topic == nil ? 1 : 0, topicHandle, &metadata, Int32(clamping: timeout.milliseconds))
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw KafkaError(err, context: "metadata request to \(bootstrapDescription) failed")
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        return KafkaClusterMetadata(metadata.pointee)
    }

    var bootstrapDescription: String = "the bootstrap servers"

    /// Destroys the handle; safe to call more than once, only from the owner.
    func destroy() {
        if let handle {
            self.handle = nil
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

private let rdkafkaErrorCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = {
    rk, err, reason, _ in
    guard let context = context(of: rk) else { return }
    let text = reason.map { String(cString: $0) } ?? ""
    let code = KafkaError.Code(rawValue: err)
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

private let rdkafkaDeliveryCallback: @convention(c) (OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?) -> Void = {
    rk, message, _ in
    guard let context = context(of: rk), let handler = context.onDelivery, let message else { return }
    handler(message)
}

/// The text in a NUL-terminated C buffer that librdkafka filled.
func cText(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
