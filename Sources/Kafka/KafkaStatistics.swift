import Foundation

/// One statistics report of librdkafka (`statistics.interval.ms`), with the figures metrics need
/// read out, and the raw JSON for everything else.
package struct KafkaStatistics: Sendable {
    /// The client's name (`rdkafka#consumer-1`).
    package var clientName: String
    /// Messages waiting in the producer queue.
    package var queuedMessages: Int
    /// Consumer lag per assigned partition (`consumer_lag`; -1 when unknown). Computed from the
    /// partition's high watermark, so it is only as right as the broker's watermarks.
    package var consumerLag: [KafkaTopicPartition: Int64]
    /// Lag behind the *stored* offset (`consumer_lag_stored`: processed but maybe not yet
    /// committed; -1 when unknown). Up to date between commits, and known before a new group's
    /// first commit, when ``consumerLag`` is still -1.
    package var consumerLagStored: [KafkaTopicPartition: Int64]
    /// The JSON librdkafka emitted.
    package var json: [UInt8]

    init?(json: [UInt8]) {
        guard let root = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any] else { return nil }
        self.json = json
        self.clientName = root["name"] as? String ?? ""
        self.queuedMessages = (root["msg_cnt"] as? NSNumber)?.intValue ?? 0
        var lag: [KafkaTopicPartition: Int64] = [:]
        var lagStored: [KafkaTopicPartition: Int64] = [:]
        for (topic, value) in root["topics"] as? [String: Any] ?? [:] {
            guard let partitions = (value as? [String: Any])?["partitions"] as? [String: Any] else { continue }
            for (key, partition) in partitions {
                guard let id = Int32(key), id >= 0, let fields = partition as? [String: Any] else { continue }
                // Only partitions this consumer fetches carry a meaningful lag.
                guard (fields["fetch_state"] as? String).map({ $0 != "none" }) ?? false else { continue }
                let partition = KafkaTopicPartition(topic: topic, partition: id)
                if let value = (fields["consumer_lag"] as? NSNumber)?.int64Value { lag[partition] = value }
                if let value = (fields["consumer_lag_stored"] as? NSNumber)?.int64Value { lagStored[partition] = value }
            }
        }
        self.consumerLag = lag
        self.consumerLagStored = lagStored
    }
}
