import Jobs
import Synchronization

/// Running totals of a worker, for its log lines, the demo's report and tests.
package final class WorkerCounters: Sendable {
    private let values = Mutex<(jobs: Int, succeeded: Int, failed: Int, deadLetters: Int, fallbacks: Int, deferred: Int)>(
        (0, 0, 0, 0, 0, 0))

    /// Jobs that got a result (succeeded or failed).
    package var jobs: Int { values.withLock { $0.jobs } }
    package var succeeded: Int { values.withLock { $0.succeeded } }
    package var failed: Int { values.withLock { $0.failed } }
    package var deadLetters: Int { values.withLock { $0.deadLetters } }
    /// Results served by a route other than the job's first.
    package var fallbacks: Int { values.withLock { $0.fallbacks } }
    /// Jobs moved to the deferred topic to wait for their workload's budget (each move counts).
    package var deferred: Int { values.withLock { $0.deferred } }

    func count(_ publication: Publication) {
        values.withLock { values in
            switch publication {
            case .deadLetter:
                values.deadLetters += 1
            case .deferred:
                values.deferred += 1
            case .job(let result, _, _, _):
                values.jobs += 1
                if result.failure == nil { values.succeeded += 1 } else { values.failed += 1 }
                if result.fallbackUsed { values.fallbacks += 1 }
            }
        }
    }
}
