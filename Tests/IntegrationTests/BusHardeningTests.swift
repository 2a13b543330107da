#if canImport(Glibc)
import Glibc
#endif
import Foundation
import B00tTestSupport
import Testing
@testable import B00tCore

/// Issue 12, the bus side: numbers from the wire are checked, identities cannot be claimed, unsubscribing is
/// quiet, an over-large batch gets an answer that helps, one daemon owns a socket, bus URLs are parsed by one
/// strict type, and nothing an agent says reaches a terminal raw.
@Suite(.serialized) struct BusHardeningTests {
    @Test func wireNumbersAndIdentityClaimsAreChecked() async throws {
        let server = try await TestBusServer()
        defer { Task { await server.stop() } }
        let raw = try RawSocket(path: server.endpoint.socketPath)
        raw.send(#"{"v":1,"op":"hello","agent":"alice","id":0}"#)
        raw.send(#"{"v":1,"op":"events","after":"x","id":1}"#)
        raw.send(#"{"v":1,"op":"events","after":1e20,"id":2}"#)
        raw.send(#"{"v":1,"op":"events","limit":-1,"id":3}"#)
        raw.send(#"{"v":1,"op":"subscribe","from_seq":-5,"id":4}"#)
        raw.send(#"{"v":1,"op":"register","agent":"mallory","id":5}"#)
        raw.send(#"{"v":1,"op":"say","agent":"mallory","text":"hi","id":6}"#)
        raw.send(#"{"v":1,"op":"register","id":7}"#)
        raw.send(#"{"v":1,"op":"post_ahoy","role":"r","budget":9223372036854775807,"id":8}"#)
        raw.send(#"{"v":1,"op":"post_ahoy","role":"r","budget":2000000000000,"id":9}"#)
        let lines = try await offPool { raw.readLines(10) }
        #expect(lines.count == 10)
        func reply(_ id: Int) -> String { lines.first { $0.contains("\"id\":\(id),") } ?? "(none)" }
        #expect(reply(1).contains("malformed") && reply(1).contains("'after' must be a whole number"), "\(reply(1))")
        #expect(reply(2).contains("malformed") && reply(2).contains("'after'"), "\(reply(2))")
        #expect(reply(3).contains("'limit' must be a whole number 1–10000"), "\(reply(3))")
        #expect(reply(4).contains("'from_seq'"), "\(reply(4))")
        #expect(reply(5).contains("forbidden") && reply(5).contains("'agent' says 'mallory'"), "\(reply(5))")
        #expect(reply(6).contains("forbidden"), "\(reply(6))")
        #expect(reply(7).contains("\"ok\":true"), "\(reply(7))")
        #expect(reply(8).contains("is too large"), "\(reply(8))")
        #expect(reply(9).contains("larger than the 1000000000000 a bus accepts"), "\(reply(9))")
        #expect(await server.server.bus.state.agents["mallory"] == nil)
    }

    /// A handshake whose asker vanished still ends on the record: the daemon closes it once its deadline passed.
    @Test func theDaemonExpiresOverdueHandshakes() async throws {
        let server = try await TestBusServer()
        defer { Task { await server.stop() } }
        let shy = try RawSocket(path: server.endpoint.socketPath)
        shy.send(#"{"v":1,"op":"hello","agent":"shy","id":1}"#)
        shy.send(#"{"v":1,"op":"register","auto_accept_handshakes":false,"id":2}"#)
        _ = try await offPool { shy.readLines(2) }
        do {
            let asker = try RawSocket(path: server.endpoint.socketPath)
            asker.send(#"{"v":1,"op":"hello","agent":"asker","id":1}"#)
            asker.send(#"{"v":1,"op":"register","id":2}"#)
            asker.send(#"{"v":1,"op":"handshake","to":"shy","timeout_ms":300,"id":3}"#)
            _ = try await offPool { asker.readLines(3) }
        }  // the asker disconnects without waiting
        let bus = server.server.bus
        let deadline = ContinuousClock.now + .seconds(5)
        var expired: BusEvent?
        while expired == nil && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            expired = try await bus.events().first { if case .handshakeExpired = $0.body { return true }; return false }
        }
        #expect(expired?.from == "b00t")
        shy.send(#"{"v":1,"op":"reply_handshake","handshake":"hs-5","accept":true,"id":3}"#)
        let late = try await offPool { shy.readLines(1) }
        #expect(late.first?.contains(#""code":"closed""#) == true, "\(late)")
    }

    @Test func unsubscribingFromASQLiteBusIsQuiet() async throws {
        let dir = TempDir("b00t-unsub")
        let server = try await TestBusServer(backend: try SQLiteBusBackend(path: dir.path + "/bus.sqlite"))
        defer { Task { await server.stop() } }
        let raw = try RawSocket(path: server.endpoint.socketPath)
        raw.send(#"{"v":1,"op":"hello","agent":"alice","id":1}"#)
        raw.send(#"{"v":1,"op":"subscribe","from_seq":0,"id":2}"#)
        try await Task.sleep(for: .milliseconds(200))
        raw.send(#"{"v":1,"op":"unsubscribe","id":3}"#)
        raw.send(#"{"v":1,"op":"ping","id":4}"#)
        let lines = try await offPool { raw.readLines(4) }
        #expect(lines.count == 4)
        #expect(!lines.joined().contains("stream stopped"), "\(lines)")
        #expect(!lines.joined().contains("CancellationError"), "\(lines)")
    }

    @Test func aBatchLargerThanTheBurstIsToldToSplit() async throws {
        let server = try await TestBusServer(limits: .init(rate: 100, burst: 50))
        defer { Task { await server.stop() } }
        let raw = try RawSocket(path: server.endpoint.socketPath)
        raw.send(#"{"v":1,"op":"hello","agent":"bulk","id":1}"#)
        raw.send(#"{"v":1,"op":"register","id":2}"#)
        let big = (0..<60).map { #"{"op":"say","text":"m\#($0)"}"# }.joined(separator: ",")
        raw.send(#"{"v":1,"op":"batch","cmds":[\#(big)],"id":3}"#)
        let small = (0..<40).map { #"{"op":"say","text":"m\#($0)"}"# }.joined(separator: ",")
        raw.send(#"{"v":1,"op":"batch","cmds":[\#(small)],"id":4}"#)
        let lines = try await offPool { raw.readLines(4) }
        #expect(lines[2].contains("too_large") && lines[2].contains("split it into batches of at most 50"), "\(lines[2])")
        #expect(lines[3].contains("\"count\":40"), "\(lines[3])")
    }

    @Test func oneDaemonOwnsASocket() throws {
        let dir = TempDir("b00t-two")
        var env = ProcessInfo.processInfo.environment
        env["B00T_STATE_DIR"] = dir.path
        env["XDG_RUNTIME_DIR"] = ""
        env["B00T_BUS_TOKEN"] = nil
        let socket = dir.path + "/bus.sock"
        let first = Process()
        first.executableURL = URL(fileURLWithPath: Binaries.path("b00t"))
        first.arguments = ["bus", "serve", "--socket", socket, "--store", "memory"]
        first.environment = env
        first.standardError = FileHandle.nullDevice
        try first.run()
        defer { first.terminate(); first.waitUntilExit() }
        let deadline = Date().addingTimeInterval(10)
        while !FileManager.default.fileExists(atPath: socket) && Date() < deadline { usleep(20_000) }
        let second = try run(Binaries.path("b00t"), ["bus", "serve", "--socket", socket, "--store", "memory"], environment: env)
        #expect(second.status != 0)
        #expect(second.stderr.contains("already serves \(socket)") && second.stderr.contains("pid \(first.processIdentifier)"), "\(second.stderr)")
        // The first one is untouched: its socket still answers.
        env["B00T_BUS_SOCKET"] = socket
        let ping = try run(Binaries.path("b00t"), ["bus", "ping"], environment: env)
        #expect(ping.status == 0, "\(ping.stderr)")
    }

    @Test func tailIntoAFileShowsTheHistory() async throws {
        let crew = CrewSandbox(label: "tail")
        defer { crew.tearDown() }
        let piped = try run(Binaries.path("k0mmand3r"), ["--as", "writer"], environment: crew.env, input: "first words\nsecond words\n")
        #expect(piped.status == 0, "\(piped.stderr)")
        let out = crew.dir.path + "/tail.txt"
        let pid = try Spawn.start([Binaries.path("b00t"), "bus", "tail", "--from", "0"], options: .init(outputPath: out, environment: crew.env))
        defer { kill(pid, SIGTERM); _ = Spawn.wait(pid, timeout: .seconds(5)) }
        try crew.until("the history is in the file") {
            ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").contains("writer: second words")
        }
        #expect(((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").contains("writer: first words"))
    }

    @Test func busURLsAreParsedStrictly() throws {
        for bad in ["http://x", "ftp://host/0", "garbage", "redis://:pw@:7101/0", "redis://127.0.0.1:99999/0", "sqlite:",
                    "redis://\(String(repeating: "h", count: 300)):6379/0", "redis://host/notanumber"] {
            #expect(throws: BusError.self, "\(bad)") { try BusURL(parsing: bad) }
        }
        #expect(try BusURL(parsing: "redis://[::1]:7101/2") == .redis(RedisURL(host: "::1", port: 7101, db: 2)))
        #expect(try BusURL(parsing: "sqlite:/tmp/x.sqlite") == .sqlite(path: "/tmp/x.sqlite"))
        #expect(try BusURL.resolve(nil, environment: ["B00T_BUS_URL": ""], fallback: .daemon) == .daemon)
        #expect(throws: BusError.self) { try BusURL.resolve(nil, environment: ["B00T_BUS_URL": "http://x"], fallback: .daemon) }
        let dir = TempDir("b00t-urls")
        let env = ["HOME": dir.path, "B00T_STATE_DIR": dir.path, "XDG_RUNTIME_DIR": ""]
        for (binary, args) in [("b00t", ["agent", "run", "--id", "a", "--bus", "http://x"]), ("b00t", ["bus", "tail", "--bus", "garbage"]),
                               ("k0mmand3r", ["--bus", "ftp://x"]), ("b00t", ["bus", "serve", "--rate", "nan"]),
                               ("b00t", ["bus", "serve", "--burst", "inf"]), ("k0mmand3r", ["--color", "purple"]),
                               ("k0mmand3r", ["--bus", "sqlite:\(dir.path)/missing-folder/bus.sqlite"]),
                               ("b00t", ["agent", "run", "--id", "bad id!"])] {
            let result = try run(Binaries.path(binary), args, environment: env, input: "")
            #expect(result.status != 0, "\(binary) \(args): \(result.stdout)")
            #expect(!result.stderr.isEmpty)
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/missing-folder"))  // not quietly created
        // A folder given as the log file is named as such (it was blamed on the parent folder's mode).
        let folder = try run(Binaries.path("k0mmand3r"), ["--bus", "sqlite:\(dir.path)"], environment: env, input: "")
        #expect(folder.status != 0 && folder.stderr.contains("is a folder; give the log file's path"), "\(folder.stderr)")
        // `agent run --as` is `--id` (as `mcp serve --as` spells it): the same check of the same id.
        let viaAs = try run(Binaries.path("b00t"), ["agent", "run", "--as", "bad id!"], environment: env, input: "")
        #expect(viaAs.status != 0 && viaAs.stderr.contains("bad id!") && !viaAs.stderr.contains("Unknown option"), "\(viaAs.stderr)")
        let both = try run(Binaries.path("b00t"), ["agent", "run", "--help"], environment: env)
        #expect(both.stdout.contains("--id") && both.stdout.contains("--as"), "\(both.stdout)")
        // A check a subcommand makes when it runs prints that subcommand's usage (it printed the root's).
        for (args, usage) in [(["agent", "run"], "Usage: b00t agent run"), (["bus", "serve", "--store", "bogus"], "Usage: b00t bus serve")] {
            let result = try run(Binaries.path("b00t"), args, environment: env, input: "")
            #expect(result.status == 64 && result.stderr.contains(usage) && !result.stderr.contains("<subcommand>"), "\(args): \(result.stderr)")
        }
        var withEnv = env
        withEnv["B00T_BUS_URL"] = "garbage"
        let tail = try run(Binaries.path("b00t"), ["bus", "tail", "--no-follow"], environment: withEnv)
        #expect(tail.status != 0 && tail.stderr.contains("$B00T_BUS_URL"), "\(tail.stderr)")
    }

    @Test func recordingIsSavedWhenInputEnds() throws {
        let dir = TempDir("b00t-rec")
        let file = dir.path + "/session.k0"
        let result = try run(Binaries.path("k0mmand3r"), ["--bus", "memory", "--as", "rec"],
                             environment: ["HOME": dir.path, "B00T_STATE_DIR": dir.path], input: "/record \(file)\n/agents\nhello\n")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("saved 2 commands to \(file)"), "\(result.stdout)")
        #expect(((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").contains("/agents\nhello\n"))
    }

    @Test func whatAgentsSayNeverReachesATerminalRaw() async throws {
        let crew = CrewSandbox(label: "inject")
        defer { crew.tearDown() }
        let bus = try await BusConnector.connect(agent: "mallory", paths: crew.paths, environment: crew.env)
        defer { Task { await bus.close() } }
        let evil = "\u{1B}]0;pwned\u{07}\u{1B}[2J\u{202E}gnp.exe"
        try await bus.register(BusAgent(id: "mallory", role: evil, skills: ["rust": 0.5]))
        try await bus.say(from: "mallory", "line one\n#99 12:00:00.000 message forged line \(evil)")
        let piped = try run(Binaries.path("k0mmand3r"), ["--as", "reader"], environment: crew.env, input: "/agents\n/skills mallory\n")
        let tail = try crew.b00t(["bus", "tail", "--no-follow"])
        for text in [piped.stdout, tail.stdout] {
            #expect(!text.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{07}" || $0 == "\u{202E}" }, "\(text.debugDescription)")
            #expect(text.contains("\\e]0;pwned"))
        }
        #expect(!tail.stdout.contains("\n#99 "))  // the forged line stays inside its event
    }
}
