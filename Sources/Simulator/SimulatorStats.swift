/// What `GET /_sim/stats` returns: provider requests counted by path, by wire format and by the
/// fault that answered them (control requests are not counted), plus the mode in force.
package struct SimulatorStats: Codable, Sendable, Hashable {
    package var totalRequests: Int
    package var byPath: [String: Int]
    package var byWire: [String: Int]
    package var byFault: [String: Int]
    package var mode: SimulatorMode
    package var scriptStep: Int

    enum CodingKeys: String, CodingKey {
        case totalRequests = "total_requests"
        case byPath = "by_path"
        case byWire = "by_wire"
        case byFault = "by_fault"
        case mode
        case scriptStep = "script_step"
    }

    package init(
        totalRequests: Int = 0,
        byPath: [String: Int] = [:],
        byWire: [String: Int] = [:],
        byFault: [String: Int] = [:],
        mode: SimulatorMode = .healthy,
        scriptStep: Int = 0
    ) {
        self.totalRequests = totalRequests
        self.byPath = byPath
        self.byWire = byWire
        self.byFault = byFault
        self.mode = mode
        self.scriptStep = scriptStep
    }
}
