import Completions
import Failover
import Foundation

extension TelemetryEvent {
    /// A provider batch of the batch lane changed: submitted, polled to new counts, ended,
    /// cancelled or failed. Keyed by the provider's batch id.
    package struct Batch: Sendable, Hashable, JSONWritable {
        /// What happened to the batch.
        package enum State: String, Sendable, Hashable, CaseIterable {
            case submitted
            /// A poll saw counts other than the last ones.
            case progress
            /// Over; its results were read.
            case ended
            /// Cancelled: every job in it was served elsewhere.
            case cancelled
            /// The provider refused or lost it; its jobs run realtime.
            case failed
        }

        package var batchID: String
        package var workload: String
        package var route: RouteKey
        package var state: State
        package var requests: Int
        package var counts: ProviderBatch.Counts
        /// The worker that owns it.
        package var worker: String
        package var at: Date

        package init(
            batchID: String, workload: String, route: RouteKey, state: State, requests: Int, counts: ProviderBatch.Counts, worker: String,
            at: Date
        ) {
            self.batchID = batchID
            self.workload = workload
            self.route = route
            self.state = state
            self.requests = requests
            self.counts = counts
            self.worker = worker
            self.at = at
        }

        package func write(to writer: inout JSONWriter) {
            writer.beginObject()
            writer.member("event", "batch")
            writer.member("batch_id", batchID)
            writer.member("workload", workload)
            writer.member("provider", route.provider)
            writer.member("model", route.model)
            writer.member("state", state.rawValue)
            writer.member("requests", requests)
            writer.key("counts")
            writer.beginObject()
            writer.member("processing", counts.processing)
            writer.member("succeeded", counts.succeeded)
            writer.member("errored", counts.errored)
            writer.member("canceled", counts.canceled)
            writer.member("expired", counts.expired)
            writer.endObject()
            writer.member("worker", worker)
            writer.member("at", RFC3339.string(from: at))
            writer.endObject()
        }
    }
}
