/// What the engine did after an attempt or a skip; raw values are the telemetry wire names.
package enum Decision: String, Sendable, Hashable, Codable, CaseIterable {
    /// The attempt answered validly and the job is done.
    case done
    /// The next call goes to the same route (after a backoff or the asked `retry-after`).
    case retry
    /// The job moves on to another route (or waits for one to come back).
    case failOver = "fail_over"
    /// The call lost a hedge race and was cancelled.
    case hedge
    /// The job ends after this attempt without an answer.
    case giveUp = "give_up"
}
