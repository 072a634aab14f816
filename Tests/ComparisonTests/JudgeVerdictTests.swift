import Comparison
import Completions
import Testing

@Suite("Judge verdicts")
struct JudgeVerdictTests {
    @Test("a judge's answer reads when it has a boolean same and a string reason, and nothing else does")
    func reads() {
        #expect(
            JudgeVerdict(answer: #"{"same": true, "reason": "Both name the currency bug."}"#)
                == JudgeVerdict(same: true, reason: "Both name the currency bug."))
        #expect(JudgeVerdict(answer: #"{"same": false, "reason": ""}"#)?.same == false)
        for bad in [#"{"same": "yes", "reason": "r"}"#, #"{"same": true}"#, #"[true]"#, "same: true", ""] {
            #expect(JudgeVerdict(answer: bad) == nil, "\(bad)")
        }
    }

    @Test("a long reason is cut to 500 bytes on a character boundary")
    func boundsReason() {
        let verdict = JudgeVerdict(same: true, reason: String(repeating: "é", count: 1_000))
        #expect(verdict.reason.utf8.count <= JudgeVerdict.maxReasonBytes)
        #expect(!verdict.reason.isEmpty)
    }

    @Test("a report lists the judge's verdicts, disagreements first, and counts agreement per backup")
    func reportCarriesVerdicts() throws {
        let samples = ["a", "b", "c"].flatMap { job in
            [
                RouteSample(jobId: job, provider: "p", model: "m", outcome: .ok, latencyMs: 10, costUSD: 0.001, output: "The bill is wrong."),
                RouteSample(jobId: job, provider: "b", model: "m", outcome: .ok, latencyMs: 10, costUSD: 0.001, output: "The bill is off."),
            ]
        }
        let verdicts: [String: JudgeVerdict] = [
            "a": JudgeVerdict(same: true, reason: "same"), "b": JudgeVerdict(same: false, reason: "differs"),
            "c": JudgeVerdict(same: true, reason: "same"),
        ]
        let report = ComparisonReport(
            workload: "w", thresholds: .defaults, routes: [("p", "m"), ("b", "m")], samples: samples, jsonJobs: [], jobs: 3, judge: "j/m",
            judgements: ["b/m": verdicts])
        #expect(report.backups.first?.judgedSame == 2)
        let json = try JSONParser.parse(report.json())
        let judge = json["backups"]?.arrayValue?.first?["judge"]
        #expect(judge?["judged"] == .number(3) && judge?["same"] == .number(2))
        #expect(judge?["jobs"]?.arrayValue?.first?["job_id"] == .string("b"), "the disagreement comes first")
        #expect(report.markdown().contains("Judge `j/m`: the answers say the same thing on 2 of 3 judged jobs."))
    }
}
