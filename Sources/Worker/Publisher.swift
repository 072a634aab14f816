import Foundation
import Jobs
import Kafka
import Logging

/// Publishes a ``Publication`` until the broker acknowledged every record of it.
///
/// Guarantees: returns true only when the result (or dead letter) and all telemetry were
/// acknowledged. A record the broker refuses as too large is never retried as is: a dead letter
/// goes out with its value cut and `understudy.error.truncated: true`; a result becomes a
/// failed `result_too_large` result. Other failures are retried with backoff (never dropped)
/// until the task is cancelled, which returns false: the job is then not finished.
enum Publisher {
    static func publish(_ publication: Publication, producer: KafkaProducer, maxBytes: Int, logger: Logger) async -> Bool {
        var pending = records(for: publication, maxBytes: maxBytes)
        var delay = Duration.milliseconds(50)
        while !pending.isEmpty {
            let results = await producer.send(pending)
            var retry: [KafkaRecord] = []
            for (record, result) in zip(pending, results) {
                guard case .failure(let error) = result else { continue }
                if error.code == .msgSizeTooLarge, let smaller = shrink(record, publication: publication, maxBytes: maxBytes / 2) {
                    retry.append(smaller)
                } else {
                    logger.warning("publish failed; retrying", metadata: [KafkaLoggingKeys.topic: "\(record.topic)", "error": "\(error)"])
                    retry.append(record)
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

    /// The records of `publication`, each within `maxBytes` (oversized ones shrunk first).
    static func records(for publication: Publication, maxBytes: Int) -> [KafkaRecord] {
        switch publication {
        case .deadLetter(let record):
            return [size(of: record) > maxBytes ? (shrink(record, publication: publication, maxBytes: maxBytes) ?? record) : record]
        case .job(let result, let topic, let telemetry, let headers):
            var record = resultRecord(result, topic: topic, headers: headers)
            if size(of: record) > maxBytes, let smaller = shrink(record, publication: publication, maxBytes: maxBytes) {
                record = smaller
            }
            return [record] + telemetry
        }
    }

    static func resultRecord(_ result: JobResult, topic: String, headers: [KafkaHeader]) -> KafkaRecord {
        KafkaRecord(
            topic: topic, key: Array(result.jobID.utf8), value: (try? WireJSON.encodeBytes(result)) ?? [], headers: headers
        )
    }

    private static func size(of record: KafkaRecord) -> Int {
        (record.value?.count ?? 0) + (record.key?.count ?? 0) + record.headers.reduce(0) { $0 + $1.name.utf8.count + ($1.value?.count ?? 0) }
    }

    /// A smaller stand-in for a record the broker refused as too large.
    private static func shrink(_ record: KafkaRecord, publication: Publication, maxBytes: Int) -> KafkaRecord? {
        switch publication {
        case .deadLetter:
            guard !record.headers.contains(where: { $0.name == DeadLetter.Header.truncated }) || (record.value?.count ?? 0) > 1024 else { return nil }
            var smaller = record
            let budget = max(0, maxBytes - size(of: KafkaRecord(topic: record.topic, key: record.key, value: nil, headers: record.headers)) - 256)
            smaller.value = record.value.map { Array($0.prefix(budget)) }
            smaller.headers.removeAll { $0.name == DeadLetter.Header.truncated }
            smaller.headers.append(KafkaHeader(name: DeadLetter.Header.truncated, text: "true"))
            return smaller
        case .job(let result, let topic, _, let headers):
            guard result.failure?.errorClass != .resultTooLarge else { return nil }
            let failed = result.failing(
                with: .init(.resultTooLarge, message: "the result is larger than the broker accepts (\(size(of: record)) bytes)")
            )
            return resultRecord(failed, topic: topic, headers: headers)
        }
    }
}
