import B00tCore
import Foundation
import Testing
@testable import K0mmand3rKit

@Suite struct SessionTests {
    func session() async throws -> Session {
        let s = Session(bus: try await MessageBus(backend: MemoryBusBackend()), agent: "alice",
                        catalog: { DatumCatalog(datums: [Datum(name: "rust", type: .cli, hint: "lang")]) })
        try await s.start()
        return s
    }

    /// Line mode's [y/N]: only y or yes confirms (it took any answer starting with y, "yellow" too).
    @Test(arguments: [("y", true), ("YES", true), (" yes ", true), ("yellow", false), ("you there?", false),
                      ("", false), ("n", false), ("no", false)])
    func onlyYesConfirms(answer: String, yes: Bool) {
        #expect(Confirmation.isYes(answer) == yes)
    }

    @Test func errorsAreAnswersNotCrashes() async throws {
        let s = try await session()
        let bad = await s.run("/vote nothing yes")
        #expect(bad.failed)
        #expect(bad.text == "error: no proposal 'nothing'")
        let typo = await s.run("/ahoyz x")
        #expect(typo.text.contains("did you mean /ahoy"))
        #expect(await s.run("/datum rust").text.contains("# rust"))
        #expect(await s.run("/query type:cli").text.contains("rust.cli"))
        #expect(await s.run("/query typ:cli").failed)
        #expect(await s.run("/quit").quit)
    }

    /// The session answers with values the front end applies — no magic strings, no re-parsing of the line.
    @Test func commandsAnswerWithTypedEffects() async throws {
        let s = try await session()
        #expect(await s.run("/pane agents").effects == [.togglePane(.agents)])
        #expect(await s.run("/pane").effects == [.togglePane(nil)])
        #expect(await s.run("/clear").effects == [.clear])
        let themed = await s.run("/theme mono").effects
        guard case .setTheme(let theme)? = themed.first else { Issue.record("no theme effect: \(themed)"); return }
        #expect(theme.name == "mono")
        #expect(await s.run("/theme nope").failed)
        #expect(ReplCommand.stop("x").group == .services && ReplCommand.quit.group == .screen && ReplCommand.agents.group == .crew)
    }

    @Test func chatGoesToTheCurrentCrew() async throws {
        let s = try await session()
        _ = await s.run("/as bob")
        _ = await s.run("/as alice")
        #expect(await s.run("/crew form duo bob").text == "formed crew duo: alice, bob")
        #expect(await s.run("hi bob").text == "alice @duo: hi bob")
        let bus = s.bus
        guard case .message(let crew, _, let text)? = try await bus.events().last?.body else {
            Issue.record("no message event")
            return
        }
        #expect(crew == "duo" && text == "hi bob")
    }

    @Test func recordWritesAReplayFile() async throws {
        let s = try await session()
        let path = NSTemporaryDirectory() + "rec-\(UUID().uuidString).k0"
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = await s.run("/record \(path)")
        _ = await s.run("/as bob")
        _ = await s.run("/ahoy dev --budget 5")
        #expect(await s.run("/record").text.contains("saved 2 commands"))
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("@as alice\n/as bob\n/ahoy dev --budget 5\n"))
        // And it replays.
        let fresh = Session(bus: try await MessageBus(backend: MemoryBusBackend()), agent: "x")
        let report = try await ReplayRunner(session: fresh).run(file: path)
        #expect(report.commands == 2)
    }

    @Test func recordRefusesWhatItCouldNotSave() async throws {
        let s = try await session()
        let dir = NSTemporaryDirectory() + "rec-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(await s.run("/record \(dir)/no/such/folder/x.k0").text.contains("no folder"))
        #expect(await !s.isRecording)
        try "precious".write(toFile: dir + "/keep.txt", atomically: true, encoding: .utf8)
        #expect(await s.run("/record \(dir)/keep.txt").text.contains("exists; /record \(dir)/keep.txt --force replaces it"))
        #expect(try String(contentsOfFile: dir + "/keep.txt", encoding: .utf8) == "precious")
        #expect(await !s.run("/record \(dir)/keep.txt --force").failed)
        _ = await s.run("/agents")
        #expect(await s.run("/record").text.contains("saved 1 commands"))
    }

    @Test func replayFailuresNameFileAndLine() async throws {
        let s = Session(bus: try await MessageBus(backend: MemoryBusBackend()), agent: "x")
        let runner = ReplayRunner(session: s)
        await #expect(throws: ReplayRunner.Failure(file: "t.k0", line: 3, message: "expected output containing 'nope', got: now speaking as a")) {
            try await runner.run(text: "# comment\n@as a\n@expect nope\n", name: "t.k0")
        }
        await #expect(throws: ReplayRunner.Failure.self) { try await runner.run(text: "/vote x yes\n@expect voted\n", name: "t.k0") }
        await #expect(throws: ReplayRunner.Failure(file: "t.k0", line: 1, message: "unknown directive @expekt — did you mean @expect?")) {
            try await runner.run(text: "@expekt x\n", name: "t.k0")
        }
        let ok = try await runner.run(text: "@as a\n/vote x yes\n@expect-error no proposal 'x'\n@sleep 1\n", name: "t.k0")
        #expect(ok.expectations == 1)
    }

    /// A script that goes wrong must not end "ok": a failed command with no @expect-error after it fails the run.
    @Test func aFailedCommandWithoutExpectErrorFailsTheRun() async throws {
        let runner = ReplayRunner(session: Session(bus: try await MessageBus(backend: MemoryBusBackend()), agent: "x"))
        await #expect(throws: ReplayRunner.Failure(file: "t.k0", line: 3, message: "/vote nope yes failed: error: no proposal 'nope' — add @expect-error after it if that is expected (or @allow-errors at the top)")) {
            try await runner.run(text: "@as a\n# a comment\n/vote nope yes\n\n/agents\n", name: "t.k0")
        }
        // Also when it is the last line.
        await #expect(throws: ReplayRunner.Failure.self) { try await runner.run(text: "@as a\n/vote nope yes\n", name: "t.k0") }
        // Comments and blank lines between the command and its @expect-error are fine.
        _ = try await runner.run(text: "@as a\n/vote nope yes\n# expected:\n\n@expect-error\n", name: "t.k0")
        // @allow-errors turns it off.
        let allowed = try await runner.run(text: "@allow-errors\n@as a\n/vote nope yes\n/crew use ghost\n/agents\n", name: "t.k0")
        #expect(allowed.allowedErrors == 2)
    }

    @Test func bareExpectationsMeanSucceededAndAnyError() async throws {
        let runner = ReplayRunner(session: Session(bus: try await MessageBus(backend: MemoryBusBackend()), agent: "x"))
        let report = try await runner.run(text: "@as a\n/agents\n@expect\n/vote nope yes\n@expect-error\n", name: "t.k0")
        #expect(report.expectations == 2)
        await #expect(throws: ReplayRunner.Failure(file: "t.k0", line: 3, message: "expected line 2 to fail, but it succeeded: * ○ a (human)")) {
            try await runner.run(text: "@as a\n/agents\n@expect-error\n", name: "t.k0")
        }
        await #expect(throws: ReplayRunner.Failure(file: "t.k0", line: 3, message: "expected line 2 to succeed, but it failed: error: no proposal 'nope'")) {
            try await runner.run(text: "@as a\n/vote nope yes\n@expect\n", name: "t.k0")
        }
    }

    @Test func awaitWaitsForAnEventFromSomeoneElse() async throws {
        let bus = try await MessageBus(backend: MemoryBusBackend())
        let runner = ReplayRunner(session: Session(bus: bus, agent: "x"))
        // Another agent answers a little later, the way a `b00t agent run` process does.
        let other = Task {
            try await Task.sleep(for: .milliseconds(150))
            try await bus.register(BusAgent(id: "dev1"))
            try await bus.say(from: "dev1", "on it")
        }
        let report = try await runner.run(text: "@as captain\n/agents\n@await dev1: on it 3000\n", name: "t.k0")
        try await other.value
        #expect(report.expectations == 1)
        await #expect(throws: ReplayRunner.Failure(file: "t.k0", line: 1, message: "no event containing 'nobody says this' within 100 ms")) {
            try await runner.run(text: "@await nobody says this 100\n", name: "t.k0")
        }
        // Each @await consumes events up to its match: the same text twice needs two events.
        await #expect(throws: ReplayRunner.Failure.self) {
            try await runner.run(text: "@as y\n@await y registered 500\n@await y registered 100\n", name: "t.k0")
        }
        await #expect(throws: ReplayRunner.Failure(file: "t.k0", line: 1, message: "@await timeout must be 1–120000 ms (got 999999)")) {
            try await runner.run(text: "@await x 999999\n", name: "t.k0")
        }
        await #expect(throws: ReplayRunner.Failure(file: "t.k0", line: 1, message: "@await timeout must be 1–120000 ms (got 99999999999999999999)")) {
            try await runner.run(text: "@await x 99999999999999999999\n", name: "t.k0")
        }
    }

    @Test func boundsAndBinaryFiles() async throws {
        let runner = ReplayRunner(session: Session(bus: try await MessageBus(backend: MemoryBusBackend()), agent: "x"))
        await #expect(throws: ReplayRunner.Failure(file: "t.k0", line: 1, message: "@sleep needs milliseconds, 0–60000 (got '99999999999')")) {
            try await runner.run(text: "@sleep 99999999999\n", name: "t.k0")
        }
        let dir = NSTemporaryDirectory() + "replay-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let binary = dir + "/bin.k0"
        _ = FileManager.default.createFile(atPath: binary, contents: Data([0x2F, 0x61, 0x0A, 0x2F, 0xFF, 0xFE, 0x00, 0x01, 0x0A]))
        await #expect(throws: ReplayRunner.Failure(file: binary, line: 2, message: "not UTF-8 text (a binary file?); a replay file holds one command a line")) {
            try await runner.run(file: binary)
        }
        await #expect(throws: ReplayRunner.Failure(file: dir + "/missing.k0", line: 0, message: "cannot read the replay file: no such file")) {
            try await runner.run(file: dir + "/missing.k0")
        }
        // Said as "FILE: …", not "FILE:0: …" (walk-through).
        #expect("\(ReplayRunner.Failure(file: "gone.k0", line: 0, message: "cannot read the replay file: no such file"))"
                == "gone.k0: cannot read the replay file: no such file")
    }

    /// Walk-through: a replay whose first command needs an agent failed with "unknown agent 'human': register it
    /// first" (replays register nobody behind their back); and an @expect before any command spoke of "line 0".
    @Test func replayMistakesAreExplained() async throws {
        let runner = ReplayRunner(session: Session(bus: try await MessageBus(backend: MemoryBusBackend()), agent: "human"))
        do {
            _ = try await runner.run(text: "/status writing tests\n", name: "t.k0")
            Issue.record("a command from an unregistered agent succeeded")
        } catch let failure as ReplayRunner.Failure {
            #expect(failure.line == 1)
            #expect(failure.message.contains("a replay file says who speaks before its first command: @as NAME"), "\(failure)")
        }
        for directive in ["@expect-error", "@expect ok"] {
            await #expect(throws: ReplayRunner.Failure(file: "t.k0", line: 2, message: "\(directive.split(separator: " ")[0]) checks the command on the line before it; put a command first")) {
                try await runner.run(text: "# nothing yet\n\(directive)\n", name: "t.k0")
            }
        }
        let report = try await runner.run(text: "@as human\n/status writing tests\n@expect\n", name: "t.k0")
        #expect(report.commands == 1)
    }
}
