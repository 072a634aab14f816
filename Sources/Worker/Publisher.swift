import Foundation
import Jobs
import Kafka
import Logging

/// Publishes a ``Publication`` until the broker acknowledged every record of it.
///
/// Guarantees:
/// - Every record is checked against the producer's limit *before* it is sent, and the record
///   that is too large is the one made smaller: a dead letter's value is cut (marked
///   `understudy.error.truncated: true`); a job's result becomes a failed `result_too_large`
///   result; a telemetry event that cannot fit is left out (logged), never replacing the result.
///   So a job always ends with exactly one result.
/// - Returns true only when every record it kept was acknowledged. A record the broker still
///   refuses as too large (a topic whose `max.message.bytes` is below the producer's) is shrunk
///   against half its size once more and otherwise left out with an error in the log: it never
///   blocks its partition. Other failures are retried with backoff until the task is
///   cancelled, which returns false: the job is then not finished and runs again.
enum Publisher {
    /// A record and what it stands for, so the right kind of smaller stand-in can be made.
    private struct Entry {
        var record: KafkaRecord
        var isPrimary: Bool
    }

    static func publish(
        _ publication: Publication, producer: any ResultProducer, maxBytes: Int, logger: Logger, metrics: WorkerMetrics? = nil
    ) async -> Bool {
        var pending = entries(for: publication, maxBytes: maxBytes, logger: logger, metrics: metrics)
        var delay = Duration.milliseconds(50)
        while !pending.isEmpty {
            let results = await producer.send(pending.map(\.record))
            var retry: [Entry] = []
            for (entry, result) in zip(pending, results) {
                guard case .failure(let error) = result else { continue }
                if error.code == .msgSizeTooLarge {
                    let budget = entry.record.byteCount / 2
                    if let smaller = fit(entry, publication: publication, maxBytes: budget, logger: logger, metrics: metrics),
                        smaller.record.byteCount < entry.record.byteCount
                    {
                        retry.append(smaller)
                    } else {
                        logger.error(
                            "the broker refuses a record as too large even after shrinking; it is left out",
                            metadata: [KafkaLoggingKeys.topic: "\(entry.record.topic)", "bytes": "\(entry.record.byteCount)"]
                        )
                    }
                } else {
                    logger.warning("publish failed; retrying", metadata: [KafkaLoggingKeys.topic: "\(entry.record.topic)", "error": "\(error)"])
                    metrics?.deliveryError(topic: entry.record.topic)
                    retry.append(entry)
                }
            }
            pending = retry
            if !pending.isEmpty {
                if Task.isCancelled { return false }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
        return true
    }

    /// The records of `publication`, each within `maxBytes`: the result or dead letter first,
    /// then the telemetry.
    static func records(for publication: Publication, maxBytes: Int, logger: Logger, metrics: WorkerMetrics? = nil) -> [KafkaRecord] {
        entries(for: publication, maxBytes: maxBytes, logger: logger, metrics: metrics).map(\.record)
    }

    private static func entries(for publication: Publication, maxBytes: Int, logger: Logger, metrics: WorkerMetrics?) -> [Entry] {
        var entries: [Entry]
        switch publication {
        case .deadLetter(let record), .deferred(let record):
            entries = [Entry(record: record, isPrimary: true)]
        case .job(let result, let topic, let telemetry, let headers):
            entries = [Entry(record: resultRecord(result, topic: topic, headers: headers), isPrimary: true)]
            entries += telemetry.map { Entry(record: $0, isPrimary: false) }
        }
        return entries.compactMap { entry in
            guard entry.record.byteCount > maxBytes else { return entry }
            return fit(entry, publication: publication, maxBytes: maxBytes, logger: logger, metrics: metrics)
        }
    }

    static func resultRecord(_ result: JobResult, topic: String, headers: [KafkaHeader]) -> KafkaRecord {
        KafkaRecord(
            topic: topic, key: Array(result.jobID.utf8), value: (try? WireJSON.encodeBytes(result)) ?? [], headers: headers
        )
    }

    /// A stand-in for `entry` within `maxBytes`, or `nil` to leave it out (telemetry only).
    private static func fit(_ entry: Entry, publication: Publication, maxBytes: Int, logger: Logger, metrics: WorkerMetrics?) -> Entry? {
        let record = entry.record
        guard entry.isPrimary else {
            logger.warning(
                "a telemetry event is larger than the producer accepts; it is left out",
                metadata: [KafkaLoggingKeys.topic: "\(record.topic)", "bytes": "\(record.byteCount)", "limit": "\(maxBytes)"]
            )
            return nil
        }
        switch publication {
        case .deferred:
            // The job itself cannot shrink: it keeps only understudy's own headers.
            var smaller = record
            smaller.headers = smaller.headers.filter { $0.name.hasPrefix("understudy.") }
            return Entry(record: smaller, isPrimary: true)
        case .deadLetter:
            var smaller = record
            smaller.headers.removeAll { $0.name == DeadLetter.Header.truncated }
            smaller.headers.append(KafkaHeader(name: DeadLetter.Header.truncated, text: "true"))
            var room = maxBytes - KafkaRecord(topic: record.topic, key: record.key, value: nil, headers: smaller.headers).byteCount - 256
            if room < 0 {
                // The original headers alone are too large: keep only understudy's own.
                smaller.headers = smaller.headers.filter { $0.name.hasPrefix("understudy.") }
                room = maxBytes - KafkaRecord(topic: record.topic, key: record.key, value: nil, headers: smaller.headers).byteCount - 256
            }
            if room < 0 {
                // And the key too (it only picks the partition).
                smaller.key = nil
                room = maxBytes - KafkaRecord(topic: record.topic, key: nil, value: nil, headers: smaller.headers).byteCount - 256
            }
            smaller.value = record.value.map { Array($0.prefix(max(0, room))) }
            return Entry(record: smaller, isPrimary: true)
        case .job(let result, let topic, _, let headers):
            metrics?.resultTooLarge(workload: result.workload)
            let failed = result.failing(
                with: .init(.resultTooLarge, message: "the result is larger than the broker accepts (\(record.byteCount) bytes)")
            )
            var smaller = resultRecord(failed, topic: topic, headers: headers)
            if smaller.byteCount > maxBytes { smaller.headers = [] }
            return Entry(record: smaller, isPrimary: true)
        }
    }
}
