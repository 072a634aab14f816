import Completions
import Failover
import Foundation
import Jobs
import Kafka

/// A provider batch the lane submitted, as a record of the batch-state topic: which provider
/// batch, on which route, and which job (by origin) each custom id stands for. Keyed
/// `batch:<group>`, on the partition of its jobs; its tombstone says every job in it was served.
/// Written twice: first without a batch id (the intent, before the provider is asked), then
/// with it. A new owner that finds only the intent cannot know whether the provider took the
/// batch, so it runs those jobs realtime rather than submit them again.
///
/// Guarantees: ``read(_:group:)`` refuses a record with more members than any provider takes,
/// an id that is not id-shaped, or a custom id twice; it never traps on what it reads.
struct SubmittedBatch: Sendable, Hashable, JSONWritable {
    /// The lane's own id for the group of jobs (a UUID), the record's key.
    var group: String
    /// The provider's batch id; `nil` in the intent written before the provider is asked.
    var batchID: String?
    /// The provider's batch id, or empty for an intent.
    var providerID: String { batchID ?? "" }
    var workload: String
    var route: RouteKey
    var partition: Int32
    var submittedAtMs: Int64
    /// Custom id → job origin, in submission order.
    var members: [(customID: String, origin: String)]

    static func == (a: SubmittedBatch, b: SubmittedBatch) -> Bool {
        a.group == b.group && a.batchID == b.batchID && a.workload == b.workload && a.route == b.route && a.partition == b.partition
            && a.submittedAtMs == b.submittedAtMs && a.members.elementsEqual(b.members) { $0 == $1 }
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(group)
        hasher.combine(batchID)
    }

    func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("batch_id", orNull: batchID)
        writer.member("workload", workload)
        writer.member("provider", route.provider)
        writer.member("model", route.model)
        writer.member("submitted_at_ms", Int(clamping: submittedAtMs))
        writer.key("members")
        writer.beginArray()
        for member in members {
            writer.beginArray()
            writer.value(JSONValue.string(member.customID))
            writer.value(JSONValue.string(member.origin))
            writer.endArray()
        }
        writer.endArray()
        writer.endObject()
    }

    /// The record that carries it to `topic`.
    func record(topic: String) -> KafkaRecord? {
        guard let value = try? jsonDocument() else { return nil }
        return KafkaRecord(topic: topic, partition: partition, key: Array((BatchEntry.Key.batch + group).utf8), value: value)
    }

    /// The tombstone that closes it.
    static func tombstone(group: String, partition: Int32, topic: String) -> KafkaRecord {
        KafkaRecord(topic: topic, partition: partition, key: Array((BatchEntry.Key.batch + group).utf8), value: nil)
    }

    /// Bytes its record takes for `members` of these origins: what a flush measures against the
    /// producer's limit.
    static func estimatedBytes(origins: some Sequence<String>) -> Int {
        origins.reduce(512) { $0 + $1.utf8.count + 80 }
    }

    /// The batch a record carries; `nil` when it is malformed.
    static func read(_ message: KafkaMessage, group: String) -> SubmittedBatch? {
        guard group.utf8.count <= 128, let value = try? JSONParser.parse(message.value), let object = value.objectValue,
            let workload = object["workload"]?.stringValue, let provider = object["provider"]?.stringValue,
            let model = object["model"]?.stringValue,
            let submitted = object["submitted_at_ms"]?.numberValue, submitted.isFinite, submitted >= 0, submitted < 1e15,
            let list = object["members"]?.arrayValue, list.count <= BatchLimits.anthropic.maxRequests
        else { return nil }
        let batchID = object["batch_id"]?.stringValue
        if let batchID, !BatchLimits.isValidProviderID(batchID) { return nil }
        var members: [(customID: String, origin: String)] = []
        members.reserveCapacity(list.count)
        var seen = Set<String>()
        for item in list {
            guard let pair = item.arrayValue, pair.count == 2, let customID = pair[0].stringValue, let origin = pair[1].stringValue,
                BatchLimits.isValidCustomID(customID), origin.utf8.count <= 1_024, seen.insert(customID).inserted
            else { return nil }
            members.append((customID, origin))
        }
        return SubmittedBatch(
            group: group, batchID: batchID, workload: workload, route: RouteKey(provider: provider, model: model),
            partition: message.partition, submittedAtMs: Int64(submitted), members: members)
    }
}
