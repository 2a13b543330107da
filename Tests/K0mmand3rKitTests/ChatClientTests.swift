import B00tCore
import Foundation
import B00tTestSupport
import Testing
@testable import K0mmand3rKit

/// What a reader sees of the crew stream: privacy, dates, mentions, speaker colours, tallies.
@Suite struct StreamFeedTests {
    func event(_ seq: UInt64, from: String, _ body: BusEventBody, at: Date = Date(timeIntervalSince1970: 1_800_000_000)) -> BusEvent {
        BusEvent(seq: seq, timestamp: at, from: from, conversationID: "evt-\(seq)", body: body)
    }

    @Test func privateMessagesShowOnlyToTheirTwoAgents() async throws {
        let dm = event(1, from: "alice", .message(crew: nil, to: "bob", text: "psst"))
        #expect(StreamFeed.isVisible(dm, to: "alice", state: nil))
        #expect(StreamFeed.isVisible(dm, to: "bob", state: nil))
        #expect(!StreamFeed.isVisible(dm, to: "carol", state: nil))
        let bus = try await MessageBus(backend: MemoryBusBackend())
        for id in ["alice", "bob", "carol"] { try await bus.register(BusAgent(id: id)) }
        try await bus.formCrew(initiator: "alice", members: ["bob"], purpose: "", name: "api")
        let state = await bus.state
        let crewChat = event(2, from: "bob", .message(crew: "api", to: nil, text: "crew only"))
        #expect(StreamFeed.isVisible(crewChat, to: "alice", state: state))
        #expect(!StreamFeed.isVisible(crewChat, to: "carol", state: state))
        #expect(StreamFeed.isVisible(event(3, from: "bob", .message(crew: nil, to: nil, text: "everyone")), to: "carol", state: state))
        var feed = StreamFeed(me: "carol")
        #expect(feed.lines(for: dm, state: state, live: true).isEmpty)
    }

    @Test func dateLinesMentionsAndSpeakerColours() {
        var feed = StreamFeed(me: "bob")
        let day1 = Date(timeIntervalSince1970: 1_800_000_000)
        let first = feed.lines(for: event(1, from: "alice", .message(crew: nil, to: nil, text: "hi all"), at: day1), state: nil, live: true)
        #expect(first.count == 2 && first[0].text.hasPrefix("──── ") && first[0].text.contains(StreamFeed.dayText(day1)))
        #expect(first[1].role == "event.message")
        let mention = feed.lines(for: event(2, from: "alice", .message(crew: nil, to: nil, text: "ping @Bob please"), at: day1), state: nil, live: true)
        #expect(mention.count == 1 && mention[0].role == "mention")
        #expect(feed.mentions == 1)
        // A word that only contains the id is no mention; a private message to you is.
        _ = feed.lines(for: event(3, from: "alice", .message(crew: nil, to: nil, text: "bobsleigh"), at: day1), state: nil, live: true)
        _ = feed.lines(for: event(4, from: "alice", .message(crew: nil, to: "bob", text: "only you"), at: day1), state: nil, live: true)
        #expect(feed.mentions == 2)
        let nextDay = feed.lines(for: event(5, from: "carol", .message(crew: nil, to: nil, text: "morning"), at: day1.addingTimeInterval(86_400)), state: nil, live: true)
        #expect(nextDay.count == 2)
        // The speaker is marked in a colour of their own, the same everywhere.
        let line = nextDay[1]
        #expect(line.marks == [StyledText.Mark(start: 9, count: 5, role: StreamFeed.nickRole("carol"))])
        #expect(StreamFeed.nickRole("carol") == StreamFeed.nickRole("carol"))
        #expect(Set(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"].map(StreamFeed.nickRole)).count > 3)
        #expect(line.hang == TextWidth.width(of: "00:00:00 carol: "))
    }

    @Test func aPastedMessageKeepsItsLinesEscapedOneByOne() {
        let line = StreamFeed.line(event(1, from: "alice", .message(crew: nil, to: nil, text: "one\ntwo \u{1B}[2J\nthree")))
        #expect(line.text.hasSuffix("alice: one\ntwo \\e[2J\nthree"))
    }

    @Test func closedProposalsShowTheirTally() async throws {
        let bus = try await MessageBus(backend: MemoryBusBackend())
        for id in ["a", "b", "c"] { try await bus.register(BusAgent(id: id)) }
        let p = try await bus.createProposal("x", by: "a")
        try await bus.vote(p, voter: "a", choice: .yes)
        try await bus.vote(p, voter: "b", choice: .no)
        try await bus.vote(p, voter: "c", choice: .no)
        let closed = try #require(try await bus.events().last)
        let line = StreamFeed.line(closed, state: await bus.state)
        #expect(line.text.hasSuffix("\(p) rejected (yes 1, no 1, abstain 0 of 3)") || line.text.hasSuffix("\(p) rejected (yes 1, no 2, abstain 0 of 3)"), "\(line.text)")
    }
}

@Suite struct ChatCompletionTests {
    let context = Completer.Context(agents: ["alice", "dev1", "dev2", "devops", "me"], ahoys: ["ahoy-4"], skills: ["rust"],
                                    me: "me", applicants: ["ahoy-4": ["dev2", "dev1"]], crewMembers: ["me", "dev1"],
                                    agentDatums: ["alpha"])

    @Test func nicksCompleteInChat() {
        let completer = Completer(context: context)
        // At the start of a line: "nick: "; later: "nick "; cycling goes through every match.
        var cycle = try! #require(completer.cycle(text: Array("de"), cursor: 2))
        #expect(String(cycle.line.text) == "dev1: ")
        cycle.step(1)
        #expect(String(cycle.line.text) == "dev2: ")
        cycle.step(1)
        #expect(String(cycle.line.text) == "devops: ")
        cycle.step(1)
        #expect(String(cycle.line.text) == "dev1: ")
        cycle.step(-1)
        #expect(String(cycle.line.text) == "devops: ")
        let later = try! #require(completer.cycle(text: Array("thanks al"), cursor: 9))
        #expect(String(later.line.text) == "thanks alice ")
        let at = try! #require(completer.cycle(text: Array("hey @dev1"), cursor: 9))
        #expect(at.candidates == ["@dev1"])
        // In the middle of the line the rest stays.
        let middle = try! #require(completer.cycle(text: Array("ask al now"), cursor: 6))
        #expect(String(middle.line.text) == "ask alice now")
        #expect(completer.cycle(text: Array("m"), cursor: 1) == nil)  // yourself is never offered
    }

    @Test func argumentsAreTheRightOnes() {
        let completer = Completer(context: context)
        #expect(completer.candidates(for: "/award ahoy-4 ") == ["dev2", "dev1"])  // its applicants, best first
        #expect(!completer.candidates(for: "/teach ").contains("me"))
        #expect(completer.candidates(for: "/learn rust from ") == ["alice", "dev1", "dev2", "devops"])
        #expect(completer.candidates(for: "/msg d") == ["dev1", "dev2", "devops"])
        #expect(completer.candidates(for: "/delegate ") == ["dev1"])
        #expect(completer.candidates(for: "/agent start ") == ["alpha"])
        #expect(completer.candidates(for: "/crew j") == ["join"])
    }

    @Test func theListSaysWhatDidNotFit() {
        let names = (1...40).map { "/command\($0)" }
        let shown = Completer.list(names, current: 0, width: 60)
        #expect(TextWidth.width(of: shown) <= 60)
        #expect(shown.hasPrefix("[/command1]") && shown.contains("… +"))
        #expect(Completer.list(["a", "b"], current: 1, width: 60) == "a  [b]")
    }
}

@Suite struct ChatEditingTests {
    @Test func failedHistorySearchShowsNoStaleEntry() {
        var e = LineEditor(history: ["/agents", "/skills alpha"])
        e.handle(.searchHistory)
        for c in "ski" { e.handle(.character(c)) }
        #expect(e.line == "/skills alpha")
        e.handle(.character("z"))
        #expect(e.line == "" && e.searchFailed)
        e.handle(.backspace)
        #expect(e.line == "/skills alpha" && !e.searchFailed)
    }

    @Test func aPasteIsOneMultiLineMessage() throws {
        var e = LineEditor()
        e.insert("line 1\r\n/quit\r\nline 3")
        #expect(e.line == "line 1\n/quit\nline 3" && e.lineCount == 3)
        #expect(try ReplCommand.parse(e.line) == .say("line 1\n/quit\nline 3"))
        #expect(try ReplCommand.parse("/quit\n/agents") == .say("/quit\n/agents"))
    }

    @Test func theOriginalToolsCommandsParse() throws {
        #expect(try ReplCommand.parse("/delegate dev1 100") == .delegate(agent: "dev1", budget: 100))
        #expect(try ReplCommand.parse("/negotiate gpu 2 train the model") == .negotiate(resource: "gpu", amount: 2, reason: "train the model"))
        #expect(try ReplCommand.parse("/status on the parser") == .status("on the parser"))
        #expect(try ReplCommand.parse("/crew join api") == .crewJoin("api"))
        #expect(try ReplCommand.parse("/as owl --observer") == .asAgent("owl", role: "observer"))
        #expect(try ReplCommand.parse("/msg bob hi there") == .msg(agent: "bob", text: "hi there"))
        #expect(try ReplCommand.parse("/logs redis.process -n 5") == .logs("redis.process", lines: 5))
        #expect(try ReplCommand.parse("/agent start alpha") == .agentStart("alpha"))
        #expect(try ReplCommand.parse("/search needle") == .search("needle"))
        #expect(throws: ReplError.usage("budget must be a whole number ≥ 0 (got 'lots')")) { try ReplCommand.parse("/delegate dev1 lots") }
        #expect(throws: ReplError.usage("amount must be a whole number ≥ 1 (got '0')")) { try ReplCommand.parse("/negotiate gpu 0 x") }
        #expect(throws: ReplError.self) { try ReplCommand.parse("/logs x -n 0") }
        // "Did you mean" picks a close neighbour, not any short command.
        #expect(throws: ReplError.unknownCommand("/logz", suggestion: "/logs")) { try ReplCommand.parse("/logz x") }
        #expect(throws: ReplError.unknownCommand("/xyzzy", suggestion: nil)) { try ReplCommand.parse("/xyzzy") }
        #expect(throws: ReplError.unknownCommand("/neg", suggestion: "/negotiate")) { try ReplCommand.parse("/neg") }
    }
}

@Suite struct ChatScreenTests {
    func state(_ cols: Int, _ rows: Int) -> ScreenState {
        var s = ScreenState(columns: cols, rows: rows, stream: Scrollback(capacity: 1_000))
        s.agents = (1...12).map { BusAgent(id: String(format: "idle%02d", $0), role: "member") }
            + [BusAgent(id: "captain", role: "human"), BusAgent(id: "zed", role: "member", skills: ["rust": 0.9])]
        s.online = ["captain", "zed"]
        s.agent = "captain"
        s.busLabel = "socket"
        return s
    }

    @Test func theAgentsPaneAlwaysShowsAgentsAndSaysHowManyMore() {
        for (cols, rows) in [(60, 20), (80, 24), (100, 30)] {
            let frame = ScreenModel.render(state(cols, rows))
            #expect(frame.lines.contains { $0.contains("● captain") || $0.contains("● zed") }, "\(cols)x\(rows)")
            let footer = try! #require(frame.lines.first { $0.contains("more") || $0.contains("+1") }, "\(cols)x\(rows)")
            #expect(footer.contains("+"), "\(footer)")
            for line in frame.lines { #expect(TextWidth.width(of: line) == cols) }
        }
        let frame = ScreenModel.render(state(80, 24))
        #expect(frame.lines.contains { $0.contains("+9 more — /agents") }, "\(frame.lines.joined(separator: "\n"))")
    }

    @Test func statusFieldsFitByPriority() {
        var s = state(80, 24)
        s.crew = "api"
        s.activity = "⠋ /handshake ghost ping 2.4s · Esc cancels"
        s.mentions = 2
        for cols in [80, 90] {
            s.columns = cols
            let status = ScreenModel.render(s).text(ScreenModel.layout(s).statusRow)
            #expect(status.contains("as captain") && status.contains("crew api") && status.contains("@2 mentions"), "\(cols): \(status)")
            #expect(status.contains("Esc cancels"))
            #expect(TextWidth.width(of: status) == cols)
        }
        s.activity = nil
        s.columns = 80
        #expect(ScreenModel.render(s).text(ScreenModel.layout(s).statusRow).contains("theme default"))
    }

    @Test func longErrorsWrapInTheNotice() {
        var s = state(60, 24)
        s.notice = .error("error: " + String(repeating: "this is a long error message ", count: 5) + "THE END")
        let frame = ScreenModel.render(s)
        let layout = ScreenModel.layout(s)
        let rows = try! #require(layout.noticeRows)
        #expect(rows.count == 3)
        let text = (0..<rows.count).map { frame.text(rows.first + $0) }.joined()
        #expect(text.contains("THE END") || text.contains("…"))
    }

    @Test func aHiddenStreamLeavesAPlaceholder() {
        var s = state(80, 24)
        s.stream.append(StyledText("one"))
        s.collapsed = [.stream]
        #expect(ScreenModel.render(s).lines.contains { $0.contains("▸ crew stream hidden (1 lines) — F3 or /pane stream to show") })
    }

    @Test func aMultiLineInputShowsItsLines() {
        var s = state(80, 24)
        s.input.insert((1...50).map { "pasted \($0)" }.joined(separator: "\n"))
        let frame = ScreenModel.render(s)
        #expect(frame.lines.contains { $0.contains("▾ 50 lines, sent as one message with Enter") })
        #expect(frame.lines.contains { $0.contains("pasted 50") })
        #expect(frame.cursorRow == 23)
        for line in frame.lines { #expect(TextWidth.width(of: line) == 80) }
    }

    @Test func emojiRowsKeepTheirBorder() {
        var s = state(100, 30)
        s.stream.append(StyledText("12:00:00 a: 👍🏽 👩‍💻 🇯🇵 " + String(repeating: "👍🏽🇯🇵👩‍💻", count: 20)))
        let frame = ScreenModel.render(s)
        for line in frame.lines { #expect(TextWidth.width(of: line) == 100, "\(line)") }
        let streamRows = frame.lines.filter { $0.contains("👍🏽") }
        #expect(streamRows.count >= 2 && streamRows.allSatisfy { $0.hasSuffix("│") })
    }
}

@Suite struct ThemeLookupTests {
    @Test func shippedThemesAreCompiledIn() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let files = try FileManager.default.contentsOfDirectory(atPath: root + "/themes").filter { $0.hasSuffix(".toml") }
        #expect(Set(files.map { String($0.dropLast(5)) }) == Set(BuiltinThemes.texts.keys))
        for file in files {
            let text = try String(contentsOfFile: root + "/themes/" + file, encoding: .utf8)
            #expect(BuiltinThemes.texts[String(file.dropLast(5))].map { $0 + "\n" } == text,
                    "themes/\(file) differs from BuiltinThemes.swift: paste the file there")
        }
        // Found with no themes folder anywhere near.
        let elsewhere = TempDir("no-themes")
        let saved = FileManager.default.currentDirectoryPath
        _ = FileManager.default.changeCurrentDirectoryPath(elsewhere.path)
        defer { _ = FileManager.default.changeCurrentDirectoryPath(saved) }
        #expect(try Theme.load(named: "solarized-dark").name == "solarized-dark")
        #expect(Theme.available().contains("high-contrast"))
    }

    @Test func monoHasNoColourAtAll() throws {
        let mono = try Theme.load(named: "mono")
        for role in Theme.roles + ["event.ahoy_apply", "nick.5", "unknown"] {
            let style = mono.style(role)
            #expect(style.fg == -1 && style.bg == -1, "\(role)")
        }
    }
}

/// `/as NAME` with a `NAME.agent` datum: its role and skills, and says so.
@Suite struct AgentDatumTests {
    @Test func asAdoptsTheAgentDatum() async throws {
        let folder = TempDir("agent-datum")
        folder.write("alpha.agent.toml", """
            [b00t]
            name = "alpha"
            type = "agent"
            hint = "test"

            [b00t.agent]
            role = "specialist"
            skills = { rust = 0.9, swift = 0.8 }
            """)
        let catalog = DatumLoader(searchPath: DatumSearchPath(folders: [folder.path])).load()
        let s = Session(bus: try await MessageBus(backend: MemoryBusBackend()), agent: "human1", catalog: { catalog })
        try await s.start()
        let answer = await s.run("/as alpha")
        #expect(answer.text == "now speaking as alpha — specialist, rust 0.90, swift 0.80 (from alpha.agent)", "\(answer.text)")
        let alpha = try #require(try await s.bus.currentState().agents["alpha"])
        #expect(alpha.role == "specialist" && alpha.skills == ["rust": 0.9, "swift": 0.8])
        // Without a datum: a human, as before; --role sets the role.
        #expect(await s.run("/as bob").text == "now speaking as bob")
        #expect(try await s.bus.currentState().agents["bob"]?.role == "human")
        #expect(await s.run("/as owl --observer").text == "now speaking as owl (observer)")
        #expect(try await s.bus.currentState().agents["owl"]?.isObserver == true)
    }
}

/// A paste recorded with /record replays as one message, its lines never run as commands.
@Suite struct PasteReplayTests {
    @Test func recordedPastesReplayAsOneMessage() async throws {
        let dir = TempDir("paste-record")
        let path = dir.path + "/rec.k0"
        let s = Session(bus: try await MessageBus(backend: MemoryBusBackend()), agent: "alice")
        try await s.start()
        _ = await s.run("/record \(path)")
        _ = await s.run("first\n/quit\n# not a comment\n@as mallory")
        _ = await s.run("/record")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("@paste 4\nfirst\n/quit\n# not a comment\n@as mallory\n"), "\(text)")
        let bus = try await MessageBus(backend: MemoryBusBackend())
        let report = try await ReplayRunner(session: Session(bus: bus, agent: "alice")).run(text: text + "/agents\n@expect alice", name: "rec.k0")
        #expect(report.commands == 2)
        let messages = try await bus.events().compactMap { event -> String? in
            if case .message(_, _, let text) = event.body { return text } else { return nil }
        }
        #expect(messages == ["first\n/quit\n# not a comment\n@as mallory"])
        #expect(try await bus.currentState().agents["mallory"] == nil)
        await #expect(throws: ReplayRunner.Failure.self) {
            _ = try await ReplayRunner(session: Session(bus: bus, agent: "alice")).run(text: "@as a\n@paste 3\none\n", name: "short.k0")
        }
    }
}
