import Comparison
import Completions
import Failover
import Jobs
import Synchronization
import UnixSignals
import Worker

/// One comparison in progress: every job on every route, a bounded number of jobs at once; the
/// samples collected so far, and how many jobs finished on every route.
final class ComparisonRun: Sendable {
    private struct State {
        var samples: [RouteSample] = []
        var finishedJobs = 0
    }

    let engine: FailoverEngine<ContinuousClock>
    let workload: String
    let routes: [RouteKey]
    let jobs: [Job]
    let concurrency: Int
    private let state = Mutex(State())

    init(engine: FailoverEngine<ContinuousClock>, workload: String, routes: [RouteKey], jobs: [Job], concurrency: Int) {
        self.engine = engine
        self.workload = workload
        self.routes = routes
        self.jobs = jobs
        self.concurrency = concurrency
    }

    /// The samples of the jobs that finished on every route (a job cut short by an interruption
    /// is left out whole, so every route is judged on the same jobs).
    var samples: [RouteSample] { state.withLock { $0.samples } }

    var finishedJobs: Int { state.withLock { $0.finishedJobs } }

    /// Runs until every job is done, or until SIGINT or SIGTERM; true when interrupted.
    func untilDoneOrInterrupted() async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await self.runAll()
                return false
            }
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) { return true }
                return false
            }
            let interrupted = await group.next() ?? false
            group.cancelAll()
            return interrupted
        }
    }

    private func runAll() async {
        let progress = ComparisonProgress(total: jobs.count)
        await withTaskGroup(of: Void.self) { group in
            var next = 0
            while next < jobs.count, next < concurrency {
                let job = jobs[next]
                group.addTask { await self.compare(job) }
                next += 1
            }
            while await group.next() != nil {
                progress.advance(to: finishedJobs)
                guard next < jobs.count, !Task.isCancelled else { continue }
                let job = jobs[next]
                group.addTask { await self.compare(job) }
                next += 1
            }
        }
        progress.finish()
    }

    /// One job on every route, one route at a time (so a slow backup never skews the primary's
    /// latency by competing with it for the same job).
    private func compare(_ job: Job) async {
        var samples: [RouteSample] = []
        for route in routes {
            guard !Task.isCancelled else { return }
            samples.append(await run(job, on: route))
        }
        guard !Task.isCancelled else { return }
        state.withLock { state in
            state.samples += samples
            state.finishedJobs += 1
        }
    }

    private func run(_ job: Job, on route: RouteKey) async -> RouteSample {
        let events = JobEvents()
        let result = await engine.run(
            FailoverJob(
                id: job.id, workload: workload, request: job.request,
                routes: [RouteTarget(provider: route.provider, model: route.model, index: 0)], policy: job.policy, events: events
            )
        )
        return RouteObservation(result: result, events: events, isJSON: job.request.responseFormat.isJSON).sample(
            job: job.id, route: route, result: result)
    }
}
