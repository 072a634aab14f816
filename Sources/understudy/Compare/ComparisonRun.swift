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
        var judgements: [String: [String: JudgeVerdict]] = [:]
        var judgeFailures = 0
    }

    /// The most bytes of the request and of each answer put before the judge.
    static let maxJudgedBytes = 8_192

    let engine: FailoverEngine<ContinuousClock>
    let workload: String
    let routes: [RouteKey]
    let jobs: [Job]
    let concurrency: Int
    /// The route that judges whether two answers say the same thing, `nil` without one.
    let judge: RouteKey?
    private let state = Mutex(State())

    init(
        engine: FailoverEngine<ContinuousClock>, workload: String, routes: [RouteKey], jobs: [Job], concurrency: Int,
        judge: RouteKey? = nil
    ) {
        self.judge = judge
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

    /// The judge's verdicts, by backup route (`provider/model`), then job id.
    var judgements: [String: [String: JudgeVerdict]] { state.withLock { $0.judgements } }

    /// Pairs the judge was asked about but gave no usable verdict on.
    var judgeFailures: Int { state.withLock { $0.judgeFailures } }

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
        var verdicts: [(String, JudgeVerdict?)] = []
        if let judge, let primary = samples.first, primary.outcome == .ok, let reference = primary.output {
            for sample in samples.dropFirst() where sample.outcome == .ok {
                guard let answer = sample.output else { continue }
                verdicts.append((sample.route, await self.judge(job, primary: reference, backup: answer, on: judge)))
                guard !Task.isCancelled else { return }
            }
        }
        state.withLock { state in
            state.samples += samples
            state.finishedJobs += 1
            for (route, verdict) in verdicts {
                if let verdict { state.judgements[route, default: [:]][job.id] = verdict } else { state.judgeFailures += 1 }
            }
        }
    }

    /// Asks the judge route whether `backup` says the same thing as `primary` in answer to `job`.
    private func judge(_ job: Job, primary: String, backup: String, on route: RouteKey) async -> JudgeVerdict? {
        let request = job.request.messages.last { $0.role == .user }?.content ?? ""
        let prompt = """
            The request:
            \(Self.cut(request))

            Answer A:
            \(Self.cut(primary))

            Answer B:
            \(Self.cut(backup))
            """
        let question = CompletionRequest(
            system: "You check whether two answers to the same request say the same thing: the same facts, the same conclusions, "
                + "nothing important missing or added; wording and order do not matter. Reply with JSON: "
                + "\"same\" (true or false) and \"reason\" (one short sentence).",
            messages: [.init(role: .user, content: prompt)], maxTokens: 300, temperature: 0,
            responseFormat: .jsonSchema(JudgeVerdict.answerSchema))
        let result = await engine.run(
            FailoverJob(
                id: job.id + "#judge", workload: workload, request: question,
                routes: [RouteTarget(provider: route.provider, model: route.model, index: 0)], policy: job.policy))
        return result.response.flatMap { JudgeVerdict(answer: $0.text) }
    }

    private static func cut(_ text: String) -> String {
        ProviderFailure.bounded(text, toBytes: maxJudgedBytes)
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
