import Foundation
import Yams

/// A schedule of modes, by request count or by time, loaded from a small YAML (or JSON) script
/// or `PUT /_sim/script`:
///
/// ```yaml
/// loop: false            # start again after the last step (default false)
/// steps:
///   - fault: healthy
///     requests: 200      # ends after 200 requests
///   - fault: error
///     status: 503
///     seconds: 30        # ends 30 s after it began
///   - fault: healthy     # no limit: lasts for ever
/// ```
///
/// A step is a ``SimulatorMode`` plus `requests` and/or `seconds` (whichever comes first ends
/// it). When the last step of a non-looping script ends, the simulator is healthy.
package struct SimulatorScript: Codable, Sendable, Hashable {
    /// One step of the schedule.
    package struct Step: Codable, Sendable, Hashable {
        package var mode: SimulatorMode
        package var requests: Int?
        package var seconds: Double?

        enum CodingKeys: String, CodingKey { case requests, seconds }

        package init(mode: SimulatorMode, requests: Int? = nil, seconds: Double? = nil) {
            self.mode = mode
            self.requests = requests
            self.seconds = seconds
        }

        package init(from decoder: any Decoder) throws {
            mode = try SimulatorMode(from: decoder)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            requests = try container.decodeIfPresent(Int.self, forKey: .requests)
            seconds = try container.decodeIfPresent(Double.self, forKey: .seconds)
        }

        package func encode(to encoder: any Encoder) throws {
            try mode.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(requests, forKey: .requests)
            try container.encodeIfPresent(seconds, forKey: .seconds)
        }
    }

    package var steps: [Step]
    package var loop: Bool

    package init(steps: [Step], loop: Bool = false) {
        self.steps = steps
        self.loop = loop
    }

    enum CodingKeys: String, CodingKey { case steps, loop }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        steps = try container.decode([Step].self, forKey: .steps)
        loop = try container.decodeIfPresent(Bool.self, forKey: .loop) ?? false
    }

    /// Parses a YAML (or JSON, which is YAML) script.
    package static func parse(yaml: String) throws -> SimulatorScript {
        try YAMLDecoder().decode(SimulatorScript.self, from: yaml)
    }

    /// Reads and parses the script at `path`.
    package static func load(path: String) throws -> SimulatorScript {
        try parse(yaml: String(contentsOfFile: path, encoding: .utf8))
    }
}
