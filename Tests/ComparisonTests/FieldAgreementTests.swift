import Completions
import Testing

@testable import Comparison

@Suite struct FieldAgreementTests {
    private func parse(_ text: String) throws -> JSONValue {
        try JSONParser.parse(Array(text.utf8))
    }

    @Test func leafByLeafAgainstThePrimary() throws {
        let primary = try parse(
            """
            {"summary": "Paris is the capital.", "items": [{"name": "a", "qty": 2}, {"name": "b", "qty": 3}],
             "meta": {"score": 0.5, "tags": []}, "flag": true, "none": null}
            """)
        let backup = try parse(
            """
            {"summary": "  Paris is the capital.\\n", "items": [{"name": "a", "qty": 2.0000000001}, {"name": "B"}],
             "meta": {"score": "0.5", "tags": []}, "flag": true, "extra": 1}
            """)
        let agreement = FieldAgreement(primary: primary, backup: backup)
        let verdicts = agreement.fields.map { ($0.path, $0.agrees) }
        #expect(
            verdicts.map(\.0) == [
                "flag", "items[0].name", "items[0].qty", "items[1].name", "items[1].qty", "meta.score", "meta.tags", "none", "summary",
            ])
        #expect(verdicts.map(\.1) == [true, true, true, false, false, false, true, false, true])
        #expect(agreement.agreedCount == 5)
        #expect(agreement.share == 5.0 / 9.0)
        #expect(!agreement.allAgree)
        #expect(!agreement.truncated)
        let missing = agreement.fields.first { $0.path == "items[1].qty" }
        #expect(missing?.backup == nil)
        #expect(missing?.primary == .number(3))
    }

    @Test func numbersAgreeWithinARelativeTolerance() {
        #expect(FieldAgreement.valuesAgree(.number(1e12), .number(1e12 + 100)))
        #expect(!FieldAgreement.valuesAgree(.number(1), .number(1.000001)))
        #expect(FieldAgreement.valuesAgree(.number(0), .number(-0.0)))
        #expect(!FieldAgreement.valuesAgree(.number(0), .number(1e-300)))
        #expect(FieldAgreement.valuesAgree(.number(.infinity), .number(.infinity)))
        #expect(!FieldAgreement.valuesAgree(.number(.infinity), .number(-.infinity)))
        #expect(!FieldAgreement.valuesAgree(.number(.nan), .number(.nan)))
    }

    @Test func stringsAgreeAfterTrimmingOtherValuesExactly() {
        #expect(FieldAgreement.valuesAgree(.string("\t yes \n"), .string("yes")))
        #expect(FieldAgreement.valuesAgree(.string("   "), .string("")))
        #expect(!FieldAgreement.valuesAgree(.string("yes"), .string("Yes")))
        #expect(!FieldAgreement.valuesAgree(.string("a b"), .string("a  b")))
        #expect(!FieldAgreement.valuesAgree(.number(1), .string("1")))
        #expect(!FieldAgreement.valuesAgree(.bool(true), .number(1)))
        #expect(FieldAgreement.valuesAgree(.null, .null))
        #expect(FieldAgreement.valuesAgree(.object([:]), .object([:])))
        #expect(!FieldAgreement.valuesAgree(.array([]), .object([:])))
    }

    @Test func rootLeafAndRootArray() {
        let root = FieldAgreement(primary: .string("x"), backup: .string(" x "))
        #expect(root.fields.map(\.path) == ["$"])
        #expect(root.allAgree)
        let array = FieldAgreement(primary: .array([.number(1), .number(2)]), backup: .array([.number(1)]))
        #expect(array.fields.map(\.path) == ["[0]", "[1]"])
        #expect(array.fields.map(\.agrees) == [true, false])
    }

    @Test func aBackupOfAnotherShapeAgreesNowhere() {
        let primary = JSONValue.object(["a": .number(1), "b": .array([.bool(true)])])
        let agreement = FieldAgreement(primary: primary, backup: .array([.number(1)]))
        #expect(agreement.fields.map(\.path) == ["a", "b[0]"])
        #expect(agreement.agreedCount == 0)
        #expect(agreement.share == 0)
    }

    @Test func oddMemberNamesAreQuoted() {
        let primary = JSONValue.object(["a.b": .number(1), "x y": .object(["q\"\\": .number(2)]), "ok_name-2": .null])
        let agreement = FieldAgreement(primary: primary, backup: primary)
        #expect(agreement.fields.map(\.path) == [#"["a.b"]"#, "ok_name-2", #"["x y"]["q\"\\"]"#])
        #expect(agreement.allAgree)
    }

    @Test func longMemberNamesAreCutInThePath() {
        let name = String(repeating: "n", count: 10_000)
        let agreement = FieldAgreement(primary: .object([name: .number(1)]), backup: .object([name: .number(1)]))
        #expect(agreement.fields.count == 1)
        #expect(agreement.fields[0].path.utf8.count <= FieldAgreement.maxNameBytes + 4)
        #expect(agreement.allAgree)
    }

    @Test func depthIsBounded() {
        var deep = JSONValue.number(1)
        var other = JSONValue.number(2)
        for _ in 0..<100 {
            deep = .array([deep])
            other = .array([other])
        }
        let same = FieldAgreement(primary: deep, backup: deep)
        #expect(same.fields.count == 1)
        #expect(same.fields[0].path == String(repeating: "[0]", count: FieldAgreement.maxDepth))
        #expect(same.allAgree)
        let different = FieldAgreement(primary: deep, backup: other)
        #expect(different.fields.count == 1)
        #expect(!different.allAgree)
    }

    @Test func pathCountIsBounded() {
        let many = JSONValue.array((0..<5_000).map { .number(Double($0)) })
        let agreement = FieldAgreement(primary: many, backup: many)
        #expect(agreement.truncated)
        #expect(agreement.fields.count == FieldAgreement.maxPaths)
        #expect(agreement.fields.last?.path == "[999]")
        #expect(agreement.allAgree)
    }
}

@Suite struct FieldAgreementTallyTests {
    @Test func perPathShareOverJobs() {
        var tally = FieldAgreementTally()
        #expect(tally.overallShare == nil)
        let primary = JSONValue.object(["summary": .string("s"), "score": .number(1)])
        tally.add(FieldAgreement(primary: primary, backup: primary))
        tally.add(FieldAgreement(primary: primary, backup: .object(["summary": .string("s"), "score": .number(2)])))
        tally.add(FieldAgreement(primary: .object(["summary": .string("t")]), backup: .object([:])))
        #expect(tally.jobs == 3)
        #expect(tally.fields == 5)
        #expect(tally.agreedFields == 3)
        #expect(tally.overallShare == 3.0 / 5.0)
        #expect(
            tally.paths == [
                FieldAgreementTally.PathShare(path: "score", jobs: 2, agreed: 1),
                FieldAgreementTally.PathShare(path: "summary", jobs: 3, agreed: 2),
            ])
        #expect(tally.share(at: "summary")?.share == 2.0 / 3.0)
        #expect(tally.share(at: "absent") == nil)
    }

    @Test func truncatedJobsAreCounted() {
        var tally = FieldAgreementTally()
        let many = JSONValue.array((0..<1_500).map { .number(Double($0)) })
        tally.add(FieldAgreement(primary: many, backup: many))
        #expect(tally.truncatedJobs == 1)
        #expect(tally.fields == FieldAgreement.maxPaths)
    }

    @Test func distinctPathsAreBounded() {
        var tally = FieldAgreementTally()
        for job in 0..<11 {
            var members: [String: JSONValue] = [:]
            for index in 0..<1_000 { members["k\(job)_\(index)"] = .bool(true) }
            tally.add(FieldAgreement(primary: .object(members), backup: .object(members)))
        }
        #expect(tally.paths.count == FieldAgreementTally.maxTrackedPaths)
        #expect(tally.untrackedFields == 1_000)
        #expect(tally.fields == 11_000)
        #expect(tally.overallShare == 1)
    }
}
