import Completions
import Foundation

extension TelemetryEvent {
    /// A workload's budget window filled (its jobs start waiting in the deferred topic) or
    /// reopened (the first waiting job runs again). Keyed by the workload.
    package struct Budget: Sendable, Hashable, JSONWritable {
        /// What happened to the window.
        package enum State: String, Sendable, Hashable, CaseIterable {
            /// The fleet's spend reached the cap: jobs wait.
            case exhausted
            /// A new window opened and a waiting job ran.
            case reopened
        }

        package var workload: String
        /// The window's name in the budget: `hour`, `day` or `window`.
        package var window: String
        package var windowStart: Date
        package var state: State
        /// The fleet's spend in the window when it happened, in US dollars.
        package var spentUSD: Double
        package var capUSD: Double
        /// Jobs of the workload waiting in the deferred topic, as the fleet last said.
        package var waiting: Int
        /// The worker that saw it.
        package var worker: String
        package var at: Date

        package init(
            workload: String, window: String, windowStart: Date, state: State, spentUSD: Double, capUSD: Double, waiting: Int,
            worker: String, at: Date
        ) {
            self.workload = workload
            self.window = window
            self.windowStart = windowStart
            self.state = state
            self.spentUSD = spentUSD
            self.capUSD = capUSD
            self.waiting = waiting
            self.worker = worker
            self.at = at
        }

        package func write(to writer: inout JSONWriter) {
            writer.beginObject()
            writer.member("event", "budget")
            writer.member("workload", workload)
            writer.member("window", window)
            writer.member("window_start", RFC3339.string(from: windowStart))
            writer.member("state", state.rawValue)
            writer.member("spent_usd", spentUSD)
            writer.member("cap_usd", capUSD)
            writer.member("waiting", waiting)
            writer.member("worker", worker)
            writer.member("at", RFC3339.string(from: at))
            writer.endObject()
        }
    }
}
