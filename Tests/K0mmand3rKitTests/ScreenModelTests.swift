import B00tCore
import Foundation
import Testing
@testable import K0mmand3rKit

@Suite struct ScreenModelTests {
    func state(_ cols: Int, _ rows: Int, events: Int = 30) -> ScreenState {
        var s = ScreenState(columns: cols, rows: rows, stream: Scrollback(capacity: 1_000))
        s.agents = [BusAgent(id: "alpha", role: "specialist", skills: ["rust": 0.9, "swift": 0.8]), BusAgent(id: "beta", role: "generalist")]
        s.services = [ServiceStatus(id: "redis.process", runtime: "process", state: .running, health: "healthy", pid: 42,
                                    ports: "6391", startedAt: Date(timeIntervalSince1970: 1_000_000))]
        s.now = Date(timeIntervalSince1970: 1_000_075)
        for i in 0..<events { s.stream.append(.init("event \(i)", role: "event.message")) }
        s.agent = "alpha"
        return s
    }

    @Test(arguments: [(60, 20), (100, 30), (200, 50)]) func everyRowIsExactlyTheScreenWidth(size: (Int, Int)) {
        let frame = ScreenModel.render(state(size.0, size.1))
        #expect(frame.rows.count == size.1)
        for line in frame.lines { #expect(TextWidth.width(of: line) == size.0, "\(line)") }
        #expect(frame.cursorRow == size.1 - 1)
    }

    @Test func wideLayoutPutsServicesBesideAgents() {
        let s = state(100, 30)
        let layout = ScreenModel.layout(s)
        #expect(layout.wide)
        #expect(layout.services?.top == layout.agents?.top)
        #expect(layout.services!.width + layout.agents!.width == 100)
        let frame = ScreenModel.render(s)
        #expect(frame.text(0).hasPrefix("┌─ services "))
        #expect(frame.text(0).contains("┌─ agents "))
        #expect(frame.text(1).contains("NAME") && frame.text(1).contains("PID"))  // column headers
        #expect(frame.text(2).contains("● redis.process"))
        #expect(frame.text(2).contains(" 42 "))  // the pid
        #expect(frame.text(2).contains("1m15s"))
        #expect(frame.text(28).contains("memory │ as alpha"))
        #expect(frame.text(27).hasPrefix("└"))
        #expect(frame.text(26).contains("event 29"))  // newest at the bottom of the stream
    }

    @Test func narrowLayoutStacksPanes() {
        let layout = ScreenModel.layout(state(60, 20))
        #expect(!layout.wide)
        #expect(layout.services!.top < layout.agents!.top)
        #expect(layout.agents!.top < layout.stream!.top)
        #expect(layout.services!.width == 60)
    }

    @Test func collapsedPanesLeaveATitleLine() {
        var s = state(60, 20)
        s.collapsed = [.services, .agents]
        let frame = ScreenModel.render(s)
        #expect(frame.text(0).hasPrefix("▸ services (1)"))
        #expect(frame.text(1).hasPrefix("▸ agents (2)"))
        #expect(ScreenModel.layout(s).stream?.top == 2)
    }

    /// Walk-through: one 65,000-character message on screen made every redraw escape and wrap it again. A line
    /// is laid out once per pane width; redraws, scrolling back to it and other widths reuse or add layouts.
    @Test func aLineIsLaidOutOncePerWidth() {
        var stream = Scrollback(capacity: 100)
        stream.append(StyledText("huge: " + String(repeating: "word \u{1B}[31m ", count: 6_000)))
        for i in 0..<5 { stream.append(StyledText("line \(i)")) }
        let first = stream.visibleRows(height: 40, width: 80)
        let laidOut = stream.layoutsComputed
        #expect(laidOut == 6)
        for _ in 0..<50 { #expect(stream.visibleRows(height: 40, width: 80).map(\.row) == first.map(\.row)) }
        #expect(stream.layoutsComputed == laidOut, "redraws reuse the layouts")
        _ = stream.visibleRows(height: 40, width: 120)
        #expect(stream.layoutsComputed == laidOut * 2, "another width is laid out afresh")
        // The cached rows are the rows StreamLayout gives.
        let huge = stream.line(number: 0)!
        #expect(first.filter { $0.number == 0 }.map(\.row) == Array(StreamLayout.rows(of: huge, width: 80).suffix(first.filter { $0.number == 0 }.count)))
    }

    @Test func scrollbackMarksNewLinesBelow() {
        var s = state(100, 30, events: 100)
        let height = s.streamHeight
        s.stream.scroll(by: 10, height: height)
        s.stream.append(.init("late 1"))
        s.stream.append(.init("late 2"))
        #expect(s.stream.newBelow == 2)
        let frame = ScreenModel.render(s)
        #expect(frame.lines.contains { $0.contains("2 new below ▾") })
        #expect(!frame.lines.contains { $0.contains("late 2") })
        s.stream.scrollToBottom()
        #expect(ScreenModel.render(s).lines.contains { $0.contains("late 2") })
    }

    @Test func scrollbackIsBounded() {
        var back = Scrollback(capacity: 100)
        for i in 0..<1_000 { back.append(.init("line \(i)")) }
        #expect(back.count == 100)
        #expect(back[0].text == "line 900")
        #expect(back.visible(height: 3).map(\.text) == ["line 997", "line 998", "line 999"])
        back.scroll(by: 1_000, height: 10)
        #expect(back.offset == 90)
        #expect(back.visible(height: 10).first?.text == "line 900")
    }

    @Test func wideCharactersTakeTwoColumnsAndNeverOverflow() {
        var s = state(60, 20)
        s.stream.append(.init("日本語のテキスト 🚀 " + String(repeating: "漢", count: 40)))
        s.input.set("こんにちは")
        let frame = ScreenModel.render(s)
        for line in frame.lines { #expect(TextWidth.width(of: line) == 60) }
        #expect(frame.cursorColumn == 2 + 10)
        #expect(TextWidth.width(of: "a日🚀") == 5)
        #expect(TextWidth.fit("日本語", columns: 5) == "日本 ")
    }

    @Test func onlyChangedRowsAreRedrawn() {
        var s = state(100, 30)
        let first = ScreenModel.render(s)
        #expect(first.changedRows(since: nil).count == 30)
        s.input.set("/he")
        let second = ScreenModel.render(s)
        #expect(second.changedRows(since: first) == [29])
        s.columns = 90
        #expect(ScreenModel.render(s).changedRows(since: second).count == 30)
    }

    @Test func tinyTerminalsDoNotCrash() {
        for (c, r) in [(1, 1), (5, 3), (20, 5), (79, 8)] {
            let frame = ScreenModel.render(state(c, r))
            #expect(frame.rows.count == r)
        }
    }
}

@Suite struct ThemeTests {
    @Test func specsParse() {
        #expect(Theme.parseSpec("green bold") == Theme.Style(fg: 2, bold: true))
        #expect(Theme.parseSpec("black/cyan") == Theme.Style(fg: 0, bg: 6))
        #expect(Theme.parseSpec("208 underline") == Theme.Style(fg: 208, underline: true))
        #expect(Theme.parseSpec("purple") == nil)
        #expect(Theme.parseSpec("300") == nil)
    }

    @Test func shippedThemesLoad() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        for name in ["default", "solarized-dark", "high-contrast", "mono"] {
            let theme = try Theme.load(file: "\(root)/themes/\(name).toml")
            #expect(theme.name == name)
        }
    }

    @Test func badThemeNamesFileAndLine() throws {
        let path = NSTemporaryDirectory() + "bad-theme-\(UUID().uuidString).toml"
        try "name = \"bad\"\n\n[colors]\nok = \"green\"\nwarnn = \"yellow\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: ReplError.failed("\(path):5: colors.warnn: unknown role — did you mean warn?")) { try Theme.load(file: path) }
        try "[colors]\nok = \"chartreuse\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect { try Theme.load(file: path) } throws: { "\($0)".contains("\(path):2: colors.ok") }
        try "[colors\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect { try Theme.load(file: path) } throws: { "\($0)".hasPrefix("\(path):1:") }
        // What once aborted the process inside toml++ is a plain error now.
        for text in ["[[[", "[=]", "a = [}", "t = 1979-05-27T.7"] {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            #expect { try Theme.load(file: path) } throws: { "\($0)".hasPrefix("\(path):1:") }
        }
        // A theme is named, never reached by a path.
        for name in ["../../etc/x", "/tmp/x", "", "a b"] {
            #expect { try Theme.load(named: name) } throws: { "\($0)".contains("must be letters, digits") }
        }
    }
}
