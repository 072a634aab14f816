import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A minimal OpenTelemetry collector for tests: serves `POST /v1/traces` on a free loopback port,
/// decodes each OTLP/HTTP JSON payload and keeps the spans. Always ``stop()`` it.
package final class OTLPReceiver: Sendable {
    /// One received span, flattened.
    package struct Span: Sendable, CustomStringConvertible {
        package var name: String
        /// Lower-case hex, as in `traceparent`.
        package var traceID: String
        package var spanID: String
        /// Empty for a root span.
        package var parentSpanID: String
        /// Attribute values as text (numbers in decimal).
        package var attributes: [String: String]

        package var description: String { "\(name) trace=\(traceID) span=\(spanID) parent=\(parentSpanID) \(attributes)" }
    }

    private let spans = Mutex<[Span]>([])
    private let payloads = Mutex<Int>(0)
    private let task: Task<Void, any Error>
    package let port: Int

    private init(task: Task<Void, any Error>, port: Int) {
        self.task = task
        self.port = port
    }

    /// `http://127.0.0.1:PORT/v1/traces`.
    package var tracesURL: String { "http://127.0.0.1:\(port)/v1/traces" }

    /// Everything received so far.
    package var received: [Span] { spans.withLock { $0 } }

    /// How many export requests arrived.
    package var requests: Int { payloads.withLock { $0 } }

    package static func start() async throws -> OTLPReceiver {
        let (portStream, portContinuation) = AsyncStream<Int>.makeStream()
        let box = Mutex<OTLPReceiver?>(nil)
        let router = Router()
        router.post("v1/traces") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 64 << 20)
            let decoded = Self.decode(Array(body.readableBytesView))
            box.withLock { receiver in
                receiver?.payloads.withLock { $0 += 1 }
                receiver?.spans.withLock { $0 += decoded }
            }
            return Response(
                status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: "{}")))
        }
        var logger = Logger(label: "understudy.test.otlp")
        logger.logLevel = .critical
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger
        )
        let task = Task {
            // A server that could not start ends the wait for its port.
            defer { portContinuation.finish() }
            try await app.runService()
        }
        var port = 0
        for await bound in portStream { port = bound }
        guard port > 0 else {
            task.cancel()
            throw RigError("the OTLP receiver did not start")
        }
        let receiver = OTLPReceiver(task: task, port: port)
        box.withLock { $0 = receiver }
        return receiver
    }

    package func stop() async {
        task.cancel()
        _ = try? await task.value
    }

    /// The spans of one OTLP/HTTP JSON `ExportTraceServiceRequest`. IDs arrive as hex (the OTLP
    /// JSON mapping) or as base64 (protobuf's generic JSON mapping of bytes); both become hex.
    static func decode(_ body: [UInt8]) -> [Span] {
        guard let root = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return [] }
        var result: [Span] = []
        for resource in root["resourceSpans"] as? [[String: Any]] ?? [] {
            for scope in resource["scopeSpans"] as? [[String: Any]] ?? [] {
                for span in scope["spans"] as? [[String: Any]] ?? [] {
                    var attributes: [String: String] = [:]
                    for attribute in span["attributes"] as? [[String: Any]] ?? [] {
                        guard let key = attribute["key"] as? String, let value = attribute["value"] as? [String: Any] else { continue }
                        if let text = value["stringValue"] as? String {
                            attributes[key] = text
                        } else if let number = value["intValue"] {
                            attributes[key] = "\(number)"
                        } else if let number = value["doubleValue"] {
                            attributes[key] = "\(number)"
                        } else if let flag = value["boolValue"] as? Bool {
                            attributes[key] = "\(flag)"
                        }
                    }
                    result.append(
                        Span(
                            name: span["name"] as? String ?? "",
                            traceID: hex(span["traceId"] as? String ?? "", bytes: 16),
                            spanID: hex(span["spanId"] as? String ?? "", bytes: 8),
                            parentSpanID: hex(span["parentSpanId"] as? String ?? "", bytes: 8),
                            attributes: attributes
                        ))
                }
            }
        }
        return result
    }

    /// `text` as lower-case hex: kept when it already is `bytes` bytes of hex, else read as base64.
    private static func hex(_ text: String, bytes: Int) -> String {
        if text.utf8.count == bytes * 2, text.allSatisfy(\.isHexDigit) { return text.lowercased() }
        guard let data = Data(base64Encoded: text) else { return text }
        return data.map { String(format: "%02x", $0) }.joined()
    }
}
