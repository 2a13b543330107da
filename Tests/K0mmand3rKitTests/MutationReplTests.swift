import B00tTestSupport
import Foundation
import Testing
@testable import B00tCore
@testable import K0mmand3rKit

/// `/mutate`, `/mutations` and the crew stream's diff lines.
@Suite struct MutationReplTests {
    @Test func mutateParses() throws {
        #expect(try ReplCommand.parse("/mutate demo desires=2.0") == .mutate(datum: "demo", edits: [.set(key: "desires", value: "2.0")], script: nil))
        #expect(try ReplCommand.parse("/mutate demo --add-usage \"demo run # go\" env.MODE=fast --add-dep git.cli --remove-dep x.cli")
                == .mutate(datum: "demo", edits: [.addUsage(UsageExample(description: "go", command: "demo run")),
                                                  .set(key: "env.MODE", value: "fast"), .addDependency("git.cli"), .removeDependency("x.cli")],
                           script: nil))
        #expect(try ReplCommand.parse("/mutate demo --script bump") == .mutate(datum: "demo", edits: [], script: "bump"))
        #expect(try ReplCommand.parse("/mutations") == .mutations)
        #expect(try ReplCommand.parse("/mutate demo desires=1").map(\.group) == .mutation)
        for bad in ["/mutate", "/mutate demo", "/mutate demo desires", "/mutate demo command=x", "/mutate demo --add-dep",
                    "/mutate demo --script s desires=1", "/mutate demo --add-usage \" # only a description\""] {
            #expect(throws: ReplError.self, "\(bad)") { try ReplCommand.parse(bad) }
        }
        #expect(ReplCommand.names.contains("/mutate") && ReplCommand.names.contains("/mutations"))
    }

    @Test func aMutationProposalShowsItsDiffInTheStreamEscaped() {
        let before = Array("[b00t]\nname = \"d\"\ntype = \"cli\"\ndesires = \"1\"\n".utf8)
        let after = Array("[b00t]\nname = \"d\"\ntype = \"cli\"\ndesires = \"\u{1B}[2J\"\n".utf8)
        let mutation = DatumMutation(datum: "d.cli", baseHash: DatumMutation.hash(before), newHash: DatumMutation.hash(after),
                                     diff: UnifiedDiff.make(old: before, new: after, name: "d.cli.toml"), summary: "set desires", approval: .everyone)
        let event = BusEvent(seq: 5, timestamp: Date(), from: "alpha", conversationID: "prop-5", body: .mutationProposed(proposal: "prop-5", mutation: mutation))
        let lines = StreamFormatter.lines(event)
        #expect(lines.first?.role == "event.mutation")
        #expect(lines.contains { $0.role == "diff.remove" && $0.text == "-desires = \"1\"" })
        #expect(lines.contains { $0.role == "diff.add" && $0.text.hasPrefix("+desires") })
        #expect(!lines.contains { $0.text.contains("\u{1B}") })  // nothing from the bus reaches the terminal raw
        #expect(Theme.roles.contains("diff.add") && Theme.roles.contains("diff.remove") && Theme.builtinDefault.styles["diff.add"] != nil)
        // Other events are one line, as before.
        let chat = BusEvent(seq: 6, timestamp: Date(), from: "a", conversationID: "evt-6", body: .message(crew: nil, to: nil, text: "hi"))
        #expect(StreamFormatter.lines(chat) == [StreamFormatter.line(chat)])
    }

    @Test func mutateProposesAndAppliesWhenTheDatumNeedsNoVote() async throws {
        let dir = TempDir("repl-mutate")
        dir.write("_b00t_/demo.cli.toml", """
            [b00t]
            name = "demo"
            type = "cli"
            desires = "1"  # pinned

            [b00t.self_mutate]
            allow_install_updates = true
            approval = "none"
            """)
        let bus = try await MessageBus(backend: MemoryBusBackend())
        let session = Session(bus: bus, agent: "solo")
        await session.useDatumFolder(dir.path + "/_b00t_")
        try await session.start()
        let out = await session.run("/mutate demo desires=2")
        #expect(!out.failed, "\(out.text)")
        #expect(out.lines.first?.text.contains("approval \"none\": passed at once") == true, "\(out.text)")
        #expect(out.lines.contains { $0.role == "diff.add" && $0.text == "+desires = \"2\"  # pinned" })
        #expect(out.text.contains("applied prop-") || out.text.contains("already applied"), "\(out.text)")
        let text = try String(contentsOfFile: dir.path + "/_b00t_/demo.cli.toml", encoding: .utf8)
        #expect(text.contains("desires = \"2\"  # pinned"))
        let list = await session.run("/mutations")
        #expect(list.text.contains("demo.cli [applied]"), "\(list.text)")
        let refused = await session.run("/mutate demo --add-usage \"demo x # y\"")
        #expect(refused.failed && refused.text.contains("set allow_usage_updates = true"), "\(refused.text)")
        _ = await session.finish()
    }
}
