import Comparison
import Completions
import Failover
import Foundation

extension TelemetryEvent {
    /// One shadow call: a live job that the route in `primary` served was also sent, in the
    /// background, to the shadow route in `backup`, and the backup's answer was measured against
    /// the live one (``PairMeasure``). Keyed by the job id. It carries measures, never the job's
    /// text or either answer.
    package struct Shadow: Sendable, Hashable, JSONWritable {
        /// One side of the comparison.
        package struct Side: Sendable, Hashable {
            package var route: RouteKey
            package var outcome: Outcome
            package var latencyMs: Int
            /// What the call cost, `nil` when unknown (no price for the model).
            package var costUSD: Double?
            /// For a `json_schema` job, whether the answer passed the output check.
            package var schemaValid: Bool?

            package init(route: RouteKey, outcome: Outcome, latencyMs: Int, costUSD: Double?, schemaValid: Bool? = nil) {
                self.route = route
                self.outcome = outcome
                self.latencyMs = latencyMs
                self.costUSD = costUSD
                self.schemaValid = schemaValid
            }
        }

        /// The most field verdicts one event lists; the rest are left out and `fields_truncated` says so.
        package static let maxFields = 64
        /// The longest field path ``read(_:)`` accepts (``FieldAgreement`` writes far shorter ones);
        /// an event read off the topic with a longer one is not a shadow event understudy wrote.
        package static let maxPathBytes = 4_096

        package var jobID: String
        package var workload: String
        /// The route that served the live job, and how.
        package var primary: Side
        /// The shadow route, and how its call went.
        package var backup: Side
        /// The backup's answer against the primary's, `nil` when the backup gave none.
        package var measure: PairMeasure?
        package var at: Date

        package init(jobID: String, workload: String, primary: Side, backup: Side, measure: PairMeasure?, at: Date) {
            self.jobID = jobID
            self.workload = workload
            self.primary = primary
            self.backup = backup
            self.measure = measure
            self.at = at
        }

        /// Whether the backup's answer has the primary's shape: for a `json_schema` job, it passed
        /// the output check; for text, it has as many bullets and paragraphs. `nil` without an answer.
        package var shapeMatches: Bool? {
            guard let measure else { return nil }
            switch measure.shape {
            case .json: return backup.schemaValid ?? false
            case .text(_, let sameStructure): return sameStructure
            }
        }

        package func write(to writer: inout JSONWriter) {
            writer.beginObject()
            writer.member("event", "shadow")
            writer.member("job_id", jobID)
            writer.member("workload", workload)
            writer.key("primary")
            Self.write(primary, to: &writer)
            writer.key("backup")
            Self.write(backup, to: &writer)
            writer.key("shape_matches")
            if let shapeMatches { writer.value(shapeMatches) } else { writer.null() }
            writer.key("similarity")
            if let similarity = measure?.similarity, similarity.isFinite { writer.value(similarity) } else { writer.null() }
            if let measure {
                writer.key("shape")
                writer.beginObject()
                switch measure.shape {
                case .text(let lengthRatio, let sameStructure):
                    writer.member("kind", "text")
                    writer.member("similarity_measure", ComparisonReport.similarityMeasure)
                    writer.key("length_ratio")
                    if lengthRatio.isFinite { writer.value(lengthRatio) } else { writer.null() }
                    writer.member("same_bullets_and_paragraphs", sameStructure)
                case .json(let fields, let truncated):
                    writer.member("kind", "json")
                    writer.member("similarity_measure", "field_agreement")
                    writer.key("fields")
                    writer.beginArray()
                    for field in fields.prefix(Self.maxFields) {
                        writer.beginObject()
                        writer.member("path", field.path)
                        writer.member("agrees", field.agrees)
                        writer.endObject()
                    }
                    writer.endArray()
                    writer.member("fields_truncated", truncated || fields.count > Self.maxFields)
                }
                writer.endObject()
            }
            writer.member("at", RFC3339.string(from: at))
            writer.endObject()
        }

        private static func write(_ side: Side, to writer: inout JSONWriter) {
            writer.beginObject()
            writer.member("provider", side.route.provider)
            writer.member("model", side.route.model)
            writer.member("outcome", side.outcome.rawValue)
            writer.member("latency_ms", side.latencyMs)
            writer.key("cost_usd")
            if let cost = side.costUSD, cost.isFinite { writer.value(cost) } else { writer.null() }
            if let valid = side.schemaValid { writer.member("schema_valid", valid) }
            writer.endObject()
        }

        /// Reads a `shadow` event as ``write(to:)`` writes it; `nil` for any other message, or a
        /// `shadow` event that does not hold what the telemetry schema says (a similarity outside
        /// 0...1, a negative latency or length ratio, more than ``maxFields`` fields, a path over
        /// ``maxPathBytes``). A negative cost reads as unknown.
        package static func read(_ bytes: [UInt8]) -> Shadow? {
            guard let value = try? JSONParser.parse(bytes), let object = value.objectValue, object["event"]?.stringValue == "shadow",
                let jobID = object["job_id"]?.stringValue, let workload = object["workload"]?.stringValue,
                let primary = object["primary"].flatMap(side), let backup = object["backup"].flatMap(side),
                let atText = object["at"]?.stringValue, let at = RFC3339.date(from: atText)
            else { return nil }
            var measure: PairMeasure?
            // A similarity, when there is one, is in 0...1; a shape comes with one.
            let similarity = object["similarity"]?.numberValue
            if let similarity, !(0...1).contains(similarity) { return nil }
            if object["shape"] != nil, similarity == nil { return nil }
            if let shape = object["shape"]?.objectValue, let similarity {
                switch shape["kind"]?.stringValue {
                case "text":
                    guard let same = shape["same_bullets_and_paragraphs"]?.boolValue else { return nil }
                    let ratio = shape["length_ratio"]?.numberValue ?? .infinity
                    guard ratio >= 0 else { return nil }
                    measure = PairMeasure(similarity: similarity, shape: .text(lengthRatio: ratio, sameStructure: same))
                case "json":
                    guard let list = shape["fields"]?.arrayValue, list.count <= maxFields else { return nil }
                    var fields: [PairMeasure.FieldVerdict] = []
                    for item in list {
                        guard let field = item.objectValue, let path = field["path"]?.stringValue, path.utf8.count <= maxPathBytes,
                            let agrees = field["agrees"]?.boolValue
                        else { return nil }
                        fields.append(PairMeasure.FieldVerdict(path: path, agrees: agrees))
                    }
                    let truncated = shape["fields_truncated"]?.boolValue ?? false
                    measure = PairMeasure(similarity: similarity, shape: .json(fields: fields, truncated: truncated))
                default:
                    return nil
                }
            }
            return Shadow(jobID: jobID, workload: workload, primary: primary, backup: backup, measure: measure, at: at)
        }

        private static func side(_ value: JSONValue) -> Side? {
            guard let object = value.objectValue, let provider = object["provider"]?.stringValue, let model = object["model"]?.stringValue,
                let outcome = object["outcome"]?.stringValue.flatMap(Outcome.init(rawValue:)),
                let latency = object["latency_ms"]?.intValue, latency >= 0
            else { return nil }
            return Side(
                route: RouteKey(provider: provider, model: model), outcome: outcome, latencyMs: latency,
                costUSD: object["cost_usd"]?.numberValue.flatMap { $0 >= 0 ? $0 : nil }, schemaValid: object["schema_valid"]?.boolValue)
        }
    }
}
