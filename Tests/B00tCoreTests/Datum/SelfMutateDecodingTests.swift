import Foundation
import Testing
@testable import B00tCore

/// `[b00t.self_mutate]` and `[b00t.scripts]`: decoded strictly like the rest of a datum.
@Suite struct SelfMutateDecodingTests {
    func decode(_ text: String) -> (Datum?, [DatumDiagnostic]) {
        DatumDecoder.decode(source: "[b00t]\nname = \"x\"\ntype = \"cli\"\n" + text, file: "x.cli.toml", fileName: "x", fileType: "cli")
    }

    @Test func theTablesLoad() throws {
        let (datum, diagnostics) = decode("""
            [b00t.self_mutate]
            allow_install_updates = true
            allow_usage_updates = true
            version_control = true
            approval = "crew:keepers"

            [b00t.scripts]
            update_version = "echo hi"
            """)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let spec = try #require(datum?.selfMutate)
        #expect(spec == SelfMutateSpec(allowInstallUpdates: true, allowUsageUpdates: true, versionControl: true, approval: .crew("keepers")))
        #expect(datum?.scripts == ["update_version": "echo hi"])
        #expect(decode("").0?.selfMutate == nil)
        #expect(decode("[b00t.self_mutate]\n").0?.selfMutate?.approval == .everyone)
        #expect(decode("[b00t.self_mutate]\napproval = \"none\"\n").0?.selfMutate?.approval == MutationApproval.none)
    }

    @Test func mistakesAreErrorsWithTheKeyAndLine() {
        let nearMiss = decode("[b00t.self_mutate]\nallow_usage_update = true\n").1
        #expect(nearMiss.contains { $0.isError && $0.key == "b00t.self_mutate.allow_usage_update" && $0.line == 5
            && $0.hint?.contains("did you mean 'allow_usage_updates'") == true }, "\(nearMiss)")
        let wrongType = decode("[b00t.self_mutate]\nversion_control = \"yes\"\n").1
        #expect(wrongType.contains { $0.isError && $0.key == "b00t.self_mutate.version_control" })
        let badApproval = decode("[b00t.self_mutate]\napproval = \"crew\"\n").1
        #expect(badApproval.contains { $0.isError && $0.key == "b00t.self_mutate.approval" && $0.hint?.contains("crew:NAME") == true })
        #expect(decode("[b00t.scripts]\n\"bad name\" = \"x\"\n").1.contains { $0.isError && $0.message.contains("invalid script name") })
        #expect(decode("[b00t.scripts]\nempty = \"  \"\n").1.contains { $0.isError && $0.message.contains("empty script") })
        #expect(decode("[b00t.scripts]\nnumber = 3\n").1.contains { $0.isError && $0.key == "b00t.scripts.number" })
        #expect(decode("self_mutatee = 1\n").1.contains { $0.isError && $0.hint?.contains("self_mutate") == true })
    }

    @Test func agentPolicyTakesAMutationsRule() throws {
        let policy = try AgentPolicy(table: ["mutations": .string("review")], source: "p.toml")
        #expect(policy.mutations == .review)
        #expect(throws: BusError.self) { try AgentPolicy(table: ["mutations": .string("maybe")], source: "p.toml") }
        #expect(throws: BusError.self) { try AgentPolicy(table: ["mutation": .string("yes")], source: "p.toml") }
    }
}
