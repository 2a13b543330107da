#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import B00tCore

/// Bad input through the real `b00t` binary: each is a clear error (exit 1), never an abort, a hang or raw
/// control characters on the terminal.
@Suite(.serialized) struct HardeningCLITests {
    func b00t(_ arguments: [String], _ sandbox: ServiceSandbox, environment: [String: String] = [:]) throws -> RunResult {
        var env = sandbox.cliEnvironment
        for (k, v) in environment { env[k] = v }
        return try run(Binaries.path("b00t"), arguments, environment: env)
    }

    /// Regression (walk-through): with a container engine whose CLI hangs, `b00t ps` waited a minute per
    /// container datum, one after another (4 minutes for four), and said only "unknown". Now one status waits
    /// 3 s and the engine is not asked again for a while; the reason is shown.
    @Test func aHungContainerEngineDoesNotHangPs() throws {
        let sandbox = ServiceSandbox()
        for name in ["one", "two", "three", "four"] {
            sandbox.write("\(name).docker.toml", "[b00t]\nname = \"\(name)\"\ntype = \"docker\"\ndocker_image = \"redis:7\"\n")
        }
        sandbox.write("fakebin/docker", "#!/bin/sh\nsleep 300\n")
        chmod(sandbox.datums.path + "/fakebin/docker", 0o755)
        let path = sandbox.datums.path + "/fakebin:" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let began = Date()
        let result = try b00t(["ps"], sandbox, environment: ["PATH": path])
        let took = Date().timeIntervalSince(began)
        #expect(took < 15, "ps took \(took) s")
        #expect(result.stdout.contains("one.docker") && result.stdout.contains("four.docker"), "\(result.stdout)")
        #expect((result.stdout + result.stderr).contains("docker did not answer within 3 s"), "\(result.stdout)\n\(result.stderr)")
    }

    /// `[[[` aborted nearly every command with a C++ assertion (exit 134).
    @Test func malformedTomlNeverTakesTheToolDown() throws {
        let sandbox = ServiceSandbox()
        sandbox.write("bad.process.toml", "[[[")
        sandbox.write("nul.process.toml", "[b00t]\nname = \"nul\"\n\0")
        sandbox.write("ok.process.toml", "[b00t]\nname = \"ok\"\ncommand = \"true\"\n")
        for arguments in [["datum", "list"], ["ps"], ["datum", "query", "type:process"]] {
            let result = try b00t(arguments, sandbox)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            #expect(result.stdout.contains("ok.process"))
        }
        let check = try b00t(["datum", "check"], sandbox)
        #expect(check.status == 1)
        #expect(check.stdout.contains("bad.process.toml:1:3: error: TOML syntax error: expected a key, found '['"), "\(check.stdout)")
        #expect(check.stdout.contains("nul.process.toml:3:1: error: TOML syntax error: unexpected NUL byte (U+0000)"), "\(check.stdout)")
        let up = try b00t(["up", "bad.process"], sandbox)
        #expect(up.status == 1)
        #expect(up.stderr.contains("no datum 'bad.process'"))
    }

    @Test func checkRunsTheDependencyGraphLikeUp() throws {
        let sandbox = ServiceSandbox()
        sandbox.write("a.process.toml", "[b00t]\nname = \"a\"\ncommand = \"true\"\ndepends_on = [\"b.process\"]\n")
        sandbox.write("b.process.toml", "[b00t]\nname = \"b\"\ncommand = \"true\"\n\ndepends_on = [\"a.process\"]\n")
        sandbox.write("c.process.toml", "[b00t]\nname = \"c\"\ncommand = \"true\"\ndepends_on = [\"ghost\"]\n")
        let check = try b00t(["datum", "check"], sandbox)
        #expect(check.status == 1)
        #expect(check.stdout.contains("c.process.toml:4:1: error: key 'b00t.depends_on[0]': no datum 'ghost' (needed by c.process depends_on)"),
                "\(check.stdout)")
        #expect(check.stdout.contains("dependency cycle: a.process → b.process → a.process"))
        #expect(check.stdout.contains("2 errors, 0 warnings"))
    }

    /// ESC, OSC, bidi overrides and newlines in datum fields reached `datum list/show` and `ps` raw.
    @Test func datumFieldsAreEscapedOnTheTerminal() throws {
        let sandbox = ServiceSandbox()
        sandbox.write("evil.process.toml", """
        [b00t]
        name = "evil"
        command = "true"
        hint = "\\u001b]0;pwned\\u0007\\u001b[2J exe\\u202Etxt.sh\\nforged.process  process  fake row"
        install = "line one\\n\\u001b[31mred"
        """)
        let list = try b00t(["datum", "list"], sandbox)
        #expect(!list.stdout.utf8.contains(0x1B))
        #expect(list.stdout.contains("\\e]0;pwned\\u{7}\\e[2J exe\\u{202E}txt.sh\\nforged.process"), "\(list.stdout)")
        #expect(list.stdout.split(separator: "\n").count == 2)
        let show = try b00t(["datum", "show", "evil"], sandbox)
        #expect(!show.stdout.utf8.contains(0x1B))
        #expect(!show.stdout.unicodeScalars.contains("\u{202E}"))
        #expect(show.stdout.contains("line one\n\\e[31mred"))
        let json = try b00t(["datum", "show", "--json", "evil"], sandbox)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect((object?["hint"] as? String)?.hasPrefix("\u{1B}]0;pwned") == true)
    }

    /// `--skills ':'` indexed out of range, `':0.5'` registered a skill named "0.5", `'x:'` became 0.5.
    @Test(arguments: [
        (":", "no proficiency after ':'"), (":0.5", "a skill name cannot be empty"), ("x:", "no proficiency after ':'"),
        ("a,,b", "entry 2 is empty"), ("rust:1.5", "must be a number in 0.0–1.0"), ("rust:nan", "must be a number in 0.0–1.0"),
        ("rust:0.9,rust:0.5", "'rust' is given twice"), ("bad\u{1B}[2J:0.5", "a skill name is"), ("", "entry 1 is empty"),
        ("::", "a skill name cannot be empty"),
    ])
    func skillListsAreParsedStrictly(skills: String, expected: String) throws {
        let sandbox = ServiceSandbox()
        let result = try b00t(["agent", "run", "--id", "x", "--skills", skills], sandbox)
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains(expected), "\(result.stderr)")
        #expect(!result.stderr.utf8.contains(0x1B))
    }

    /// `b00t logs` read the whole file (220 MB RSS for a 200 MB log); it reads the end only.
    @Test func logsTailsABigLogWithBoundedMemory() throws {
        let sandbox = ServiceSandbox()
        sandbox.write("big.process.toml", "[b00t]\nname = \"big\"\ncommand = \"true\"\n")
        let logs = try sandbox.paths.stateSubdirectory("logs")
        let fd = open(logs + "/big.process.log", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let line = Array(String(repeating: "x", count: 1023).utf8) + [0x0A]
        let block = Array((0..<1024).map { _ in line }.joined())
        for _ in 0..<150 { _ = block.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } }
        let tail = "last line with \u{1B}[2J escape\n"
        _ = tail.withCString { write(fd, $0, strlen($0)) }
        close(fd)
        var env = ProcessInfo.processInfo.environment
        for (k, v) in sandbox.cliEnvironment { env[k] = v }
        let output = sandbox.state.path + "/logs-output.txt"
        /// Peak RSS of one run. A spawned child's figure includes the test runner's own memory from before its
        /// exec (posix_spawn shares it), so it is only meaningful next to a baseline spawned the same way.
        func peak(_ args: [String]) throws -> (Int, Int32) {
            let pid = try Spawn.start([Binaries.path("b00t")] + args,
                                      options: .init(outputPath: output, workingDirectory: sandbox.state.path, environment: env))
            var status: Int32 = 0
            var usage = rusage()
            wait4(pid, &status, 0, &usage)
            return (usage.ru_maxrss, status)
        }
        let (baseline, _) = try peak(["--help"])
        try? FileManager.default.removeItem(atPath: output)
        let (logsPeak, status) = try peak(["logs", "--lines", "3", "big.process"])
        let text = try String(contentsOfFile: output, encoding: .utf8)
        #expect(Spawn.exitCode(status) == 0, "\(text)")
        #expect(text.hasSuffix("last line with \\e[2J escape\n"), "\(text.suffix(80))")
        #expect(text.split(separator: "\n").count == 3)
        // A 150 MB log; the process stays far below it (it reads the tail only).
        #expect(logsPeak - baseline < 40 * 1024, "max RSS \(logsPeak) KiB against \(baseline) KiB for --help")
        let raw = try b00t(["logs", "--raw", "--lines", "1", "big.process"], sandbox)
        #expect(raw.stdout == "last line with \u{1B}[2J escape\n")
        let zero = try b00t(["logs", "--lines", "0", "big.process"], sandbox)
        #expect(zero.status != 0)
        #expect(zero.stderr.contains("--lines must be from 1 to 100000"))
    }

    /// An empty or world-readable token file silently disabled authentication or leaked the token.
    @Test func badTokenFilesAreRefused() throws {
        let sandbox = ServiceSandbox()
        let token = sandbox.state.path + "/bus.token"
        for (content, mode, expected) in [("", 0o600, "empty or blank"), ("  \n", 0o600, "empty or blank"),
                                          ("s3cret\n", 0o644, "chmod 600")] as [(String, Int, String)] {
            _ = FileManager.default.createFile(atPath: token, contents: Data(content.utf8), attributes: [.posixPermissions: mode])
            let ping = try b00t(["bus", "ping"], sandbox)
            #expect(ping.status == 1, "\(ping.stdout) \(ping.stderr)")
            #expect(ping.stderr.contains(expected), "\(ping.stderr)")
        }
        try FileManager.default.removeItem(atPath: token)
        let blank = try b00t(["bus", "ping"], sandbox, environment: ["B00T_BUS_TOKEN": "   "])
        #expect(blank.status == 1)
        #expect(blank.stderr.contains("only whitespace"))
    }

    /// A state directory owned by another user was accepted, so that user could plant log symlinks and records.
    @Test(.enabled(if: getuid() == 0, "needs root to give a directory to another uid"))
    func stateDirectoryOwnedByAnotherUserIsRefused() throws {
        let sandbox = ServiceSandbox()
        sandbox.write("s.process.toml", "[b00t]\nname = \"s\"\ncommand = \"sleep\"\nargs = [\"1\"]\n")
        #expect(chown(sandbox.state.path, 65534, 65534) == 0)
        let up = try b00t(["up", "s.process"], sandbox)
        #expect(up.status == 1)
        #expect(up.stderr.contains("refusing to use \(sandbox.state.path): it belongs to uid 65534"), "\(up.stderr)")
        _ = chown(sandbox.state.path, 0, 0)
    }
}
