#if canImport(Glibc)
import Glibc
#endif
import Foundation
import B00tTestSupport
@testable import B00tCore

/// Several "machines" for one test: network namespaces on a bridge (`Tests/netlab/netlab`), each host with its
/// own address, state and runtime folders, reaching the others only over the bridge. The test process itself
/// sits on the bridge as an observer host (`.254`). Everything is torn down at the end, even on failure.
final class NetLab: @unchecked Sendable {
    static let script = packageRoot + "/Tests/netlab/netlab"

    /// Why namespaces cannot be made here, or nil when they can.
    static let unavailableReason: String? = {
        guard let result = try? IntegrationTests.run(script, ["check"]) else { return "cannot run \(script)" }
        return result.status == 0 ? nil : result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
    }()
    static var available: Bool { unavailableReason == nil }

    let lab: String
    let prefix: String
    let hosts: Int
    let root = TempDir("b00t-netlab")
    private var processes: [Process] = []
    private let lock = NSLock()

    init(hosts: Int) throws {
        let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        lab = String((0..<5).map { _ in letters.randomElement() ?? "x" })
        self.hosts = hosts
        let result = try IntegrationTests.run(Self.script, ["up", lab, String(hosts)])
        guard result.status == 0 else {
            _ = try? IntegrationTests.run(Self.script, ["down", lab])
            throw TimedOut(what: "netlab up: \(result.stderr)")
        }
        prefix = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        for i in 1...hosts { try FileManager.default.createDirectory(atPath: dir(i) + "/home", withIntermediateDirectories: true) }
    }

    deinit { down() }

    func address(_ host: Int) -> String { "\(prefix).\(host)" }
    var observer: String { "\(prefix).254" }
    func dir(_ host: Int) -> String { root.path + "/host\(host)" }

    /// The environment a b00t process on `host` runs with: its own home, state and socket.
    func env(_ host: Int, _ extra: [String: String] = [:]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = dir(host) + "/home"
        env["B00T_STATE_DIR"] = dir(host) + "/state"
        env["B00T_BUS_SOCKET"] = dir(host) + "/state/bus.sock"
        env["XDG_RUNTIME_DIR"] = ""
        env["B00T_DEBUG"] = nil
        env["B00T_AGENT"] = nil
        env["LANG"] = "C.UTF-8"
        for (k, v) in extra { env[k] = v }
        return env
    }

    /// Starts `argv` on `host` in the background, output to `log`.
    @discardableResult
    func spawn(_ host: Int, _ argv: [String], env: [String: String]? = nil, log: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.script)
        p.arguments = ["exec", lab, String(host)] + argv
        p.environment = env ?? self.env(host)
        p.currentDirectoryURL = URL(fileURLWithPath: dir(host))
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        p.standardOutput = FileHandle(forWritingAtPath: log)
        p.standardError = p.standardOutput
        try p.run()
        lock.withLock { processes.append(p) }
        return p
    }

    /// Runs `argv` on `host` to completion.
    func run(_ host: Int, _ argv: [String], env: [String: String]? = nil) throws -> RunResult {
        var extra: [String: String] = [:]
        for (k, v) in env ?? self.env(host) { extra[k] = v }
        return try IntegrationTests.run(Self.script, ["exec", lab, String(host)] + argv, environment: extra, currentDirectory: dir(host))
    }

    /// A shell line that runs `command` on `host` (for tmux).
    func shellLine(_ host: Int, _ command: [String], env extra: [String: String] = [:]) -> String {
        var assignments = ["HOME": dir(host) + "/home", "B00T_STATE_DIR": dir(host) + "/state", "LANG": "C.UTF-8", "XDG_RUNTIME_DIR": ""]
        for (k, v) in extra { assignments[k] = v }
        let env = assignments.sorted { $0.key < $1.key }.map { "\($0.key)='\($0.value)'" }
        return ([Self.script, "exec", lab, String(host), "env"] + env + command.map { "'\($0)'" }).joined(separator: " ")
    }

    func cut(_ host: Int) throws { _ = try IntegrationTests.run(Self.script, ["cut", lab, String(host)]) }
    func restore(_ host: Int) throws { _ = try IntegrationTests.run(Self.script, ["restore", lab, String(host)]) }

    func down() {
        let all = lock.withLock { () -> [Process] in
            defer { processes.removeAll() }
            return processes
        }
        for p in all where p.isRunning { kill(p.processIdentifier, SIGKILL) }
        _ = try? IntegrationTests.run(Self.script, ["down", lab])
    }

    // MARK: Redis on a host

    /// redis-server on `host`, bound to its address only, with a password and (unless `persistent` is false) an
    /// append-only file in the host's folder — the set-up README recommends for a crew across machines.
    @discardableResult
    func startRedis(on host: Int, port: Int = 6379, password: String = "crew-secret", persistent: Bool = true) throws -> Process {
        let data = dir(host) + "/redis"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let args = ["redis-server", "--bind", address(host), "--port", String(port), "--requirepass", password,
                    "--protected-mode", "yes", "--save", "", "--dir", data,
                    "--appendonly", persistent ? "yes" : "no", "--appendfsync", "everysec"]
        let p = try spawn(host, args, log: dir(host) + "/redis.log")
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if HealthProbe.tcp(HostPort(host: address(host), port: port), timeoutMs: 200).healthy { return p }
            usleep(20_000)
        }
        throw TimedOut(what: "redis-server on \(address(host)):\(port)")
    }

    func redisURL(host: Int, port: Int = 6379, password: String = "crew-secret", bus: String) -> String {
        "redis://:\(password)@\(address(host)):\(port)/0?bus=\(bus)"
    }
}
