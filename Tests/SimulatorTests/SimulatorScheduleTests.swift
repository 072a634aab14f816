import Foundation
import Simulator
import Testing

/// The schedule state machine with a manual clock: no server, no sleeping.
@Suite struct SimulatorScheduleTests {
    let start = ContinuousClock.now

    @Test func requestCountThenTimeThenForever() {
        let script = SimulatorScript(steps: [
            .init(mode: .healthy, requests: 3),
            .init(mode: .error(503), seconds: 30),
            .init(mode: .healthy),
        ])
        var schedule = SimulatorSchedule(script: script, now: start)
        let first = (0..<3).map { _ in schedule.nextRequest(now: start).fault }
        #expect(first == [.healthy, .healthy, .healthy])
        let t1 = start + .seconds(5)
        #expect(schedule.nextRequest(now: t1) == .error(503))
        #expect(schedule.nextRequest(now: t1 + .seconds(29)) == .error(503))
        #expect(schedule.nextRequest(now: t1 + .seconds(30)) == .healthy, "30 s after the step began")
        #expect(schedule.nextRequest(now: t1 + .seconds(3600)) == .healthy)
        #expect(schedule.index == 2)
    }

    @Test func timeStepsChainFromTheirPlannedEnd() {
        let script = SimulatorScript(steps: [.init(mode: .healthy, seconds: 10), .init(mode: .error(429), seconds: 10)])
        var schedule = SimulatorSchedule(script: script, now: start)
        #expect(schedule.currentMode(now: start + .seconds(9)) == .healthy)
        #expect(schedule.currentMode(now: start + .seconds(15)) == .error(429))
        #expect(schedule.currentMode(now: start + .seconds(20)) == .healthy, "a finished script is healthy")
        #expect(schedule.finished)
    }

    @Test func loopingScriptStartsAgain() {
        let script = SimulatorScript(steps: [.init(mode: .healthy, requests: 1), .init(mode: .error(500), requests: 1)], loop: true)
        var schedule = SimulatorSchedule(script: script, now: start)
        let faults = (0..<5).map { _ in schedule.nextRequest(now: start).status }
        #expect(faults == [nil, 500, nil, 500, nil])
    }

    @Test func zeroLengthLoopDoesNotSpin() {
        let script = SimulatorScript(steps: [.init(mode: .healthy, requests: 0), .init(mode: .error(500), requests: 0)], loop: true)
        var schedule = SimulatorSchedule(script: script, now: start)
        _ = schedule.nextRequest(now: start)
    }

    @Test func yamlScriptParses() throws {
        let script = try SimulatorScript.parse(
            yaml: """
                loop: true
                steps:
                  - fault: healthy
                    requests: 200
                    latency: {min_ms: 5, max_ms: 50}
                  - fault: error
                    status: 429
                    retry_after_s: 3
                    seconds: 30
                  - fault: slow_drip
                    drip_interval_ms: 100
                    drip_bytes: 4
                    latency: 20
                  - fault: blackhole
                """)
        #expect(script.loop)
        #expect(script.steps.count == 4)
        #expect(script.steps[0].requests == 200)
        #expect(script.steps[0].mode.latency == .init(minMs: 5, maxMs: 50))
        #expect(script.steps[1].mode == .error(429, retryAfterSeconds: 3))
        #expect(script.steps[1].seconds == 30)
        #expect(script.steps[2].mode.fault == .slowDrip)
        #expect(script.steps[2].mode.latency == .init(ms: 20))
        #expect(script.steps[3].mode.fault == .blackhole)
        let json = try SimulatorScript.parse(yaml: #"{"steps":[{"fault":"reset","requests":1}]}"#)
        #expect(json.steps[0].mode.fault == .reset)
    }

    @Test func latencyDistributionsStayInRange() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let uniform = SimulatorMode.Latency(minMs: 10, maxMs: 20).sample(using: &generator)
            #expect(uniform >= .milliseconds(10) && uniform <= .milliseconds(20))
            let lognormal = SimulatorMode.Latency(medianMs: 100, p99Ms: 400).sample(using: &generator)
            #expect(lognormal > .zero && lognormal < .seconds(60))
        }
        #expect(SimulatorMode.Latency(ms: 7).sample(using: &generator) == .milliseconds(7))
    }
}
