/// A backup's answer shape set against the primary's answer to the same job: how much longer or
/// shorter it is, and whether it has as many list items and paragraphs.
///
/// Guarantees: every field is defined for every pair of structures, empty texts included; the
/// length ratio follows ``Ratio``'s rules (two empty texts: 1; an empty primary and a non-empty
/// backup: `+infinity`).
package struct StructureComparison: Sendable, Hashable {
    /// The primary's structure.
    package var primary: TextStructure
    /// The backup's structure.
    package var backup: TextStructure

    /// Compares `backup` against `primary`.
    package init(primary: TextStructure, backup: TextStructure) {
        self.primary = primary
        self.backup = backup
    }

    /// Compares the structure of `backup` against that of `primary`.
    package init(primary: String, backup: String) {
        self.init(primary: TextStructure(of: primary), backup: TextStructure(of: backup))
    }

    /// Backup characters per primary character (1 when both are empty, `+infinity` when only the
    /// primary is).
    package var lengthRatio: Double {
        Ratio.of(Double(backup.characters), to: Double(primary.characters))
    }

    /// Backup bullets minus primary bullets (negative when the backup has fewer).
    package var bulletDifference: Int { backup.bullets - primary.bullets }

    /// Backup paragraphs minus primary paragraphs (negative when the backup has fewer).
    package var paragraphDifference: Int { backup.paragraphs - primary.paragraphs }

    /// Whether both answers have as many bullets.
    package var sameBulletCount: Bool { bulletDifference == 0 }

    /// Whether both answers have as many paragraphs.
    package var sameParagraphCount: Bool { paragraphDifference == 0 }
}
