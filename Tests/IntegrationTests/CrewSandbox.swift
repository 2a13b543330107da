#if canImport(Glibc)
import Glibc
#endif
import Foundation
import B00tTestSupport
@testable import B00tCore

/// A private machine for one test: its own state dir, daemon socket and tmux server, real `b00t agent run`
/// processes, and whatever daemon the orchestrator starts — all stopped at the end, even when the test fails.
final class CrewSandbox: @unchecked Sendable {
    let dir = TempDir("b00t-crew")
    let env: [String: String]
    let paths: B00tPaths
    let tmux: Tmux
    private var agents: [String: Process] = [:]
    private let lock = NSLock()

    init(label: String = "crew") {
        paths = B00tPaths(stateDirectory: dir.path)
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = dir.path + "/home"
        env["B00T_STATE_DIR"] = dir.path
        env["B00T_BUS_SOCKET"] = dir.path + "/bus.sock"
        env["XDG_RUNTIME_DIR"] = ""
        env["B00T_DEBUG"] = nil
        env["B00T_BUS_TOKEN"] = nil
        env["B00T_BUS_URL"] = nil
        env["B00T_AGENT"] = nil
        env["LANG"] = "C.UTF-8"
        self.env = env
        try? FileManager.default.createDirectory(atPath: dir.path + "/home", withIntermediateDirectories: true)
        tmux = Tmux(socket: "b00t-\(label)-\(getpid())-\(UUID().uuidString.prefix(6))")
    }

    deinit { tearDown() }

    func tearDown() {
        tmux.kill()
        let running = lock.withLock { () -> [Process] in
            defer { agents.removeAll() }
            return Array(agents.values)
        }
        for p in running where p.isRunning { kill(p.processIdentifier, SIGKILL) }
        _ = try? orchestrator().stopBlocking("b00t-bus.process", force: true)
        // A session killed with the tmux server may still have reconnected (and so started a daemon again) on its
        // way out: whatever still runs with this sandbox's state folder goes too.
        killProcesses(withStateDirectory: dir.path)
    }

    func orchestrator() -> Orchestrator {
        Orchestrator(catalog: BuiltinDatums.adding(to: DatumCatalog()), paths: paths, environment: env)
    }

    /// `b00t agent run ARGS…` with its output in `<dir>/<id>.log`.
    @discardableResult
    func startAgent(_ id: String, _ extra: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Binaries.path("b00t"))
        p.arguments = ["agent", "run", "--id", id] + extra
        p.environment = env
        p.currentDirectoryURL = URL(fileURLWithPath: dir.path)
        let log = logPath(id)
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        p.standardOutput = FileHandle(forWritingAtPath: log)
        p.standardError = p.standardOutput
        try p.run()
        lock.withLock { agents[id] = p }
        return p
    }

    func logPath(_ id: String) -> String { dir.path + "/\(id).log" }

    func log(_ id: String) -> String { (try? String(contentsOfFile: logPath(id), encoding: .utf8)) ?? "" }

    func kill9(_ id: String) {
        guard let p = lock.withLock({ agents[id] }) else { return }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
    }

    /// A shell line for tmux: the environment set explicitly (tmux's server has its own), then `command`.
    func shellLine(_ command: String) -> String {
        let keys = ["HOME", "B00T_STATE_DIR", "B00T_BUS_SOCKET", "LANG"]
        let assignments = keys.compactMap { key in env[key].map { "\(key)='\($0)'" } }.joined(separator: " ")
        return "XDG_RUNTIME_DIR= \(assignments) \(command)"
    }

    /// Starts k0mmand3r (TUI) in a tmux session named `k0`.
    func startTUI(_ args: String, columns: Int = 100, rows: Int = 30) throws {
        let command = shellLine("\(Binaries.path("k0mmand3r")) \(args)") + "; echo EXIT=$?; sleep 60"
        try tmux.run(["new-session", "-d", "-s", "k0", "-x", "\(columns)", "-y", "\(rows)", command])
    }

    /// Runs the b00t CLI to completion in this sandbox.
    func b00t(_ args: [String], input: String? = nil) throws -> RunResult {
        try run(Binaries.path("b00t"), args, environment: env, input: input, currentDirectory: dir.path)
    }

    /// Polls `condition` every 20 ms for up to `seconds`.
    func until(_ what: String, seconds: Double = 15, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !(try condition()) {
            if Date() > deadline { throw TimedOut(what: what) }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }
}
