import Failover

/// The error classes a result can carry that the engine never produces: the worker decides them
/// before or after the engine runs the job.
extension FailoverError.Code {
    /// The job was taken after its `expires_at`; no provider was called.
    package static let expired = FailoverError.Code(rawValue: "expired")
    /// The job waited for its workload's budget (`workloads.NAME.budget`) until its deadline;
    /// no provider was called.
    package static let budgetExhausted = FailoverError.Code(rawValue: "budget_exhausted")
    /// The result did not fit in a message the broker accepts.
    package static let resultTooLarge = FailoverError.Code(rawValue: "result_too_large")
}
