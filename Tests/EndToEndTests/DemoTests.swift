import Foundation
import Testing
import UnderstudyTesting

/// `understudy demo`, the real binary, end to end: mock cluster, simulators, worker and outage
/// in one process.
@Suite(.timeLimit(.minutes(2)))
struct DemoTests {
    @Test("demo --jobs 60: exits 0, loses no job, and the backup serves some while the primary is down")
    func demoLosesNothing() async throws {
        let log = NSTemporaryDirectory() + Rig.unique("demo") + ".log"
        let process = try ChildProcess(executable: RigPaths.product("understudy"), arguments: ["demo", "--jobs", "60"], logPath: log)
        let status = await process.waitForExit(timeout: .seconds(90))
        if status == nil { await process.stop() }
        let output = process.output()

        #expect(status == 0, "exit status 0\n\(output)")
        #expect(Self.number(after: "jobs in", in: output) == 60)
        #expect(Self.number(after: "lost", in: output) == 0, "lost 0\n\(output)")
        #expect((Self.number(after: "served by backup", in: output) ?? 0) > 0, "the backup served jobs\n\(output)")
        #expect((Self.number(after: "served by primary", in: output) ?? 0) > 0, "the primary served jobs before and after")
        #expect(!output.contains("sk-ant-demo-"), "the demo's fake keys are never printed")
    }

    /// The first number on the report line that starts with `label`.
    static func number(after label: String, in output: String) -> Int? {
        for line in output.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix(label + " ") else { continue }
            let rest = trimmed.dropFirst(label.count).drop { $0 == " " }
            return Int(rest.prefix { $0.isNumber })
        }
        return nil
    }
}
