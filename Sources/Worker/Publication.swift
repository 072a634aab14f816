import Jobs
import Kafka

/// What one consumed message leads to: the records to publish for it, built but not yet sent.
enum Publication: Sendable {
    /// A job ran (or expired): its result, and its telemetry (attempt events, then the job event).
    case job(result: JobResult, resultsTopic: String, telemetry: [KafkaRecord], headers: [KafkaHeader])
    /// The message could not become a job.
    case deadLetter(KafkaRecord)
    /// The job waits for its workload's budget: the job, on the deferred topic.
    case deferred(KafkaRecord)
}
