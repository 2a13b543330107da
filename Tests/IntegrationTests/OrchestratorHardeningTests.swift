#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import B00tCore

/// A `sleep` whose argument is unique to one test, so its processes can be counted exactly.
struct SleepService {
    let name: String
    let seconds = "3\(UInt32.random(in: 100...999)).\(UInt32.random(in: 100_000...999_999))"

    /// Live `sleep <seconds>` processes (zombies excluded).
    var live: [pid_t] { pids(matching: ["sleep", seconds]) }

    func write(_ sandbox: ServiceSandbox, script: String? = nil, health: String = "", extra: String = "") {
        let argv = script.map { "command = \"sh\"\nargs = [\"-c\", \"\($0.replacingOccurrences(of: "SLEEP", with: "sleep \(seconds)"))\"]" }
            ?? "command = \"sleep\"\nargs = [\"\(seconds)\"]"
        sandbox.write("\(name).process.toml", "[b00t]\nname = \"\(name)\"\ntype = \"process\"\n\(argv)\n\(extra)\n\(health)\n")
    }
}

@Suite(.serialized) struct OrchestratorHardeningTests {
    func recordPath(_ sandbox: ServiceSandbox, _ id: String) -> String { sandbox.state.path + "/services/\(id).json" }

    func forge(_ sandbox: ServiceSandbox, id: String, pid: pid_t) throws {
        try B00tPaths.ensurePrivateDirectory(sandbox.state.path + "/services")
        let ticks = ProcFS.stat(pid)?.startTicks ?? 0
        let record = ServiceRecord(id: id, pid: pid, startTicks: ticks, startedAt: Date(), argv: ["x"], restarts: 0)
        try record.write(to: recordPath(sandbox, id))
    }

    /// A record naming pid 1 made `stop` signal kill(-1, …) and then wait forever for pid 1 to die.
    @Test func recordNamingPidOneIsReportedNotSignalled() throws {
        let sandbox = ServiceSandbox()
        let service = SleepService(name: "forged")
        service.write(sandbox)
        try forge(sandbox, id: "forged.process", pid: 1)
        let orchestrator = sandbox.orchestrator()
        let status = try #require(try orchestrator.statusBlocking(["forged.process"]).first)
        #expect(status.state == .unknown)
        #expect(status.detail?.contains("pid 1") == true)
        let began = ContinuousClock.now
        #expect(throws: OrchestratorError.self) { try orchestrator.stopBlocking("forged.process") }
        #expect(ContinuousClock.now - began < .seconds(2))
        // `up` does not start a second copy over a record it cannot trust either.
        #expect(throws: OrchestratorError.self) { try orchestrator.ensureBlocking(["forged.process"]) }
        #expect(service.live.isEmpty)
        #expect(FileManager.default.fileExists(atPath: recordPath(sandbox, "forged.process")))
    }

    /// A live process that b00t did not start (it does not lead its own session) is never signalled.
    @Test func recordNamingSomeoneElsesProcessIsLeftAlone() throws {
        let sandbox = ServiceSandbox()
        let bystander = SleepService(name: "bystander")
        let pid = try Spawn.start(["sleep", bystander.seconds])
        defer { kill(pid, SIGKILL); var s: Int32 = 0; waitpid(pid, &s, 0) }
        bystander.write(sandbox)
        try forge(sandbox, id: "bystander.process", pid: pid)
        let orchestrator = sandbox.orchestrator()
        do {
            try orchestrator.stopBlocking("bystander.process")
            Issue.record("stop should refuse")
        } catch {
            #expect("\(error)".contains("does not lead its own session and process group"), "\(error)")
        }
        usleep(200_000)
        #expect(ProcFS.isAlive(pid))
        #expect(try orchestrator.statusBlocking(["bystander.process"]).first?.state == .unknown)
    }

    /// A record path that is not a file is refused before anything is started.
    @Test func recordPathThatIsADirectoryIsRefusedBeforeStarting() throws {
        let sandbox = ServiceSandbox()
        let service = SleepService(name: "dirrecord")
        service.write(sandbox)
        try FileManager.default.createDirectory(atPath: recordPath(sandbox, "dirrecord.process") + "/x",
                                                withIntermediateDirectories: true)
        #expect(throws: OrchestratorError.self) { try sandbox.orchestrator().ensureBlocking(["dirrecord.process"]) }
        #expect(service.live.isEmpty)
    }

    /// A failed record write (here: a full disk) left the just-spawned service running and untracked.
    @Test(.enabled(if: TinyFilesystem.available, "needs permission to mount a tmpfs (root)"))
    func failedRecordWriteStopsTheSpawnedProcess() throws {
        let sandbox = ServiceSandbox()
        let service = SleepService(name: "norecord")
        service.write(sandbox)
        let services = sandbox.state.path + "/services"
        let disk = try #require(TinyFilesystem(at: services))
        defer { disk.unmount() }
        disk.fill()
        let orchestrator = sandbox.orchestrator()
        do {
            try orchestrator.ensureBlocking(["norecord.process"])
            Issue.record("ensure should fail")
        } catch {
            #expect("\(error)".contains("cannot write its record"), "\(error)")
            #expect("\(error)".contains("stopped the process again"))
        }
        #expect(service.live.isEmpty)
    }

    /// A service that never became healthy was left running behind the error.
    @Test func neverHealthyServiceIsStopped() throws {
        let sandbox = ServiceSandbox()
        let service = SleepService(name: "sick")
        service.write(sandbox, health: "[b00t.health_check]\ntcp = \"127.0.0.1:\(freePort())\"\ninterval_ms = 10\nretry_count = 5\n")
        let orchestrator = sandbox.orchestrator()
        #expect(throws: OrchestratorError.self) { try orchestrator.ensureBlocking(["sick.process"]) }
        #expect(service.live.isEmpty)
        #expect(try orchestrator.statusBlocking(["sick.process"]).first?.state == .stopped)
    }

    /// A program that forks into the background while b00t waits for its health is stopped as a group,
    /// with a hint, instead of being reported "crashed" and started again.
    @Test func daemonizingServiceFailsWithAHintAndLeavesNothing() throws {
        let sandbox = ServiceSandbox()
        let service = SleepService(name: "forker")
        service.write(sandbox, script: "SLEEP & exit 0",
                      health: "[b00t.health_check]\ntcp = \"127.0.0.1:\(freePort())\"\ninterval_ms = 20\nretry_count = 100\n")
        let orchestrator = sandbox.orchestrator()
        do {
            try orchestrator.ensureBlocking(["forker.process"])
            Issue.record("ensure should fail")
        } catch {
            #expect("\(error)".contains("exited but its process group still runs"), "\(error)")
            #expect("\(error)".contains("--foreground"))
        }
        #expect(service.live.isEmpty)
    }

    /// Leader gone, group alive: its own state, no second copy on `up`, and `stop` stops the whole group.
    @Test func leaderExitedGroupIsReportedAndStopped() throws {
        let sandbox = ServiceSandbox()
        let service = SleepService(name: "bg")
        service.write(sandbox, script: "SLEEP & sleep 0.4")
        let orchestrator = sandbox.orchestrator()
        try orchestrator.ensureBlocking(["bg.process"])
        var status = try #require(try orchestrator.statusBlocking(["bg.process"]).first)
        let deadline = ContinuousClock.now + .seconds(5)
        while status.state != .leaderExited, ContinuousClock.now < deadline {
            usleep(50_000)
            status = try #require(try orchestrator.statusBlocking(["bg.process"]).first)
        }
        #expect(status.state == .leaderExited)
        #expect(status.detail?.contains("put itself in the background") == true)
        #expect(throws: OrchestratorError.self) { try orchestrator.ensureBlocking(["bg.process"]) }
        #expect(service.live.count == 1)
        let ps = try run(Binaries.path("b00t"), ["ps", "bg.process"], environment: sandbox.cliEnvironment)
        #expect(ps.stdout.contains("leader-exited"), "\(ps.stdout)")
        try orchestrator.stopBlocking("bg.process")
        #expect(service.live.isEmpty)
        #expect(try orchestrator.statusBlocking(["bg.process"]).first?.state == .stopped)
    }

    /// A held lock blocked `up` forever, silently: now it names the holder and gives up after lock_timeout_ms.
    @Test func heldLockTimesOutNamingTheHolder() throws {
        let sandbox = ServiceSandbox()
        let service = SleepService(name: "locked")
        service.write(sandbox, extra: "lock_timeout_ms = 1500")
        try B00tPaths.ensurePrivateDirectory(sandbox.state.path + "/locks")
        let held = try FileLock(path: sandbox.state.path + "/locks/locked.process.lock")
        defer { held.release() }
        var env = sandbox.cliEnvironment
        env["B00T_DEBUG"] = "1"
        let began = ContinuousClock.now
        let up = try run(Binaries.path("b00t"), ["up", "locked.process"], environment: env)
        #expect(ContinuousClock.now - began < .seconds(5))
        #expect(up.status == 1)
        #expect(up.stderr.contains("held by pid \(getpid())"), "\(up.stderr)")
        #expect(up.stderr.contains("lock_timeout_ms"))
        #expect(up.stderr.contains("⏳ locked.process: waiting for pid \(getpid())"), "\(up.stderr)")
        let stop = try run(Binaries.path("b00t"), ["stop", "locked.process"], environment: env)
        #expect(stop.status == 1)
        #expect(stop.stderr.contains("held by pid \(getpid())"), "\(stop.stderr)")
        #expect(service.live.isEmpty)
    }

    /// `up & stop & up` from separate processes, 30 rounds: at every step exactly the tracked processes run.
    @Test func upStopUpRaceLeavesExactlyTheTrackedProcesses() throws {
        let sandbox = ServiceSandbox()
        let service = SleepService(name: "racer")
        service.write(sandbox)
        var env = ProcessInfo.processInfo.environment
        for (k, v) in sandbox.cliEnvironment { env[k] = v }
        func launch(_ arguments: [String]) throws -> Process {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Binaries.path("b00t"))
            p.arguments = arguments
            p.environment = env
            p.currentDirectoryURL = URL(fileURLWithPath: sandbox.state.path)
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            return p
        }
        let orchestrator = sandbox.orchestrator()
        for round in 0..<30 {
            let commands: [[String]] = round % 3 == 2
                ? [["up", "racer.process"], ["restart", "racer.process"], ["stop", "racer.process"], ["up", "racer.process"]]
                : [["up", "racer.process"], ["stop", "racer.process"], ["up", "racer.process"]]
            let processes = try commands.map(launch)
            for p in processes { p.waitUntilExit() }
            #expect(processes.allSatisfy { $0.terminationStatus == 0 }, "round \(round): \(processes.map(\.terminationStatus))")
            let status = try #require(try orchestrator.statusBlocking(["racer.process"]).first)
            let live = service.live
            if status.state == .running {
                #expect(live == [status.pid].compactMap { $0 }, "round \(round): tracked \(String(describing: status.pid)), live \(live)")
            } else {
                #expect(status.state == .stopped, "round \(round): \(status.state)")
                #expect(live.isEmpty, "round \(round): stopped but live \(live)")
            }
        }
        try orchestrator.stopBlocking("racer.process")
        #expect(service.live.isEmpty)
    }

    /// The same race with a real HTTP server and an HTTP health check (fewer rounds: each start binds a port).
    @Test func upStopRaceWithAnHTTPServer() throws {
        let sandbox = ServiceSandbox()
        let port = freePort()
        sandbox.write("web.process.toml", """
        [b00t]
        name = "web"
        type = "process"
        command = "python3"
        args = ["-m", "http.server", "\(port)", "--bind", "127.0.0.1"]
        [b00t.health_check]
        http_url = "http://127.0.0.1:\(port)/"
        interval_ms = 20
        retry_count = 400
        """)
        var env = ProcessInfo.processInfo.environment
        for (k, v) in sandbox.cliEnvironment { env[k] = v }
        let orchestrator = sandbox.orchestrator()
        for round in 0..<6 {
            let processes: [Process] = try [["up", "web"], ["stop", "web"], ["up", "web"]].map { arguments in
                let p = Process()
                p.executableURL = URL(fileURLWithPath: Binaries.path("b00t"))
                p.arguments = arguments
                p.environment = env
                p.currentDirectoryURL = URL(fileURLWithPath: sandbox.state.path)
                p.standardOutput = FileHandle.nullDevice
                p.standardError = FileHandle.nullDevice
                try p.run()
                return p
            }
            for p in processes { p.waitUntilExit() }
            #expect(processes.allSatisfy { $0.terminationStatus == 0 }, "round \(round)")
            let live = pids(matching: ["http.server", "\(port)"])
            let status = try #require(try orchestrator.statusBlocking(["web.process"]).first)
            #expect(live.count == (status.state == .running ? 1 : 0), "round \(round): \(status.state), live \(live)")
        }
        try orchestrator.stopBlocking("web.process")
        #expect(pids(matching: ["http.server", "\(port)"]).isEmpty)
    }
}

/// An 8 KiB tmpfs (mode 0700) mounted over a directory, to make writes fail with ENOSPC.
struct TinyFilesystem {
    let path: String

    static let available: Bool = {
        guard getuid() == 0 else { return false }
        let probe = NSTemporaryDirectory() + "b00t-tmpfs-probe-\(getpid())"
        guard let fs = TinyFilesystem(at: probe) else { return false }
        fs.unmount()
        try? FileManager.default.removeItem(atPath: probe)
        return true
    }()

    init?(at path: String) {
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard let result = try? run("/usr/bin/env", ["mount", "-t", "tmpfs", "-o", "size=8k,mode=0700", "tmpfs", path]),
              result.status == 0
        else { return nil }
        self.path = path
    }

    func fill() {
        let fd = open(path + "/filler", O_WRONLY | O_CREAT, 0o600)
        let block = [UInt8](repeating: 0, count: 4096)
        while block.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
        close(fd)
    }

    func unmount() { _ = try? run("/usr/bin/env", ["umount", path]) }
}
