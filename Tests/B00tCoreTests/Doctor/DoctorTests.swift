#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GRDB
import B00tTestSupport
import Testing
@testable import B00tCore

/// A probe that answers after `delay` (blocking its own thread, like a hung syscall would).
private struct SlowProbe: DoctorProbe {
    let id: String
    let delay: Duration
    let timeout: Duration
    func run() async -> [DoctorCheck] {
        let delay = self.delay, id = self.id
        return await Doctor.offThread {
            usleep(UInt32(delay.wholeMilliseconds * 1000))
            return [DoctorCheck(id, .ok, "done")]
        }
    }
}

/// Probes that each wait (on their own thread) until all of them have started: they can only all say "met"
/// if the runner ran them side by side. No wall-clock assertion, so a loaded machine cannot make it flaky.
private final class Rendezvous: @unchecked Sendable {
    let expected: Int
    private var arrived = 0
    private let condition = NSCondition()
    init(_ expected: Int) { self.expected = expected }

    func arriveAndWait(upTo seconds: Double) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        arrived += 1
        condition.broadcast()
        let deadline = Date().addingTimeInterval(seconds)
        while arrived < expected {
            if !condition.wait(until: deadline) { return false }
        }
        return true
    }
}

private struct MeetingProbe: DoctorProbe {
    let id: String
    let rendezvous: Rendezvous
    var timeout: Duration { .seconds(20) }
    func run() async -> [DoctorCheck] {
        let rendezvous = self.rendezvous, id = self.id
        return await Doctor.offThread { [DoctorCheck(id, rendezvous.arriveAndWait(upTo: 10) ? .ok : .fail, "met")] }
    }
}

@Suite struct DoctorRunnerTests {
    /// A probe that hangs is reported at its timeout and not waited for; the others still report, in order.
    @Test func hungProbesAreCutOffAndOrderIsKept() async {
        let started = ContinuousClock.now
        let report = await Doctor.run([
            SlowProbe(id: "a", delay: .milliseconds(50), timeout: .seconds(10)),
            SlowProbe(id: "hung", delay: .seconds(30), timeout: .milliseconds(200)),
            SlowProbe(id: "b", delay: .milliseconds(50), timeout: .seconds(10)),
        ])
        #expect(ContinuousClock.now - started < .seconds(10), "the hung probe (30 s) was not waited for")
        #expect(report.checks.map(\.name) == ["a", "hung", "b"])
        #expect(report.checks.map(\.status) == [.ok, .fail, .ok])
        #expect(report.checks[1].summary == "did not finish within 200 ms")
        #expect(report.checks[1].fix != nil)
        #expect(report.exitCode == 1)
    }

    @Test func probesRunSideBySide() async {
        let rendezvous = Rendezvous(4)
        let report = await Doctor.run((1...4).map { MeetingProbe(id: "p\($0)", rendezvous: rendezvous) })
        #expect(report.checks.map(\.status) == [.ok, .ok, .ok, .ok])
    }

    @Test func jsonHasOneObjectWithIdStatusSummaryAndFix() throws {
        let report = DoctorReport(checks: [DoctorCheck("a", .ok, "fine"), DoctorCheck("b", .warn, "meh", fix: "do x")])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any])
        #expect(object["status"] as? String == "warn")
        let checks = try #require(object["checks"] as? [[String: Any]])
        #expect(checks.count == 2)
        #expect(checks[0]["id"] as? String == "a")
        #expect(checks[0]["status"] as? String == "ok")
        #expect(checks[0]["fix"] is NSNull)
        #expect(checks[1]["fix"] as? String == "do x")
        #expect(report.exitCode == 0, "warnings do not fail")
    }

    /// Summaries quote paths, datum files and other programs' output: escapes never reach the terminal, and
    /// without colour there is no escape at all.
    @Test func textIsEscapedAndColourOnlyWhenAsked() {
        let report = DoctorReport(checks: [
            DoctorCheck("datums", .fail, "bad \u{1B}]0;pwned\u{07} name\nforged line", fix: "rm \u{1B}[2J"),
            DoctorCheck("ok", .ok, "fine", fix: "not shown"),
        ])
        let plain = report.text(colour: false)
        #expect(!plain.contains("\u{1B}"))
        #expect(plain.contains("✗ datums  bad \\e]0;pwned\\u{7} name\\nforged line\n"))
        #expect(plain.contains("    fix: rm \\e[2J\n"))
        #expect(!plain.contains("not shown"), "an ok line has no fix line")
        #expect(plain.hasSuffix("2 checks: 1 ok, 0 warnings, 1 failure\n"))
        let coloured = report.text(colour: true)
        #expect(coloured.contains("\u{1B}[31m✗\u{1B}[0m datums"))
        #expect(!coloured.contains("\u{1B}]0;"))
    }

    @Test func colourNeedsATerminalAndNoNoColor() {
        #expect(DoctorReport.wantsColour(isTerminal: true, environment: ["TERM": "xterm"]))
        #expect(!DoctorReport.wantsColour(isTerminal: false, environment: ["TERM": "xterm"]))
        #expect(!DoctorReport.wantsColour(isTerminal: true, environment: ["NO_COLOR": "1"]))
        #expect(DoctorReport.wantsColour(isTerminal: true, environment: ["NO_COLOR": ""]))
        #expect(!DoctorReport.wantsColour(isTerminal: true, environment: ["TERM": "dumb"]))
    }
}

@Suite struct PackagesProbeTests {
    @Test func allInstalledIsOneOkLineWithVersions() async {
        let probe = PackagesProbe(packages: ["tmux", "socat"]) { names in
            Dictionary(uniqueKeysWithValues: names.map { ($0, PackageState.installed(version: "1.0-\($0)")) })
        }
        let checks = await probe.run()
        #expect(checks == [DoctorCheck("packages", .ok, "2 Debian packages installed: tmux 1.0-tmux, socat 1.0-socat")])
    }

    @Test func missingPackagesFailWithTheInstallCommand() async {
        let probe = PackagesProbe(packages: ["tmux", "socat", "redis-server"]) { _ in ["tmux": .installed(version: "3.3a-3"), "socat": .missing] }
        let checks = await probe.run()
        #expect(checks.count == 1)
        #expect(checks[0].status == .fail)
        #expect(checks[0].summary == "missing Debian packages: socat, redis-server")
        #expect(checks[0].fix == "make deps (or: sudo apt-get install socat redis-server)")
    }

    @Test func noDpkgMeansCannotCheckNotMissing() async {
        let probe = PackagesProbe(packages: ["tmux"]) { (_: [String]) throws(PackageQueryError) -> [String: PackageState] in throw .unavailable }
        let checks = await probe.run()
        #expect(checks.count == 1)
        #expect(checks[0].status == .warn)
        #expect(checks[0].summary.hasPrefix("cannot check Debian packages: dpkg-query is not available"))
    }

    @Test func tooOldRedisFails() async {
        let probe = PackagesProbe(packages: ["redis-server"]) { _ in ["redis-server": .installed(version: "3:4.0.9-1")] }
        let checks = await probe.run()
        #expect(checks.map(\.status) == [.fail])
        #expect(checks[0].name == "packages.redis-server")
        #expect(PackagesProbe.compareUpstream("5:7.0.15-1~deb12u10", [5]) == .orderedDescending)
        #expect(PackagesProbe.compareUpstream("5.0.0", [5]) == .orderedSame)
    }

    @Test func parsesDpkgQueryOutput() {
        let states = PackagesProbe.parseDpkgOutput("""
        tmux\tinstall ok installed\t3.3a-3
        socat\tdeinstall ok config-files\t1.7.4.4-2
        libc6:amd64\tinstall ok installed\t2.36-9
        """)
        #expect(states["tmux"] == .installed(version: "3.3a-3"))
        #expect(states["socat"] == .missing)
        #expect(states["libc6"] == .installed(version: "2.36-9"))
    }

    /// An installed b00t has no Makefile: the list is compiled in, and must stay the Makefile's.
    @Test func requiredListIsTheMakefiles() throws {
        let makefile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Makefile")
        let text = try String(contentsOf: makefile, encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("DEBIAN_PACKAGES :=") })
        let listed = line.dropFirst("DEBIAN_PACKAGES :=".count).split(separator: " ").map(String.init)
        #expect(listed == PackagesProbe.required)
    }
}

@Suite struct DirectoriesProbeTests {
    func privateState() -> TempDir {
        let dir = TempDir("doctor-dirs")
        chmod(dir.path, 0o700)
        mkdir(dir.path + "/services", 0o700)
        let file = dir.write("services/a.process.json", "{}")
        chmod(file, 0o600)
        return dir
    }

    @Test func privateFoldersAreOk() async {
        let dir = privateState()
        let checks = await DirectoriesProbe(paths: B00tPaths(stateDirectory: dir.path)).run()
        #expect(checks.map(\.status) == [.ok, .ok, .ok], "\(checks)")
        #expect(checks.map(\.name) == ["dirs.state", "dirs.state.files", "dirs.runtime"])
    }

    @Test func readableStateDirectoryFailsWithChmod() async {
        let dir = privateState()
        chmod(dir.path, 0o755)
        let checks = await DirectoriesProbe(paths: B00tPaths(stateDirectory: dir.path)).run()
        #expect(checks[0].status == .fail)
        #expect(checks[0].summary.contains("has mode 755, not 700"))
        #expect(checks[0].fix == "chmod 700 \(dir.path)")
    }

    @Test func looseFilesAndFoldersInsideFail() async throws {
        let dir = privateState()
        chmod(dir.path + "/services/a.process.json", 0o644)
        chmod(dir.path + "/services", 0o777)
        let checks = await DirectoriesProbe(paths: B00tPaths(stateDirectory: dir.path)).run()
        let files = try #require(checks.first { $0.name == "dirs.state.files" })
        #expect(files.status == .fail)
        #expect(files.summary.contains("2 entries not private"), "\(files)")
        #expect(files.summary.contains("a.process.json (644)"))
        #expect(files.fix == "chmod -R go-rwx \(dir.path)")
    }

    @Test func someoneElsesFolderFails() async {
        let dir = privateState()
        let checks = await DirectoriesProbe(paths: B00tPaths(stateDirectory: dir.path), owner: geteuid() + 1).run()
        #expect(checks.count == 2)
        #expect(checks[0].status == .fail)
        #expect(checks[0].summary.contains("belongs to uid \(geteuid())"))
    }

    @Test func absentIsFineAndAFileIsNot() async {
        let dir = TempDir("doctor-dirs")
        let absent = await DirectoriesProbe(paths: B00tPaths(stateDirectory: dir.path + "/state", runtimeDirectory: dir.path + "/run")).run()
        #expect(absent.map(\.status) == [.ok, .ok])
        #expect(absent[0].summary.contains("does not exist yet"))
        let file = dir.write("state", "x")
        let notADirectory = await DirectoriesProbe(paths: B00tPaths(stateDirectory: file)).run()
        #expect(notADirectory[0].status == .fail)
        #expect(notADirectory[0].summary.hasSuffix("is not a directory"))
    }
}

@Suite struct BusDaemonProbeTests {
    let record = ServiceRecord(id: "b00t-bus.process", pid: 4242, startTicks: 1, startedAt: Date(), argv: ["b00t"], restarts: 0)

    func verdict(_ record: ProcessRuntime.Observation, _ socket: BusDaemonProbe.SocketFile, _ ping: BusDaemonProbe.PingOutcome?) -> DoctorCheck {
        BusDaemonProbe.daemonCheck(record: record, socket: socket, ping: ping, socketPath: "/s/bus.sock", recordPath: "/s/services/b00t-bus.process.json")
    }

    @Test func verdicts() {
        #expect(verdict(.none, .absent, nil).status == .ok)
        #expect(verdict(.none, .absent, nil).summary.contains("start it on demand"))
        #expect(verdict(.running(record), .socket, .answered(.milliseconds(2))).status == .ok)
        let silent = verdict(.running(record), .socket, .noAnswer(.seconds(2)))
        #expect(silent.status == .fail)
        #expect(silent.summary == "pid 4242 runs but /s/bus.sock did not answer ping within 2 s")
        #expect(silent.fix?.hasPrefix("b00t restart b00t-bus.process") == true)
        #expect(verdict(.running(record), .absent, nil).status == .fail)
        let dead = verdict(.gone(record), .socket, .failed("Connection refused"))
        #expect(dead.status == .warn)
        #expect(dead.summary.contains("pid 4242") && dead.summary.contains("died"))
        #expect(verdict(.none, .socket, .failed("Connection refused")).status == .warn)
        #expect(verdict(.none, .notASocket, nil).status == .fail)
        #expect(verdict(.untrusted("bad record"), .absent, nil).status == .fail)
    }

    @Test func tokenFileModes() throws {
        let dir = TempDir("doctor-token")
        let paths = B00tPaths(stateDirectory: dir.path)
        #expect(BusDaemonProbe.tokenCheck(paths: paths, environment: [:]).status == .ok)
        let file = dir.write("bus.token", "secret\n")
        chmod(file, 0o644)
        let loose = BusDaemonProbe.tokenCheck(paths: paths, environment: [:])
        #expect(loose.status == .fail)
        #expect(loose.fix == "chmod 600 \(file)")
        chmod(file, 0o600)
        #expect(BusDaemonProbe.tokenCheck(paths: paths, environment: [:]) == DoctorCheck("bus.token", .ok, "token file \(file): yours, private"))
        #expect(BusDaemonProbe.tokenCheck(paths: paths, environment: ["B00T_BUS_TOKEN": "  "]).status == .fail)
    }

    /// A real daemon (in process) answers a real ping; its socket is private, and no record means "by hand".
    @Test func pingsARealServer() async throws {
        let dir = TempDir("doctor-bus")
        let server = BusServer(bus: try await MessageBus(backend: MemoryBusBackend()),
                               endpoint: BusEndpoint(socketPath: dir.path + "/bus.sock"))
        try await server.start()
        let checks = await BusDaemonProbe(paths: B00tPaths(stateDirectory: dir.path), environment: [:]).run()
        await server.shutdown()
        #expect(checks.map(\.name) == ["bus.daemon", "bus.token"])
        #expect(checks[0].status == .ok, "\(checks[0])")
        #expect(checks[0].summary.contains("started by hand (no pid record) answered ping in"))
    }

    /// A listener that never accepts nor answers (a wedged daemon): the ping gives up at its own bound.
    @Test func aSilentSocketIsBounded() async throws {
        let dir = TempDir("doctor-bus")
        let path = dir.path + "/bus.sock"
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in path.utf8.enumerated() { raw[i] = b } }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        #expect(listen(fd, 8) == 0)
        chmod(path, 0o600)
        let started = ContinuousClock.now
        let outcome = await BusDaemonProbe.ping(path, timeout: .milliseconds(300))
        #expect(outcome == .noAnswer(.milliseconds(300)))
        #expect(ContinuousClock.now - started < .seconds(2))
        var probe = BusDaemonProbe(paths: B00tPaths(stateDirectory: dir.path), environment: [:])
        probe.pingTimeout = .milliseconds(300)
        let checks = await probe.run()
        #expect(checks[0].status == .warn)
        #expect(checks[0].summary.contains("stale socket"))
    }

    /// Walk-through: with B00T_BUS_SOCKET=/tmp/bus.sock doctor said all was well, and the daemon then refused
    /// /tmp (others can write to it) when a client started it. The socket's own folder is now checked.
    @Test func theFolderBusSocketNamesIsChecked() throws {
        let dir = TempDir("doctor-socket-dir")
        let paths = B00tPaths(stateDirectory: dir.path)
        func check(_ socket: String) -> DoctorCheck? {
            BusDaemonProbe(paths: paths, environment: ["B00T_BUS_SOCKET": socket]).socketFolderCheck()
        }
        let shared = try #require(check("/tmp/bus.sock"))
        #expect(shared.status == .fail && shared.name == "bus.socket-dir")
        #expect(shared.summary.contains("other users can write to it"))
        #expect(shared.fix?.contains("B00T_BUS_SOCKET") == true)
        try FileManager.default.createDirectory(atPath: dir.path + "/sockets", withIntermediateDirectories: false)
        chmod(dir.path + "/sockets", 0o700)
        #expect(check(dir.path + "/sockets/bus.sock")?.status == .ok)
        chmod(dir.path + "/sockets", 0o755)
        #expect(check(dir.path + "/sockets/bus.sock")?.fix == "chmod 700 \(dir.path)/sockets")
        #expect(check(dir.path + "/none/bus.sock")?.status == .ok, "absent: the daemon creates it")
        #expect(FileManager.default.createFile(atPath: dir.path + "/file", contents: Data()))
        #expect(check(dir.path + "/file/bus.sock")?.status == .fail)
        // Relative (adversarial pass: `bus.sock` alone got no line, then the daemon blamed B00T_STATE_DIR).
        for relative in ["bus.sock", "rel/bus.sock"] {
            let line = try #require(check(relative))
            #expect(line.status == .fail && line.summary.hasPrefix("B00T_BUS_SOCKET must be an absolute path"))
        }
        #expect(throws: BusTokenError.relativeSocket("bus.sock")) {
            try BusEndpoint.standard(paths: paths, environment: ["B00T_BUS_SOCKET": "bus.sock"])
        }
        // The default socket is in the runtime directory, which the directories probe looks at already.
        #expect(BusDaemonProbe(paths: paths, environment: [:]).socketFolderCheck() == nil)
    }

    @Test func aSocketOthersCanReachFails() {
        #expect(BusDaemonProbe.socketModeCheck(.looseSocket(mode: 0o666, owner: geteuid()), path: "/s/bus.sock")?.fix?.hasPrefix("chmod 600 /s/bus.sock") == true)
        #expect(BusDaemonProbe.socketModeCheck(.socket, path: "/s/bus.sock") == nil)
    }
}

@Suite struct BusDatabaseProbeTests {
    /// A SQLite file with a table spread over many pages, written back to the main file (no WAL).
    func database(_ dir: TempDir) throws -> String {
        let path = dir.path + "/bus.sqlite"
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE events (seq INTEGER PRIMARY KEY, body BLOB NOT NULL)")
            for seq in 1...400 { try db.execute(sql: "INSERT INTO events VALUES (?, ?)", arguments: [seq, String(repeating: "x", count: 200)]) }
        }
        try queue.close()
        return path
    }

    @Test func healthyDatabaseIsOkAndUntouched() async throws {
        let dir = TempDir("doctor-db")
        let path = try database(dir)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let checks = await BusDatabaseProbe(path: path).run()
        #expect(checks.map(\.status) == [.ok, .ok])
        #expect(checks[0].summary.contains("quick_check ok"))
        #expect(checks[0].summary.contains("events up to #400"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "doctor must not write to the bus database")
    }

    @Test func damagedPagesFailQuickCheck() async throws {
        let dir = TempDir("doctor-db")
        let path = try database(dir)
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        // Leaf pages of the table (page 2 is its root, which must stay readable for quick_check to walk the
        // tree): their headers become nonsense.
        for page in 3..<6 {
            try handle.seek(toOffset: UInt64(page * 4096))
            handle.write(Data(repeating: 0xA5, count: 64))
        }
        try handle.close()
        let checks = await BusDatabaseProbe(path: path).run()
        #expect(checks[0].status == .fail, "\(checks)")
        #expect(checks[0].summary == "\(path) is damaged: quick_check says database disk image is malformed", "\(checks[0])")
        #expect(checks[0].fix?.contains("move \(path) and its -wal/-shm files aside") == true)
    }

    @Test func aFileThatIsNotSQLiteFails() async throws {
        let dir = TempDir("doctor-db")
        let path = dir.write("bus.sqlite", String(repeating: "not a database ", count: 400))
        let checks = await BusDatabaseProbe(path: path).run()
        #expect(checks[0].status == .fail)
        #expect(checks[0].summary.contains("cannot be read as SQLite"), "\(checks[0])")
    }

    @Test func absentIsFine() async {
        let checks = await BusDatabaseProbe(path: "/tmp/doctor-none-\(UUID().uuidString)/bus.sqlite").run()
        #expect(checks.map(\.status) == [.ok])
    }

    @Test func aLargeWriteAheadLogWarnsWithTheCheckpoint() throws {
        let dir = TempDir("doctor-db")
        let path = try database(dir)
        dir.write("bus.sqlite-wal", String(repeating: "w", count: 3 << 20))
        var probe = BusDatabaseProbe(path: path)
        probe.walWarningBytes = 1 << 20
        let wal = probe.walCheck()
        #expect(wal.status == .warn)
        #expect(wal.summary.contains("3.0 MiB"))
        #expect(wal.fix?.contains("PRAGMA wal_checkpoint(TRUNCATE)") == true)
        probe.walWarningBytes = 64 << 20
        #expect(probe.walCheck().status == .ok)
    }

    @Test func theFileFollowsBusURL() {
        let paths = B00tPaths(stateDirectory: "/st")
        #expect(BusDatabaseProbe.standardPath(paths: paths, environment: [:]) == "/st/bus.sqlite")
        #expect(BusDatabaseProbe.standardPath(paths: paths, environment: ["B00T_BUS_URL": "sqlite:/x/y.db"]) == "/x/y.db")
        #expect(BusDatabaseProbe.standardPath(paths: paths, environment: ["B00T_BUS_URL": "redis://h:1/0"]) == "/st/bus.sqlite")
    }
}

@Suite struct ModelProbeTests {
    /// A manifest of one small file whose pinned hash is that of `content`.
    func manifest(for content: String) -> ModelManifest {
        var hasher = SHA256()
        hasher.update(Array(content.utf8))
        return ModelManifest(entries: [.init(name: "model.safetensors", size: content.utf8.count, sha256: hasher.finalizeHex())])
    }

    @Test func pinnedFileIsOk() async {
        let dir = TempDir("doctor-model")
        dir.write("model.safetensors", "weights")
        let checks = await ModelProbe(directory: dir.path, manifest: manifest(for: "weights")).run()
        #expect(checks.map(\.status) == [.ok])
        #expect(checks[0].summary.hasSuffix("match the pinned SHA-256 (hashed now)"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/" + ModelManifest.stampName), "doctor writes no stamp")
    }

    @Test func missingModelWarns() async {
        let dir = TempDir("doctor-model")
        let checks = await ModelProbe(directory: dir.path + "/none", manifest: manifest(for: "weights")).run()
        #expect(checks.map(\.status) == [.warn])
        #expect(checks[0].summary.contains("not installed"))
        #expect(checks[0].fix?.hasPrefix("make model") == true)
    }

    @Test func wrongHashAndWrongSizeFail() async {
        let dir = TempDir("doctor-model")
        dir.write("model.safetensors", "wEights")
        let wrong = await ModelProbe(directory: dir.path, manifest: manifest(for: "weights")).run()
        #expect(wrong.map(\.status) == [.fail])
        #expect(wrong[0].summary.contains("is not the pinned file"))
        #expect(wrong[0].fix == "rm \(dir.path)/model.safetensors && make model (or set B00T_MODEL_DIR to a folder holding all-MiniLM-L6-v2)")
        let short = await ModelProbe(directory: dir.path, manifest: manifest(for: "weights!")).run()
        #expect(short.map(\.status) == [.fail])
        #expect(short[0].summary.contains("has 7 bytes, expected 8"))
    }

    /// grok's stamp vouches for a file as it was when hashed; `thorough` hashes anyway.
    @Test func stampIsTrustedUnlessThorough() async throws {
        let dir = TempDir("doctor-model")
        let path = dir.write("model.safetensors", "wEights")
        let pinned = manifest(for: "weights")
        var info = stat()
        #expect(stat(path, &info) == 0)
        dir.write(ModelManifest.stampName, ModelManifest.stampKey(try #require(pinned.entries.first), info) + "\n")
        let trusted = await ModelProbe(directory: dir.path, manifest: pinned).run()
        #expect(trusted.map(\.status) == [.ok])
        #expect(trusted[0].summary.contains("as grok last hashed them"))
        let thorough = await ModelProbe(directory: dir.path, manifest: pinned, thorough: true).run()
        #expect(thorough.map(\.status) == [.fail])
    }
}

@Suite struct ContainerEngineProbeTests {
    struct Canned: Sendable {
        var outputs: [String: CommandRunner.Output] = [:]
        var timesOut: Set<String> = []
        func run(_ argv: [String], _ timeout: Duration) throws -> CommandRunner.Output {
            if timesOut.contains(argv[0]) { throw CommandTimeout(argv: argv, timeout: timeout) }
            guard let output = outputs[argv[0]] else { throw SpawnError.failed(argv[0], ENOENT) }
            return output
        }
    }

    func probe(_ canned: Canned) -> ContainerEngineProbe { ContainerEngineProbe(runner: { try canned.run($0, $1) }) }

    @Test func noEngineIsAWarningNotAFailure() async {
        let checks = await probe(Canned()).run()
        #expect(checks.map(\.status) == [.warn])
        #expect(checks[0].summary.hasPrefix("no container engine (docker, podman not found)"))
    }

    @Test func anEngineThatAnswersIsOk() async {
        let checks = await probe(Canned(outputs: ["podman": .init(status: 0, stdout: #"{"version":{"Version":"4.3.1"}}"#, stderr: "")])).run()
        #expect(checks == [DoctorCheck("containers", .ok, "podman engine answers (server 4.3.1)")])
    }

    @Test func aCLIWithoutItsDaemonOrAHungOneWarns() async {
        let down = await probe(Canned(outputs: ["docker": .init(status: 1, stdout: "{}", stderr: "Cannot connect to the Docker daemon\n")])).run()
        #expect(down[0].status == .warn)
        #expect(down[0].summary == "docker is installed but its engine does not answer: Cannot connect to the Docker daemon")
        let hung = await probe(Canned(timesOut: ["docker"])).run()
        #expect(hung[0].status == .warn)
        #expect(hung[0].summary == "`docker info` did not answer within 2500 ms")
    }
}

@Suite struct DatumsAndRecordsProbeTests {
    @Test func cyclesAndMissingDependenciesFail() async {
        let dir = TempDir("doctor-datums")
        dir.write("a.process.toml", "[b00t]\nname = \"a\"\ncommand = \"true\"\ndepends_on = [\"b.process\"]\n")
        dir.write("b.process.toml", "[b00t]\nname = \"b\"\ncommand = \"true\"\ndepends_on = [\"a.process\"]\n")
        dir.write("c.process.toml", "[b00t]\nname = \"c\"\ncommand = \"true\"\ndepends_on = [\"ghost\"]\n")
        let checks = await DatumsProbe(searchPath: DatumSearchPath(folders: [dir.path])).run()
        #expect(checks.count == 1)
        #expect(checks[0].status == .fail)
        #expect(checks[0].summary.contains("3 datums from \(dir.path): 2 errors (1 dependency cycle, 1 missing dependency), 0 warnings"), "\(checks[0])")
        #expect(checks[0].fix?.contains("b00t datum check") == true)
    }

    @Test func cleanDatumsAreOkAndWarningsWarn() async {
        let dir = TempDir("doctor-datums")
        dir.write("a.process.toml", "[b00t]\nname = \"a\"\ncommand = \"true\"\n")
        #expect(await DatumsProbe(searchPath: DatumSearchPath(folders: [dir.path])).run().map(\.status) == [.ok])
        dir.write("b.process.toml", "[b00t]\nname = \"b\"\ncommand = \"true\"\nsomething_else = 1\n")
        let warned = await DatumsProbe(searchPath: DatumSearchPath(folders: [dir.path])).run()
        #expect(warned.map(\.status) == [.warn], "\(warned)")
    }

    func writeRecord(_ record: ServiceRecord, in dir: TempDir) throws {
        mkdir(dir.path + "/services", 0o700)
        try record.write(to: dir.path + "/services/\(record.id).json")
    }

    /// A record whose pid is gone is left over (⚠ with the command that clears it); one b00t cannot trust is
    /// ✗; a live one is fine; the bus daemon's own record is the bus probe's.
    @Test func leftoverRecordsOfDeadServices() async throws {
        let dir = TempDir("doctor-records")
        let paths = B00tPaths(stateDirectory: dir.path)
        let live = try Spawn.start(["sleep", "30"], options: .init(newSession: true))
        defer { kill(live, SIGKILL); var status: Int32 = 0; waitpid(live, &status, 0) }
        let ticks = try #require(ProcFS.stat(live)).startTicks
        try writeRecord(ServiceRecord(id: "live.process", pid: live, startTicks: ticks, startedAt: Date(), argv: ["sleep"], restarts: 0), in: dir)
        #expect(await ServiceRecordsProbe(paths: paths, known: ["live.process"]).run()
                == [DoctorCheck("services", .ok, "1 service running: live.process")])

        // Same pid, another start time: not the process b00t started.
        try writeRecord(ServiceRecord(id: "dead.process", pid: live, startTicks: ticks + 1, startedAt: Date(), argv: ["x"], restarts: 0), in: dir)
        try writeRecord(ServiceRecord(id: "gone.process", pid: 3_999_999, startTicks: 1, startedAt: Date(), argv: ["x"], restarts: 0), in: dir)
        try writeRecord(ServiceRecord(id: "b00t-bus.process", pid: 3_999_998, startTicks: 1, startedAt: Date(), argv: ["x"], restarts: 0), in: dir)
        let junk = dir.write("services/junk.process.json", "not json")
        chmod(junk, 0o600)
        let checks = await ServiceRecordsProbe(paths: paths, known: ["dead.process", "live.process"]).run()
        #expect(checks.map(\.name) == ["services.dead.process", "services.gone.process", "services.junk.process"], "\(checks)")
        #expect(checks.map(\.status) == [.warn, .warn, .fail])
        #expect(checks[0].fix == "`b00t stop dead.process` clears it; `b00t up dead.process` starts it again")
        #expect(checks[1].fix == "rm \(dir.path)/services/gone.process.json (there is no datum gone.process any more)")
        #expect(checks[2].fix?.hasPrefix("rm \(junk) once you are sure") == true)
    }
}

@Suite struct BusURLProbeTests {
    @Test func onlyARedisBusIsChecked() async {
        #expect(await BusURLProbe(environment: [:]).run().map(\.status) == [.ok])
        #expect(await BusURLProbe(environment: ["B00T_BUS_URL": "sqlite"]).run().map(\.status) == [.ok])
        let bad = await BusURLProbe(environment: ["B00T_BUS_URL": "rediss://x"]).run()
        #expect(bad.map(\.name) == ["bus.url"])
        #expect(bad[0].status == .fail)
        let redis = await BusURLProbe(environment: ["B00T_BUS_URL": "redis://127.0.0.1:20001/0"]) { url in
            [DoctorCheck("redis.reachable", .ok, "\(url.port)"), DoctorCheck("clock.skew", .warn, "skew")]
        }.run()
        #expect(redis.map(\.name) == ["redis.reachable", "redis.clock.skew"])
        #expect(redis[0].summary == "20001")
    }

    /// Nothing listens: a clear failure quickly, not a hang.
    @Test func unreachableRedisFails() async {
        let port = LoopbackPort.free()
        let started = ContinuousClock.now
        let checks = await Doctor.run([BusURLProbe(environment: ["B00T_BUS_URL": "redis://127.0.0.1:\(port)/0"])])
        #expect(checks.checks.first?.name == "redis.reachable")
        #expect(checks.checks.first?.status == .fail)
        #expect(ContinuousClock.now - started < .seconds(4))
    }
}
