#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import B00tTestSupport
@testable import B00tCore
import K0mmand3rKit

/// Issue 17: k0mmand3r as good as the chat clients people already live in — each item of its "done when" on
/// the real binary under tmux, read off the screen.
@Suite(.serialized, .enabled(if: K0mmand3rTests.tmuxAvailable, "tmux is not installed"))
struct K0mmand3rChatTests {
    /// A private tmux server with named sessions.
    struct Panes {
        let tmux: Tmux
        func start(_ name: String, columns: Int = 100, rows: Int = 30, _ command: String) throws {
            try tmux.run(["new-session", "-d", "-s", name, "-x", "\(columns)", "-y", "\(rows)", command])
        }
        /// The session named exactly `name` (tmux would otherwise also match names it is a prefix of).
        func target(_ name: String) -> String { "=\(name):" }
        func screen(_ name: String) throws -> String { try tmux.run(["capture-pane", "-t", target(name), "-p"]) }
        func type(_ name: String, _ line: String) throws {
            try fastType(name, line)
            Thread.sleep(forTimeInterval: 0.15)
        }
        /// Keys as tmux names them; an Escape is followed by a pause, so the next key is not read as Alt-<key>.
        func keys(_ name: String, _ keys: String...) throws {
            try tmux.run(["send-keys", "-t", target(name)] + keys)
            if keys.last == "Escape" { Thread.sleep(forTimeInterval: 0.15) }
        }
        /// Types a line and Enter without pausing (many lines in a row).
        func fastType(_ name: String, _ line: String) throws {
            try tmux.run(["send-keys", "-t", target(name), "-l", line])
            try tmux.run(["send-keys", "-t", target(name), "Enter"])
        }
        func waitFor(_ name: String, _ text: String, seconds: Double = 10) throws {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if try screen(name).contains(text) { return }
                Thread.sleep(forTimeInterval: 0.05)
            }
            throw TimedOut(what: "'\(text)' on \(name); screen was:\n\(try screen(name))")
        }
    }

    /// k0mmand3r on an in-memory bus in a fresh folder (no themes or datums near it).
    func memoryTUI(_ panes: Panes, _ dir: TempDir, name: String = "k0", columns: Int = 100, rows: Int = 30,
                   extra: String = "", env: String = "") throws {
        let command = "cd '\(dir.path)' && LANG=C.UTF-8 NO_COLOR= HOME='\(dir.path)' B00T_STATE_DIR='\(dir.path)' \(env) "
            + "\(Binaries.path("k0mmand3r")) --bus memory --as captain \(extra); echo EXIT=$?; sleep 60"
        try panes.start(name, columns: columns, rows: rows, command)
        try panes.waitFor(name, "captain registered")
    }

    /// The width model agrees with tmux's own layout of the same strings (tmux 3.3a: what CI has).
    @Test func widthsMatchWhatTmuxLaysOut() throws {
        let tmux = Tmux(socket: "b00t-width-\(getpid())")
        defer { tmux.kill() }
        let dir = TempDir("widths")
        let samples = ["👍🏽", "👩‍💻", "🇯🇵", "🇯🇵🇫🇷x", "❤️", "☝🏽", "🏳️‍🌈", "👨‍👩‍👧‍👦", "1️⃣", "é", "日本語", "a\u{200D}b", "a\u{200D}💻",
                       "x🫨y", "ok ✓ — →", "tab\u{301}"]
        for (i, sample) in samples.enumerated() {
            let file = dir.write("s\(i).txt", sample)
            try tmux.run(["new-session", "-d", "-s", "w\(i)", "-x", "60", "-y", "3", "LANG=C.UTF-8 cat '\(file)'; sleep 30"])
            var x = ""
            let deadline = Date().addingTimeInterval(5)
            repeat {
                Thread.sleep(forTimeInterval: 0.05)
                x = try tmux.run(["display-message", "-p", "-t", "=w\(i):", "#{cursor_x}"]).trimmingCharacters(in: .whitespacesAndNewlines)
            } while (x == "0" || x.isEmpty) && Date() < deadline
            let expected = TextWidth.width(of: sample) - (sample.contains("🫨") ? 1 : 0)  // tmux drops what libc cannot print; we draw �
            #expect(Int(x) == expected, "\(sample): tmux \(x), model \(TextWidth.width(of: sample))")
            try tmux.run(["kill-session", "-t", "=w\(i)"])
        }
    }

    /// A 503-character line wraps under its text; the three emoji leave every border where it belongs; /help
    /// wraps at 60 columns.
    @Test func longLinesWrapAndEmojiKeepTheFrame() throws {
        let dir = TempDir("wrap")
        let panes = Panes(tmux: Tmux(socket: "b00t-wrap-\(getpid())"))
        defer { panes.tmux.kill() }
        try memoryTUI(panes, dir, columns: 80, rows: 24)
        let words = (0..<80).map { "w\($0)" }.joined(separator: " ")
        let long = String((words + " " + String(repeating: "z", count: 300)).prefix(503)) + " END503"
        try panes.type("k0", long)
        try panes.waitFor("k0", "END503")
        try panes.type("k0", "emoji 👍🏽 and 👩‍💻 and 🇯🇵 done")
        try panes.waitFor("k0", "done")
        let screen = try panes.screen("k0")
        let lines = screen.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let streamTop = try #require(lines.firstIndex { $0.hasPrefix("┌─ crew stream") })
        let streamBottom = try #require(lines.lastIndex { $0.hasPrefix("└") })
        for line in lines[(streamTop + 1)..<streamBottom] {
            #expect(line.hasPrefix("│") && line.hasSuffix("│"), "a row lost its border: \(line)\n\(screen)")
            #expect(TextWidth.width(of: line) == 80, "\(line)")
        }
        #expect(lines[streamBottom].hasSuffix("┘") && TextWidth.width(of: lines[streamBottom]) == 80)
        // The continuation rows hang under the text, past "HH:MM:SS captain: ".
        let continuation = try #require(lines.first { $0.contains("w30 ") || $0.contains(" w30") })
        #expect(continuation.hasPrefix("│" + String(repeating: " ", count: 19)), "\(continuation)")
        #expect(screen.contains("👍🏽 and 👩‍💻 and 🇯🇵 done"))

        try panes.tmux.run(["resize-window", "-t", panes.target("k0"), "-x", "60", "-y", "30"])
        try panes.keys("k0", "C-l")
        try panes.type("k0", "/help")
        try panes.waitFor("k0", "keys:")
        try panes.keys("k0", "PageUp")
        Thread.sleep(forTimeInterval: 0.3)
        let help = try panes.screen("k0")
        #expect(help.split(separator: "\n").allSatisfy { TextWidth.width(of: $0) <= 60 })
    }

    /// A 50-line paste is one message in the input (shown as such), sent with Enter; its "/quit" lines run nothing.
    @Test func aFiftyLinePasteIsOneMessage() throws {
        let dir = TempDir("paste")
        let panes = Panes(tmux: Tmux(socket: "b00t-paste-\(getpid())"))
        defer { panes.tmux.kill() }
        try memoryTUI(panes, dir)
        let text = (0..<50).map { $0 % 10 == 0 ? "/quit pasted \($0)" : "pasted line \($0)" }.joined(separator: "\n")
        let file = dir.write("paste.txt", text)
        try panes.tmux.run(["load-buffer", "-b", "p", file])
        try panes.tmux.run(["paste-buffer", "-p", "-b", "p", "-t", panes.target("k0")])
        try panes.waitFor("k0", "▾ 50 lines, sent as one message with Enter")
        #expect(!(try panes.screen("k0").contains("EXIT=")))
        try panes.keys("k0", "Enter")
        try panes.waitFor("k0", "pasted line 49")
        try panes.type("k0", "/agents")
        try panes.waitFor("k0", "* ● captain (human)")
        let screen = try panes.screen("k0")
        #expect(!screen.contains("EXIT="))
        #expect(!screen.contains("› /quit"))
        #expect(screen.contains("/quit pasted 40"))  // shown as text of the message
    }

    /// Regression: a paste larger than the reader could take in 10 s (it counted what it had once per character)
    /// was read as typed keys from there on: its lines went out as messages one by one and its "/…" lines ran as
    /// commands. Now a large paste is one message, cut (and saying so) past 48K characters, and nothing in it runs.
    @Test func aHugePasteIsCutNeverRun() throws {
        let dir = TempDir("bigpaste")
        let panes = Panes(tmux: Tmux(socket: "b00t-bigpaste-\(getpid())"))
        defer { panes.tmux.kill() }
        try memoryTUI(panes, dir)
        let filler = (0..<900).map { "filler \($0) " + String(repeating: "x", count: 70) }
        let commands = (0..<120).map { "/quit big \($0)" }
        let file = dir.write("big.txt", (filler + commands).joined(separator: "\n"))
        try panes.tmux.run(["load-buffer", "-b", "big", file])
        try panes.tmux.run(["paste-buffer", "-p", "-b", "big", "-t", panes.target("k0")])
        try panes.waitFor("k0", "lines, sent as one message with Enter", seconds: 20)
        Thread.sleep(forTimeInterval: 1)
        #expect(!(try panes.screen("k0").contains("EXIT=")))
        try panes.keys("k0", "Enter")
        try panes.waitFor("k0", "paste cut at 48K characters", seconds: 20)
        try panes.type("k0", "/agents")
        try panes.waitFor("k0", "* ● captain (human)")
        let screen = try panes.screen("k0")
        #expect(!screen.contains("EXIT="))
        #expect(!screen.contains("› /quit"))
        #expect(!screen.contains("big 119"), "the part past the cut is dropped, not typed")
    }

    /// Nick completion anywhere in chat, Tab cycling and Shift-Tab; /search and ^F highlight and jump.
    @Test func nickCompletionAndSearch() throws {
        let dir = TempDir("nick")
        let panes = Panes(tmux: Tmux(socket: "b00t-nick-\(getpid())"))
        defer { panes.tmux.kill() }
        try memoryTUI(panes, dir)
        for line in ["/as dev1", "/as dev2", "/as captain"] { try panes.type("k0", line) }
        try panes.waitFor("k0", "now speaking as captain")
        try panes.keys("k0", "-l", "de")
        try panes.keys("k0", "Tab")
        try panes.waitFor("k0", "› dev1:")
        try panes.waitFor("k0", "[dev1]  dev2")
        try panes.keys("k0", "Tab")
        try panes.waitFor("k0", "› dev2:")
        try panes.keys("k0", "BTab")
        try panes.waitFor("k0", "› dev1:")
        try panes.keys("k0", "-l", "ping @d")
        try panes.keys("k0", "Tab")
        try panes.waitFor("k0", "› dev1: ping @dev1")
        try panes.keys("k0", "Enter")
        try panes.waitFor("k0", "captain: dev1: ping @dev1")

        for i in 0..<40 { try panes.fastType("k0", "filler \(i)") }
        try panes.type("k0", "a needle in the hay")
        for i in 40..<70 { try panes.fastType("k0", "filler \(i)") }
        try panes.waitFor("k0", "filler 69")
        #expect(!(try panes.screen("k0").contains("a needle in")))  // scrolled out of view
        try panes.type("k0", "/search needle")
        try panes.waitFor("k0", "find “needle” 1/1")
        try panes.waitFor("k0", "captain: a needle in the hay")
        // ^F: the prompt, typed incrementally.
        try panes.keys("k0", "Escape")
        try panes.keys("k0", "C-f")
        try panes.keys("k0", "-l", "filler 1")
        try panes.waitFor("k0", "find › filler 1")
        try panes.waitFor("k0", "/11 · ^F older")
        try panes.keys("k0", "Escape")
        try panes.waitFor("k0", "filler 69")
    }

    /// Home and End jump to the top and bottom; the wheel scrolls (reporting on, and /mouse off turns it off).
    @Test func homeEndAndTheWheel() throws {
        let dir = TempDir("wheel")
        let panes = Panes(tmux: Tmux(socket: "b00t-wheel-\(getpid())"))
        defer { panes.tmux.kill() }
        try memoryTUI(panes, dir)
        for i in 0..<60 { try panes.fastType("k0", "line \(i)") }
        try panes.waitFor("k0", "captain: line 59")
        try panes.keys("k0", "Home")
        try panes.waitFor("k0", "captain registered")
        #expect(!(try panes.screen("k0").contains("line 59")))
        try panes.keys("k0", "End")
        try panes.waitFor("k0", "captain: line 59")
        // An X10 wheel-up report, as a terminal sends it with mouse reporting on.
        #expect(try panes.tmux.run(["display-message", "-p", "-t", panes.target("k0"), "#{mouse_standard_flag}"]).hasPrefix("1"))
        try panes.keys("k0", "-H", "1b", "5b", "4d", "60", "21", "21")
        try panes.waitFor("k0", "scrolled")
        try panes.type("k0", "/mouse off")
        try panes.waitFor("k0", "mouse off: the terminal selects text")
        #expect(try panes.tmux.run(["display-message", "-p", "-t", panes.target("k0"), "#{mouse_standard_flag}"]).hasPrefix("0"))
    }

    /// Themes come with the binary: `/theme solarized-dark` from a folder with no themes; NO_COLOR means mono.
    @Test func themesFromAnotherFolderAndNoColor() throws {
        let dir = TempDir("themes")
        let panes = Panes(tmux: Tmux(socket: "b00t-theme-\(getpid())"))
        defer { panes.tmux.kill() }
        try memoryTUI(panes, dir)
        try panes.type("k0", "/theme solarized-dark")
        try panes.waitFor("k0", "theme solarized-dark")
        try panes.waitFor("k0", "│ theme solarized-dark")
        try memoryTUI(panes, dir, name: "mono", env: "NO_COLOR=1")
        try panes.waitFor("mono", "│ theme mono")
        // Hidden stream: a placeholder line, not a blank screen.
        try panes.keys("mono", "F3")
        try panes.waitFor("mono", "▸ crew stream hidden")
    }

    /// ^Z suspends to the shell and `fg` brings the screen back (it once ignored ^Z and took "fg" as chat).
    @Test func suspendAndResume() throws {
        let dir = TempDir("suspend")
        let panes = Panes(tmux: Tmux(socket: "b00t-tstp-\(getpid())"))
        defer { panes.tmux.kill() }
        try panes.start("sh", "env -i PATH=/usr/bin:/bin TERM=screen bash --norc --noprofile -i")
        Thread.sleep(forTimeInterval: 0.3)
        try panes.type("sh", "cd '\(dir.path)' && LANG=C.UTF-8 HOME='\(dir.path)' B00T_STATE_DIR='\(dir.path)' \(Binaries.path("k0mmand3r")) --bus memory --as zed")
        try panes.waitFor("sh", "zed registered")
        try panes.keys("sh", "C-z")
        try panes.waitFor("sh", "Stopped")
        try panes.type("sh", "fg")
        try panes.waitFor("sh", "┌─ crew stream")
        try panes.type("sh", "/agents")
        try panes.waitFor("sh", "* ● zed (human)")
        #expect(!(try panes.screen("sh").contains("zed: fg")))
    }

    /// The original tool's commands, typed: /status, /crew join, /delegate, /negotiate, and an observer's vote.
    @Test func theOriginalToolsCommands() throws {
        let dir = TempDir("original")
        let panes = Panes(tmux: Tmux(socket: "b00t-orig-\(getpid())"))
        defer { panes.tmux.kill() }
        try memoryTUI(panes, dir, columns: 120, rows: 40)
        for line in ["/as dev1", "/as owl --observer", "/as captain", "/crew form api dev1", "/status steering"] {
            try panes.type("k0", line)
        }
        try panes.waitFor("k0", "captain status: human — steering")
        try panes.type("k0", "/as owl")
        try panes.type("k0", "/crew join api")
        try panes.waitFor("k0", "owl joined crew api")
        try panes.type("k0", "/as captain")
        try panes.type("k0", "/delegate owl 5")
        try panes.waitFor("k0", "observers cannot captain a crew")
        try panes.type("k0", "/delegate dev1 50")
        try panes.waitFor("k0", "captain hands the crown of api to dev1 👑 (budget 50)")
        try panes.type("k0", "/negotiate gpu 2 training run")
        try panes.waitFor("k0", "captain asks api for 2 gpu (neg-")
        try panes.type("k0", "/propose ship it")
        try panes.waitFor("k0", "proposes prop-")
        let screen = try panes.screen("k0")
        let proposal = try #require(screen.firstMatch(of: /proposes (prop-\d+)/).map { String($0.1) })
        try panes.type("k0", "/as owl")
        try panes.type("k0", "/vote \(proposal) yes")
        try panes.waitFor("k0", "observers read and chat but do not vote")
        try panes.type("k0", "just watching")
        try panes.waitFor("k0", "owl @api: just watching")
    }

    @Test func versionFlags() throws {
        for binary in ["b00t", "k0mmand3r"] {
            let result = try run(Binaries.path(binary), ["--version"])
            #expect(result.status == 0 && result.stdout == "\(binary) \(B00tVersion.current)\n", "\(result.stdout)\(result.stderr)")
        }
    }
}

/// Private messages, crew chat, agents from datums and agent services: on the daemon, several sessions.
@Suite(.serialized, .enabled(if: K0mmand3rTests.tmuxAvailable, "tmux is not installed"))
struct K0mmand3rCrewChatTests {
    func tui(_ crew: CrewSandbox, _ name: String, as agent: String, in folder: String? = nil, columns: Int = 100, rows: Int = 30) throws {
        let command = "cd '\(folder ?? crew.dir.path)' && " + crew.shellLine("\(Binaries.path("k0mmand3r")) --as \(agent)") + "; echo EXIT=$?; sleep 60"
        try crew.tmux.run(["new-session", "-d", "-s", name, "-x", "\(columns)", "-y", "\(rows)", command])
    }

    /// `/msg` reaches the two and nobody else; crew chat reaches the crew; `bus tail` shows each reader its share.
    @Test func privateMessagesAndCrewChatStayWithTheirReaders() throws {
        let crew = CrewSandbox(label: "msg")
        defer { crew.tearDown() }
        let panes = K0mmand3rChatTests.Panes(tmux: crew.tmux)
        try tui(crew, "a", as: "alice")
        try panes.waitFor("a", "alice registered", seconds: 20)
        try tui(crew, "b", as: "bob")
        try tui(crew, "c", as: "carol")
        try panes.waitFor("a", "carol registered", seconds: 20)
        try panes.waitFor("a", "bob registered")
        try panes.type("a", "/msg bob secret-4711 for your eyes")
        try panes.waitFor("a", "alice → bob: secret-4711")
        try panes.waitFor("b", "alice → bob: secret-4711")
        try panes.type("a", "/crew form duo bob")
        try panes.waitFor("a", "formed crew duo")
        try panes.type("a", "crew-only-0815")
        try panes.waitFor("b", "alice @duo: crew-only-0815")
        try panes.type("a", "/crew leave duo")
        try panes.type("a", "public-after for all")
        try panes.waitFor("c", "alice: public-after for all")
        let third = try panes.screen("c")
        #expect(!third.contains("secret-4711"), "\(third)")
        #expect(!third.contains("crew-only-0815"), "\(third)")
        // The bus tail of each reader.
        let carol = try crew.b00t(["bus", "tail", "--no-follow", "--as", "carol"])
        #expect(carol.status == 0 && carol.stdout.contains("public-after") && !carol.stdout.contains("secret-4711")
                && !carol.stdout.contains("crew-only-0815"), "\(carol.stdout)\(carol.stderr)")
        let bob = try crew.b00t(["bus", "tail", "--no-follow", "--as", "bob"])
        #expect(bob.stdout.contains("secret-4711") && bob.stdout.contains("crew-only-0815"))
        #expect(try crew.b00t(["bus", "tail", "--no-follow", "--all"]).stdout.contains("secret-4711"))
    }

    /// `/as alpha` takes alpha.agent's role and skills; `/agent start beta` runs beta as a service (marked ⚙,
    /// with its pid in the services pane and `/logs`), `/agent stop beta` ends it.
    @Test func agentsFromDatums() throws {
        let crew = CrewSandbox(label: "datums")
        defer { crew.tearDown() }
        let project = crew.dir.path + "/project"
        for (name, text) in [("alpha", "role = \"specialist\"\nskills = { rust = 0.9, swift = 0.8 }"),
                             ("beta", "role = \"generalist\"\nskills = { python = 0.8, docs = 0.75 }")] {
            crew.dir.write("project/_b00t_/\(name).agent.toml", "[b00t]\nname = \"\(name)\"\ntype = \"agent\"\nhint = \"test\"\n\n[b00t.agent]\n\(text)\n")
        }
        let panes = K0mmand3rChatTests.Panes(tmux: crew.tmux)
        try tui(crew, "k0", as: "captain", in: project, columns: 120, rows: 36)
        try panes.waitFor("k0", "captain registered", seconds: 20)
        #expect(try panes.screen("k0").contains(" socket │ as captain │ crew - │ ahoys 0 │ theme "))
        try panes.type("k0", "/as alpha")
        try panes.waitFor("k0", "now speaking as alpha — specialist, rust 0.90, swift 0.80 (from alpha.agent)")
        try panes.type("k0", "/skills")
        try panes.waitFor("k0", "(can teach)")
        try panes.type("k0", "/as captain")
        try panes.type("k0", "/agent start beta")
        try panes.waitFor("k0", "started agent-beta.process (pid ", seconds: 20)
        try panes.waitFor("k0", "beta is online", seconds: 15)
        try panes.waitFor("k0", "●⚙beta")
        try panes.waitFor("k0", "PID")
        let catalog = BuiltinDatums.adding(to: DatumLoader(searchPath: DatumSearchPath(folders: [project + "/_b00t_"])).load())
        let orchestrator = Orchestrator(catalog: catalog, paths: crew.paths, environment: crew.env)
        let pid = try #require(try orchestrator.statusBlocking(["agent-beta.process"]).first?.pid)
        try panes.waitFor("k0", " \(pid) ")
        try panes.type("k0", "/logs agent-beta.process -n 5")
        try panes.waitFor("k0", "of agent-beta.process's log")
        try panes.type("k0", "/agent stop beta")
        try panes.waitFor("k0", "stopped agent-beta.process", seconds: 15)
        try panes.waitFor("k0", "beta left", seconds: 15)
        #expect(!ProcFS.isAlive(pid))
    }

    /// A chat line typed while a command waits (a handshake nobody answers) is sent at once, not after the wait.
    @Test func chatDoesNotWaitBehindASlowCommand() throws {
        let crew = CrewSandbox(label: "beside")
        defer { crew.tearDown() }
        let panes = K0mmand3rChatTests.Panes(tmux: crew.tmux)
        try tui(crew, "k0", as: "captain")
        try panes.waitFor("k0", "captain registered", seconds: 20)
        try crew.startAgent("ghost", ["--skills", "x:0.1"])
        try panes.waitFor("k0", "ghost registered")
        crew.kill9("ghost")
        try panes.waitFor("k0", "ghost left")
        try panes.type("k0", "/handshake ghost ping")
        try panes.waitFor("k0", "Esc cancels")
        try panes.type("k0", "meanwhile, hello")
        try panes.waitFor("k0", "captain: meanwhile, hello", seconds: 3)
        #expect(try panes.screen("k0").contains("Esc cancels"))  // the handshake still waits
        try panes.keys("k0", "Escape")
        try panes.waitFor("k0", "cancelled: /handshake ghost ping")
    }
}
