#if canImport(Glibc)
import Glibc
#endif
import Foundation
import B00tTestSupport
import Testing
@testable import B00tCore

/// `b00t doctor` through the real binary, against private state folders: its exit status is 1 exactly when a
/// line is ✗, `--json` is one object, human output has no escapes on a pipe, and a running daemon is seen.
@Suite(.serialized) struct DoctorCLITests {
    /// A machine of its own: state, home (so no model), an empty datum folder, no bus variables.
    final class Machine {
        let dir = TempDir("doctor-cli")
        var state: String { dir.path + "/state" }
        var datums: String { dir.path + "/datums" }

        init() {
            for folder in [state, datums, dir.path + "/home"] { mkdir(folder, 0o700) }
        }

        var environment: [String: String] {
            ["B00T_STATE_DIR": state, "HOME": dir.path + "/home", "B00T_PATH": datums, "B00T_BUS_SOCKET": state + "/bus.sock",
             "B00T_MODEL_DIR": dir.path + "/model", "XDG_RUNTIME_DIR": "", "B00T_BUS_URL": "", "B00T_BUS_TOKEN": "",
             "B00T_DEBUG": "", "NO_COLOR": ""]
        }

        func doctor(_ arguments: [String] = ["--json"]) throws -> RunResult {
            try run(Binaries.path("b00t"), ["doctor"] + arguments, environment: environment, currentDirectory: dir.path)
        }
    }

    static func checks(_ result: RunResult) throws -> [String: [String: Any]] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)")
        let list = try #require(object["checks"] as? [[String: Any]])
        var byID: [String: [String: Any]] = [:]
        for check in list { if let id = check["id"] as? String { byID[id] = check } }
        return byID
    }

    @Test func exitsOneWhenAStateDirectoryIsLooseAndZeroOnceFixed() throws {
        let machine = Machine()
        chmod(machine.state, 0o755)
        let started = Date()
        let loose = try machine.doctor()
        #expect(Date().timeIntervalSince(started) < 10, "doctor is bounded")
        #expect(loose.status == 1, "\(loose.stdout)\n\(loose.stderr)")
        let failing = try Self.checks(loose)
        #expect(failing["dirs.state"]?["status"] as? String == "fail")
        #expect(failing["dirs.state"]?["fix"] as? String == "chmod 700 \(machine.state)")
        #expect(failing["grok.model"]?["status"] as? String == "warn", "no model here is a warning")
        #expect(failing["containers"]?["status"] as? String != "fail", "no engine is never a failure")

        chmod(machine.state, 0o700)
        let healthy = try machine.doctor()
        #expect(healthy.status == 0, "\(healthy.stdout)\n\(healthy.stderr)")
        let passing = try Self.checks(healthy)
        #expect(passing.values.allSatisfy { $0["status"] as? String != "fail" }, "\(healthy.stdout)")
        for id in ["packages", "dirs.state", "dirs.runtime", "bus.daemon", "bus.token", "bus.sqlite", "redis", "grok.model", "containers", "datums", "services"] {
            #expect(passing[id] != nil, "missing check \(id): \(healthy.stdout)")
        }
    }

    /// Human output on a pipe: no colour escapes, a ✗ line with its fix under it, and a datum's text escaped.
    @Test func humanOutputIsPlainAndEscapedOnAPipe() throws {
        let machine = Machine()
        let file = machine.datums + "/c.process.toml"
        _ = FileManager.default.createFile(atPath: file, contents: Data("[b00t]\nname = \"c\"\ncommand = \"true\"\ndepends_on = [\"\\u001b[2Jghost\"]\n".utf8))
        let result = try machine.doctor([])
        #expect(result.status == 1)
        #expect(!result.stdout.contains("\u{1B}"), "\(result.stdout)")
        #expect(result.stdout.contains("✗ datums"))
        #expect(result.stdout.contains("1 error (1 missing dependency)"), "\(result.stdout)")
        #expect(result.stdout.contains("no datum '\\e[2Jghost'"), "\(result.stdout)")
        #expect(result.stdout.contains("\n    fix: `b00t datum check` lists every problem"))
        #expect(result.stdout.contains("✓ dirs.state"))
    }

    /// With a real daemon (started the way clients start it) doctor pings it; once it is killed, its record
    /// is reported as dead with the fix.
    @Test func seesARunningDaemonAndThenItsDeath() throws {
        let sandbox = CrewSandbox(label: "doctor")
        defer { sandbox.tearDown() }
        let ping = try sandbox.b00t(["bus", "ping"])
        #expect(ping.status == 0, "\(ping.stderr)")
        var env = sandbox.env
        env["B00T_MODEL_DIR"] = sandbox.dir.path + "/model"
        env["B00T_PATH"] = sandbox.dir.path + "/no-datums"
        let doctor = try run(Binaries.path("b00t"), ["doctor", "--json"], environment: env, currentDirectory: sandbox.dir.path)
        let checks = try Self.checks(doctor)
        let daemon = try #require(checks["bus.daemon"], "\(doctor.stdout)")
        #expect(daemon["status"] as? String == "ok", "\(daemon)")
        #expect((daemon["summary"] as? String)?.contains("answered ping in") == true, "\(daemon)")
        #expect(checks["bus.sqlite"]?["status"] as? String == "ok", "\(doctor.stdout)")
        #expect(checks.filter { $0.key.hasPrefix("bus.") }.allSatisfy { $0.value["status"] as? String != "fail" }, "\(doctor.stdout)")

        guard case .found(let record) = ServiceRecord.read(from: sandbox.dir.path + "/services/b00t-bus.process.json") else {
            Issue.record("no record of the daemon")
            return
        }
        kill(record.pid, SIGKILL)
        try sandbox.until("the daemon is gone") { !ProcFS.isAlive(record.pid) }
        let after = try Self.checks(try run(Binaries.path("b00t"), ["doctor", "--json"], environment: env, currentDirectory: sandbox.dir.path))
        #expect(after["bus.daemon"]?["status"] as? String == "warn", "\(String(describing: after["bus.daemon"]))")
        #expect((after["bus.daemon"]?["summary"] as? String)?.contains("pid \(record.pid)) died") == true)
        #expect((after["bus.daemon"]?["fix"] as? String)?.contains("b00t bus ping") == true)
    }
}
