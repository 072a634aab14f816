/// Field agreement over many `json_schema` jobs of one backup route: for each path, in how many
/// jobs the primary's answer had it and in how many of those the backup agreed, so a report can
/// say "`summary` agreed in 97 % of jobs, `items[0].price` in 40 %".
///
/// Guarantees: the memory is bounded whatever the number of jobs: at most ``maxTrackedPaths``
/// distinct paths are kept; fields at a path first seen after that are still counted in
/// ``fields`` and ``agreedFields`` (the overall share), and in ``untrackedFields``, but get no
/// line of their own. Paths are compared as the text ``FieldAgreement`` writes, so two member
/// names cut to the same ``FieldAgreement/maxNameBytes`` prefix share a line.
package struct FieldAgreementTally: Sendable, Hashable {
    /// The most distinct paths kept.
    package static let maxTrackedPaths = 10_000

    /// The agreement at one path.
    package struct PathShare: Sendable, Hashable {
        /// The field's path (`items[0].name`).
        package var path: String
        /// Jobs whose primary answer had this path.
        package var jobs: Int
        /// Of those, jobs whose backup agreed.
        package var agreed: Int
        /// `agreed / jobs`, in `0...1`.
        package var share: Double { jobs == 0 ? 1 : Double(agreed) / Double(jobs) }
    }

    private var counts: [String: PathShare] = [:]
    /// Jobs added.
    package private(set) var jobs = 0
    /// Jobs whose primary answer had more than ``FieldAgreement/maxPaths`` leaves.
    package private(set) var truncatedJobs = 0
    /// Fields compared, over every job.
    package private(set) var fields = 0
    /// Fields that agreed, over every job.
    package private(set) var agreedFields = 0
    /// Fields at paths beyond ``maxTrackedPaths`` (counted overall, not per path).
    package private(set) var untrackedFields = 0

    /// An empty tally.
    package init() {}

    /// Adds one job's comparison.
    package mutating func add(_ agreement: FieldAgreement) {
        add(agreement.fields.map { PairMeasure.FieldVerdict(path: $0.path, agrees: $0.agrees) }, truncated: agreement.truncated)
    }

    /// Adds one job's fields and whether the backup agreed on each; `truncated` when the job's
    /// primary answer had more fields than were compared.
    package mutating func add(_ verdicts: [PairMeasure.FieldVerdict], truncated: Bool) {
        jobs += 1
        if truncated { truncatedJobs += 1 }
        for field in verdicts {
            fields += 1
            if field.agrees { agreedFields += 1 }
            if var share = counts[field.path] {
                share.jobs += 1
                if field.agrees { share.agreed += 1 }
                counts[field.path] = share
            } else if counts.count < Self.maxTrackedPaths {
                counts[field.path] = PathShare(path: field.path, jobs: 1, agreed: field.agrees ? 1 : 0)
            } else {
                untrackedFields += 1
            }
        }
    }

    /// The agreement at each kept path, ordered by path.
    package var paths: [PathShare] {
        counts.values.sorted { $0.path < $1.path }
    }

    /// The agreement at `path`, `nil` when no job had it (or it was not kept).
    package func share(at path: String) -> PathShare? { counts[path] }

    /// The share of all compared fields that agreed, `nil` before any field.
    package var overallShare: Double? {
        fields == 0 ? nil : Double(agreedFields) / Double(fields)
    }
}
