/// What `GET /_sim/stats` returns: provider requests counted by path, by wire format and by the
/// fault that answered them (control requests are not counted), plus the mode in force.
public struct SimulatorStats: Codable, Sendable, Hashable {
    public var totalRequests: Int
    public var byPath: [String: Int]
    public var byWire: [String: Int]
    public var byFault: [String: Int]
    public var mode: SimulatorMode
    public var scriptStep: Int

    enum CodingKeys: String, CodingKey {
        case totalRequests = "total_requests"
        case byPath = "by_path"
        case byWire = "by_wire"
        case byFault = "by_fault"
        case mode
        case scriptStep = "script_step"
    }

    public init(
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
