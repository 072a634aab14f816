import ServiceLifecycle
import Worker

/// `understudy run --drill-fatal-error-after SECONDS` (hidden): once the worker is ready and
/// `seconds` more have passed, raises a fatal Kafka error in it through librdkafka's test hook.
/// For rehearsing what an orchestrator sees (`/healthz` failing, a non-zero exit) and for the
/// end-to-end test of that path; never needed in production.
struct FatalErrorDrill: Service {
    let worker: Worker
    let seconds: Double

    func run() async throws {
        // Wait for readiness, then the delay; a shutdown first ends the drill quietly.
        do {
            try await cancelWhenGracefulShutdown {
                while !worker.health.ready { try await Task.sleep(for: .milliseconds(50)) }
                try await Task.sleep(for: .seconds(seconds))
            }
        } catch {
            return
        }
        worker.drillFatalError()
    }
}
