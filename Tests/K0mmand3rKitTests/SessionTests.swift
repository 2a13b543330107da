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

    @Test func chatGoesToTheCurrentCrew() async throws {
        let s = try await session()
        _ = await s.run("/as bob")
        _ = await s.run("/as alice")
        #expect(await s.run("/crew form duo bob").text == "formed crew duo: alice, bob")
        #expect(await s.run("hi bob").text == "alice @duo: hi bob")
        let bus = await s.bus
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
}
