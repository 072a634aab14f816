import Completions

/// One job's backup answer measured against the primary's answer to the same job: the
/// similarity the report judges (field agreement for a `json_schema` job, ROUGE-L F1 for text)
/// and the answer's shape. `compare` measures the answers it collects; the worker measures each
/// shadow call the same way and publishes the measure (not the answers) in a `shadow` telemetry
/// event, so `compare --from-telemetry` judges live traffic with the same numbers.
///
/// Guarantees: never traps on any text; a `json_schema` backup answer that is not JSON agrees on
/// no field; the field list is bounded by ``FieldAgreement/maxPaths``.
package struct PairMeasure: Sendable, Hashable {
    /// One field of the primary's structured answer, and whether the backup agreed on it.
    package struct FieldVerdict: Sendable, Hashable {
        /// The field's path (`items[0].name`), as ``FieldAgreement`` writes it.
        package var path: String
        package var agrees: Bool

        package init(path: String, agrees: Bool) {
            self.path = path
            self.agrees = agrees
        }
    }

    /// How the backup's answer is shaped against the primary's.
    package enum Shape: Sendable, Hashable {
        /// A text job: backup characters per primary character, and whether both answers have
        /// as many bullets and paragraphs.
        case text(lengthRatio: Double, sameStructure: Bool)
        /// A `json_schema` job: the primary's fields in path order and whether the backup agreed
        /// on each; `truncated` when the primary had more fields than were compared.
        case json(fields: [FieldVerdict], truncated: Bool)
    }

    /// In `0...1`: the share of agreeing fields for a `json_schema` job, ROUGE-L F1 for text.
    package var similarity: Double
    package var shape: Shape

    package init(similarity: Double, shape: Shape) {
        self.similarity = similarity
        self.shape = shape
    }

    /// Measures `backup` against `primary`; `nil` for a `json_schema` job whose primary answer is
    /// not JSON (there is no reference to agree with).
    package init?(primary: String, backup: String, isJSON: Bool) {
        guard isJSON else {
            let structure = StructureComparison(primary: primary, backup: backup)
            self.init(
                similarity: TextSimilarity.rougeL(candidate: backup, reference: primary),
                shape: .text(lengthRatio: structure.lengthRatio, sameStructure: structure.sameBulletCount && structure.sameParagraphCount)
            )
            return
        }
        guard let expected = try? JSONParser.parse(Array(primary.utf8)) else { return nil }
        let got = (try? JSONParser.parse(Array(backup.utf8))) ?? .null
        let agreement = FieldAgreement(primary: expected, backup: got)
        self.init(
            similarity: agreement.share,
            shape: .json(fields: agreement.fields.map { FieldVerdict(path: $0.path, agrees: $0.agrees) }, truncated: agreement.truncated)
        )
    }
}
