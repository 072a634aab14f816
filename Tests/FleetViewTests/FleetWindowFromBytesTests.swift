import Completions
import FleetView
import Foundation
import Jobs
import Testing

/// The window fed from telemetry messages as read off the topic equals one fed the events.
@Suite struct FleetWindowFromBytesTests {
    @Test func aWindowFedFromBytesMatchesOneFedFromEvents() throws {
        var fromBytes = FleetWindow()
        for event in OutageScenario.events {
            fromBytes.ingest(try #require(TelemetryEvent.read(try event.jsonDocument())))
        }
        let direct = FleetSummary(window: OutageScenario.window(), since: OutageScenario.start, until: OutageScenario.end)
        let read = FleetSummary(window: fromBytes, since: OutageScenario.start, until: OutageScenario.end)
        #expect(read.routes == direct.routes)
        #expect(read.workloads == direct.workloads)
    }
}
