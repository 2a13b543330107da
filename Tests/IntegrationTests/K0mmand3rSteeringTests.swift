#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import B00tCore

/// Issue 10, each numbered failure: k0mmand3r on the default (daemon) bus beside real `b00t agent run`
/// processes, driven under tmux and read off the screen.
@Suite(.serialized, .enabled(if: K0mmand3rTests.tmuxAvailable, "tmux is not installed"))
struct K0mmand3rSteeringTests {
    /// 1: agents started in other processes are seen at once, and a handshake with one goes both ways.
    @Test func agentsInOtherProcessesAreSeenAndAnswer() throws {
        let crew = CrewSandbox(label: "see")
        defer { crew.tearDown() }
        try crew.startTUI("--as captain")
        try crew.tmux.waitFor("captain registered", seconds: 15)
        try crew.startAgent("dev3", ["--skills", "docker:0.8,go:0.6"])
        try crew.tmux.waitFor("dev3 registered")
        try crew.tmux.type("/handshake dev3 hi")
        try crew.tmux.waitFor("dev3 accepted hs-")
        #expect(!crew.log("dev3").contains("no handshake"))
        try crew.tmux.type("/agents")
        try crew.tmux.waitFor("● dev3 (member)")
    }

    /// 2: a command that waits does not freeze the screen: keys echo, the spinner moves, Esc cancels, and the
    /// request expires on the bus (a late answer would be refused).
    @Test func theScreenNeverFreezesWhileACommandWaits() throws {
        let crew = CrewSandbox(label: "freeze")
        defer { crew.tearDown() }
        try crew.startTUI("--as captain")
        try crew.tmux.waitFor("captain registered", seconds: 15)
        try crew.startAgent("ghost", ["--skills", "x:0.1"])
        try crew.tmux.waitFor("ghost registered")
        crew.kill9("ghost")  // registered, answers its own handshakes, but no longer running
        try crew.tmux.waitFor("ghost left")
        try crew.tmux.type("/handshake ghost ping")
        try crew.tmux.waitFor("/handshake ghost ping")
        try crew.tmux.waitFor("Esc cancels")
        try crew.tmux.keys("-l", "still typing")
        try crew.tmux.waitFor("› still typing", seconds: 2)
        let first = try crew.tmux.bottom()
        Thread.sleep(forTimeInterval: 0.6)
        #expect(try crew.tmux.bottom() != first)  // the elapsed time moves
        try crew.tmux.keys("Escape")
        try crew.tmux.waitFor("cancelled: /handshake ghost ping")
        try crew.tmux.waitFor("expired: captain stopped waiting")
        #expect(try crew.tmux.capture().contains("› still typing"))  // the typed text survived
        // The next command runs at once.
        try crew.tmux.keys("C-u")
        try crew.tmux.type("/agents")
        try crew.tmux.waitFor("○ ghost (member)")
        // ^C cancels a waiting command too (and does not quit: the screen stays).
        try crew.tmux.type("/handshake ghost again")
        try crew.tmux.waitFor("Esc cancels")
        try crew.tmux.keys("C-c")
        try crew.tmux.waitFor("cancelled: /handshake ghost again")
        try crew.tmux.type("/agents")
        try crew.tmux.waitFor("/agents", seconds: 5)
        #expect(!(try crew.tmux.capture().contains("EXIT=")), "^C during a command must not end k0mmand3r")
    }

    /// 5: errors stay on the record under their command, and an agent's refusal reaches the stream.
    @Test func errorsAndRefusalsStayOnTheRecord() throws {
        let crew = CrewSandbox(label: "errors")
        defer { crew.tearDown() }
        try crew.startTUI("--as captain")
        try crew.tmux.waitFor("captain registered", seconds: 15)
        try crew.startAgent("dev1", ["--skills", "rust:0.9,docker:0.5"])
        try crew.tmux.waitFor("dev1 registered")
        try crew.tmux.type("/crew form solo")
        try crew.tmux.type("/agents")
        try crew.tmux.waitFor("● dev1 (member)")
        let screen = try crew.tmux.capture()
        let lines = screen.split(separator: "\n").map(String.init)
        let command = try #require(lines.firstIndex { $0.contains("› /crew form solo") })
        #expect(lines[command + 1].contains("error: usage: /crew form NAME AGENT"), "\(screen)")
        try crew.tmux.type("/learn docker from dev1")
        try crew.tmux.waitFor("asked dev1 to teach you docker")
        try crew.tmux.waitFor("dev1 declined learn-")
        #expect(try crew.tmux.capture().contains("docker is 0.50, below the 0.70 needed to teach"))
    }

    /// 4: stopping the daemon asks first; after it, the session and the agents reconnect and carry on.
    @Test func sessionsSurviveTheDaemon() throws {
        let crew = CrewSandbox(label: "daemon")
        defer { crew.tearDown() }
        try crew.startTUI("--as captain")
        try crew.tmux.waitFor("captain registered", seconds: 15)
        try crew.startAgent("dev1", ["--skills", "rust:0.9"])
        try crew.tmux.waitFor("dev1 registered")
        let before = try #require(try crew.orchestrator().statusBlocking(["b00t-bus.process"]).first?.pid)
        try crew.tmux.type("/stop b00t-bus.process")
        try crew.tmux.waitFor("Stop the bus daemon? [y/N]")
        try crew.tmux.keys("n")
        try crew.tmux.waitFor("not done: /stop b00t-bus.process")
        #expect(ProcFS.isAlive(before))
        // Typing on instead of answering declines and loses no keystroke: the whole line is sent as chat (the
        // first letter used to be taken as the answer).
        try crew.tmux.type("/stop b00t-bus.process")
        try crew.tmux.waitFor("Stop the bus daemon? [y/N]")
        try crew.tmux.type("hello while asked")
        try crew.tmux.waitFor("hello while asked")
        #expect(ProcFS.isAlive(before))
        // ^C answers no (it quit k0mmand3r).
        try crew.tmux.type("/stop b00t-bus.process")
        try crew.tmux.waitFor("Stop the bus daemon? [y/N]")
        try crew.tmux.keys("C-c")
        try crew.until("^C declined") { try crew.tmux.capture().components(separatedBy: "not done: /stop").count >= 3 }
        Thread.sleep(forTimeInterval: 0.3)
        #expect(!(try crew.tmux.capture().contains("EXIT=")))
        #expect(ProcFS.isAlive(before))
        try crew.tmux.type("/stop b00t-bus.process")
        try crew.tmux.waitFor("Stop the bus daemon? [y/N]")
        try crew.tmux.keys("y")
        try crew.tmux.waitFor("stopped b00t-bus.process")
        try crew.until("the agent reconnects") { crew.log("dev1").contains("reconnected to the bus") }
        try crew.tmux.waitFor("dev1 is online")
        let after = try #require(try crew.orchestrator().statusBlocking(["b00t-bus.process"]).first?.pid)
        #expect(after != before)
        // Writes work again, and the agent still reacts.
        try crew.tmux.type("/ahoy backend --skills rust --budget 5 after the restart")
        try crew.tmux.waitFor("dev1 applies to ahoy-")
        #expect(!crew.log("dev1").contains("stopped"))
    }

    /// Stopping the daemon from the TUI with nobody else connected stops it (it used to be restarted at once by
    /// the TUI's own reconnect); the next command that needs the bus starts it again.
    @Test func stoppingTheDaemonAloneKeepsItStoppedUntilNeeded() throws {
        let crew = CrewSandbox(label: "stopalone")
        defer { crew.tearDown() }
        try crew.startTUI("--as captain")
        try crew.tmux.waitFor("captain registered", seconds: 15)
        try crew.tmux.type("/stop b00t-bus.process")
        try crew.tmux.waitFor("stopped b00t-bus.process")
        try crew.tmux.waitFor("daemon stopped — the next bus command starts it")
        Thread.sleep(forTimeInterval: 1.5)
        #expect(try crew.orchestrator().statusBlocking(["b00t-bus.process"]).first?.state != .running)
        try crew.tmux.type("/agents")
        try crew.tmux.waitFor("* ● captain (human)", seconds: 15)
        #expect(try crew.orchestrator().statusBlocking(["b00t-bus.process"]).first?.state == .running)
    }

    /// 8: presence — a killed agent shows offline, online agents come first, and an overflowing pane says how
    /// many more there are.
    @Test func presenceAndOverflowInTheAgentsPane() throws {
        let crew = CrewSandbox(label: "presence")
        defer { crew.tearDown() }
        // Twelve registered agents (offline: their pipe sessions ended) before the TUI starts.
        let script = (1...12).map { String(format: "/as idle%02d", $0) }.joined(separator: "\n") + "\n"
        let piped = try run(Binaries.path("k0mmand3r"), ["--as", "setup"], environment: crew.env, input: script)
        #expect(piped.status == 0, "\(piped.stderr)")
        try crew.startTUI("--as captain", columns: 80, rows: 24)
        try crew.tmux.waitFor("captain registered", seconds: 15)
        try crew.startAgent("zed", ["--skills", "rust:0.9,go:0.8,docker:0.7"])
        try crew.tmux.waitFor("zed registered")
        // Online before the offline idle agents, though it sorts last by name; the rest summed up.
        try crew.tmux.waitFor("● zed")
        try crew.tmux.waitFor("agents 2/15 online")
        let screen = try crew.tmux.capture()
        #expect(screen.contains("● captain"))
        // What does not fit is summed up in the pane's bottom border, whole at 80 columns.
        #expect(screen.contains("+10 more — /agents"), "\(screen)")
        #expect(screen.split(separator: "\n").allSatisfy { $0.count <= 80 })
        // Skill bars fit: zed's line ends inside the pane, with as many skills as fit.
        let zed = try #require(screen.split(separator: "\n").first { $0.contains("● zed") })
        #expect(zed.contains("rust"))
        crew.kill9("zed")
        try crew.tmux.waitFor("zed left (connection closed)")
        try crew.tmux.waitFor("agents 1/15 online")
        #expect(!(try crew.tmux.capture().contains("● zed")))
        try crew.tmux.type("/agents")
        try crew.tmux.waitFor("○ zed (member)")
    }

    /// 3: line mode in a real terminal: no crash, history, Tab completion, ^D exits 0.
    /// On every bus it was reported crashing on: memory, the embedded SQLite log, the daemon's socket.
    @Test(arguments: ["memory", "sqlite", "socket"])
    func lineModeWorksInATerminal(_ bus: String) throws {
        let crew = CrewSandbox(label: "line")
        defer { crew.tearDown() }
        let command = crew.shellLine("\(Binaries.path("k0mmand3r")) --line --bus \(bus) --as liner") + "; echo EXIT=$?; sleep 60"
        try crew.tmux.run(["new-session", "-d", "-s", "k0", "-x", "100", "-y", "30", command])
        try crew.tmux.waitFor("as liner", seconds: 15)
        // (/agen would stop at the common prefix of /agent and /agents.)
        try crew.tmux.keys("/agents", "Tab")
        try crew.tmux.waitFor("k0mmand3r› /agents")
        try crew.tmux.keys("Enter")
        try crew.tmux.waitFor("* ● liner (human)")
        try crew.tmux.keys("Up")
        // The recalled line on the new prompt (waited for: libedit redraws when it has read the key).
        try crew.until("the recalled line", seconds: 5) {
            try crew.tmux.capture().components(separatedBy: "k0mmand3r› /agents").count - 1 >= 2
        }
        // ^C discards the line being typed (it once ended the program with 130).
        try crew.tmux.keys("C-u", "-l", "half typed")
        try crew.tmux.keys("C-c")
        try crew.tmux.waitFor("half typed^C")
        try crew.tmux.keys("-l", "/skills")
        try crew.tmux.keys("Enter")
        try crew.tmux.waitFor("liner has no skills yet")
        #expect(!(try crew.tmux.capture().contains("half typed/skills")))
        try crew.tmux.keys("C-d")
        try crew.tmux.waitFor("EXIT=0")
    }

    /// Regression: line mode moved its "seen" mark to the log's end after every command, so what others said
    /// while the prompt waited was never shown. It is shown at the next prompt (a message to it, here).
    @Test func lineModeShowsWhatOthersSaidWhileItWaited() throws {
        let crew = CrewSandbox(label: "lineseen")
        defer { crew.tearDown() }
        let command = crew.shellLine("\(Binaries.path("k0mmand3r")) --line --bus socket --as liner") + "; echo EXIT=$?; sleep 60"
        try crew.tmux.run(["new-session", "-d", "-s", "k0", "-x", "100", "-y", "30", command])
        try crew.tmux.waitFor("as liner", seconds: 15)
        let piped = try run(Binaries.path("k0mmand3r"), ["--bus", "socket", "--as", "other"], environment: crew.env,
                            input: "/msg liner are you there\nsaid to everyone\n")
        #expect(piped.status == 0, "\(piped.stderr)")
        try crew.tmux.keys("Enter")
        try crew.tmux.waitFor("are you there")
        try crew.tmux.waitFor("said to everyone")
        try crew.tmux.keys("C-d")
        try crew.tmux.waitFor("EXIT=0")
    }

    /// Two sessions open at once both keep their history (each used to write its own view over the other's).
    @Test func concurrentSessionsKeepEachOthersHistory() throws {
        let crew = CrewSandbox(label: "hist")
        defer { crew.tearDown() }
        for name in ["a", "b"] {
            let command = crew.shellLine("\(Binaries.path("k0mmand3r")) --line --bus memory --as \(name)") + "; echo EXIT=$?; sleep 60"
            try crew.tmux.run(["new-session", "-d", "-s", name, "-x", "100", "-y", "20", command])
        }
        func pane(_ name: String) throws -> String { try crew.tmux.run(["capture-pane", "-t", name, "-p"]) }
        try crew.until("both prompts") { try pane("a").contains("k0mmand3r›") && pane("b").contains("k0mmand3r›") }
        try crew.tmux.run(["send-keys", "-t", "a", "-l", "/skills concurrentA"])
        try crew.tmux.run(["send-keys", "-t", "a", "Enter", "C-d"])
        try crew.until("a quits") { try pane("a").contains("EXIT=0") }
        try crew.tmux.run(["send-keys", "-t", "b", "-l", "/skills concurrentB"])
        try crew.tmux.run(["send-keys", "-t", "b", "Enter", "C-d"])
        try crew.until("b quits") { try pane("b").contains("EXIT=0") }
        let history = (try? String(contentsOfFile: crew.dir.path + "/k0mmand3r_history", encoding: .utf8)) ?? ""
        #expect(history.contains("concurrentA") && history.contains("concurrentB"), "\(history)")
    }

    /// 6: `/as` back to an earlier identity works over the socket (the connection re-binds).
    @Test func replayOverTheSocketSwitchesBackAndForth() throws {
        let crew = CrewSandbox(label: "asback")
        defer { crew.tearDown() }
        let file = crew.dir.write("switch.k0", """
            @as alice
            @as bob
            @as alice
            /ahoy review --budget 3 please
            @expect posted
            @as bob
            /agents
            @expect * ● bob
            @as alice
            @await bob is online
            """)
        let result = try crew.b00t(["replay", "--bus", "socket", file])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.hasPrefix("ok "))
    }
}
