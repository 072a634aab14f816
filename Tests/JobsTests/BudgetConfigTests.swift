import Completions
import Foundation
import Testing

@testable import Jobs

@Suite("workloads.NAME.budget: caps per window, refused with their key path")
struct BudgetConfigTests {
    private func yaml(budget: String) -> String {
        Fixtures.minimalYAML + "\n    budget: \(budget)"
    }

    private func loadError(_ budget: String) -> ConfigError? {
        do {
            _ = try UnderstudyConfig.parse(yaml: yaml(budget: budget), environment: [:])
            Issue.record("expected a config error for \(budget)")
            return nil
        } catch {
            return error
        }
    }

    @Test("hour, day and a custom window load with their caps; no budget leaves the workload uncapped")
    func loads() throws {
        let config = try UnderstudyConfig.parse(
            yaml: yaml(budget: "{usd_per_hour: 50, usd_per_day: 500, usd_per_window: 2.5, window_ms: 60000}"), environment: [:])
        let budget = try #require(config.workloads["w"]?.budget)
        #expect(budget.windows.map(\.name) == ["hour", "day", "window"])
        #expect(budget.windows.map(\.lengthMs) == [3_600_000, 86_400_000, 60_000])
        #expect(budget.windows.map(\.capUSD) == [50, 500, 2.5])
        #expect(config.hasBudgets)
        let plain = try UnderstudyConfig.parse(yaml: Fixtures.minimalYAML, environment: [:])
        #expect(plain.workloads["w"]?.budget == nil)
        #expect(!plain.hasBudgets)
        #expect(plain.kafka.spendTopic == "\(plain.kafka.groupID).spend")
        #expect(plain.kafka.deferredTopic == "\(plain.kafka.groupID).deferred")
    }

    @Test(
        "a bad budget names its key path",
        arguments: [
            ("{}", "workloads.w.budget"),
            ("{usd_per_hour: 0}", "workloads.w.budget.usd_per_hour"),
            ("{usd_per_day: -1}", "workloads.w.budget.usd_per_day"),
            ("{usd_per_hour: 1e12}", "workloads.w.budget.usd_per_hour"),
            ("{usd_per_window: 1}", "workloads.w.budget.window_ms"),
            ("{window_ms: 5000}", "workloads.w.budget.usd_per_window"),
            ("{usd_per_window: 1, window_ms: 10}", "workloads.w.budget.window_ms"),
            ("{usd_per_hour: \"fifty\"}", "workloads.w.budget.usd_per_hour"),
            ("{usd_per_month: 5}", "workloads.w.budget.usd_per_month"),
        ])
    func refused(budget: String, path: String) throws {
        let error = try #require(loadError(budget))
        #expect(error.description.contains(path), "\(error.description)")
    }

    @Test("windows are aligned on the epoch: the same instant is in the same window on every worker")
    func alignment() {
        let hour = BudgetConfig.Window(name: "hour", lengthMs: 3_600_000, capUSD: 1)
        // 2026-11-30T18:21:33.250Z
        let instant: Int64 = 1_796_062_893_250
        #expect(hour.start(at: instant) == 1_796_061_600_000)
        #expect(hour.end(at: instant) == 1_796_065_200_000)
        #expect(hour.start(at: hour.end(at: instant)) == hour.end(at: instant))
        let custom = BudgetConfig.Window(name: "window", lengthMs: 3_000, capUSD: 1)
        #expect(custom.start(at: 7_999) == 6_000)
        #expect(custom.start(at: 0) == 0)
        #expect(custom.start(at: -1) == -3_000)
    }

    @Test("a workload's own jobs topic is read besides the shared one, and must be its own")
    func ownJobsTopic() throws {
        let config = try UnderstudyConfig.parse(yaml: Fixtures.minimalYAML + "\n    jobs_topic: w-jobs", environment: [:])
        #expect(config.jobTopics == ["j", "w-jobs"])
        #expect(config.jobsTopic(for: "w") == "w-jobs")
        #expect(config.jobsTopic(for: "other") == "j")
        for (topic, words) in [("j", "one of the kafka.topics"), ("r", "one of the kafka.topics")] {
            do {
                _ = try UnderstudyConfig.parse(yaml: Fixtures.minimalYAML + "\n    jobs_topic: \(topic)", environment: [:])
                Issue.record("\(topic) accepted")
            } catch {
                #expect(error.description.contains("workloads.w.jobs_topic"), "\(error.description)")
                #expect(error.description.contains(words), "\(error.description)")
            }
        }
        let twice = Fixtures.minimalYAML + "\n    jobs_topic: mine\n  v:\n    routes: [{provider: local, model: m}]\n    jobs_topic: mine"
        do {
            _ = try UnderstudyConfig.parse(yaml: twice, environment: [:])
            Issue.record("one topic for two workloads accepted")
        } catch {
            #expect(error.description.contains("workloads.w.jobs_topic"), "\(error.description)")
            #expect(error.description.contains("already workload v's"), "\(error.description)")
        }
    }
}
