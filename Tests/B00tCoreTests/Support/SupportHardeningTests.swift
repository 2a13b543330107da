#if canImport(Glibc)
import Glibc
#endif
import Foundation
import B00tTestSupport
import Testing
@testable import B00tCore

@Suite struct StateDirectoryTests {
    func temp() -> String {
        let path = NSTemporaryDirectory() + "b00t-paths-\(UUID().uuidString.prefix(8))"
        return path
    }

    @Test func createsPrivateDirectoriesAndTightensReadableOnes() throws {
        let root = temp()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try B00tPaths.ensurePrivateDirectory(root + "/a/b")
        for path in [root, root + "/a", root + "/a/b"] {
            #expect((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) == 0o700)
        }
        chmod(root + "/a/b", 0o755)
        try B00tPaths.ensurePrivateDirectory(root + "/a/b")
        #expect((try FileManager.default.attributesOfItem(atPath: root + "/a/b")[.posixPermissions] as? Int) == 0o700)
    }

    @Test func writableByOthersIsRefused() throws {
        let root = temp()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try B00tPaths.ensurePrivateDirectory(root)
        chmod(root, 0o777)
        #expect(throws: StateDirectoryError.writableByOthers(root, mode: 0o777)) { try B00tPaths.ensurePrivateDirectory(root) }
        #expect(StateDirectoryError.writableByOthers(root, mode: 0o777).description.contains("chmod 700 \(root)"))
        chmod(root, 0o770)
        #expect(throws: StateDirectoryError.writableByOthers(root, mode: 0o770)) {
            try B00tPaths(stateDirectory: root).stateSubdirectory("services")
        }
    }

    @Test(.enabled(if: getuid() == 0, "needs root to give a directory to another uid"))
    func foreignOwnerIsRefused() throws {
        let root = temp()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try B00tPaths.ensurePrivateDirectory(root + "/logs")
        #expect(chown(root + "/logs", 65534, 65534) == 0)
        #expect(throws: StateDirectoryError.foreignOwner(root + "/logs", owner: 65534)) {
            try B00tPaths(stateDirectory: root).stateSubdirectory("logs")
        }
    }

    @Test func aFileIsNotADirectory() throws {
        let root = temp()
        defer { try? FileManager.default.removeItem(atPath: root) }
        _ = FileManager.default.createFile(atPath: root, contents: Data())
        #expect(throws: StateDirectoryError.notADirectory(root)) { try B00tPaths.ensurePrivateDirectory(root) }
    }

    /// With HOME unset the state went to `$TMPDIR/.local/state/b00t`, a shared directory.
    @Test func unsetHomeUsesTheUserDatabaseNotTheTempDirectory() {
        let paths = B00tPaths.standard(environment: [:])
        #expect(!paths.stateDirectory.hasPrefix(NSTemporaryDirectory()))
        if let home = B00tPaths.homeDirectory(environment: [:]) {
            #expect(paths.stateDirectory == home + "/.local/state/b00t")
        } else {
            #expect(paths.stateDirectory == "/tmp/b00t-\(getuid())/state")
        }
        #expect(B00tPaths.standard(environment: ["HOME": "/h"]).stateDirectory == "/h/.local/state/b00t")
    }
}

@Suite struct BusTokenTests {
    func paths() -> B00tPaths {
        let root = NSTemporaryDirectory() + "b00t-token-\(UUID().uuidString.prefix(8))"
        try? B00tPaths.ensurePrivateDirectory(root)
        return B00tPaths(stateDirectory: root)
    }

    func writeToken(_ paths: B00tPaths, _ text: String, mode: Int) {
        _ = FileManager.default.createFile(atPath: paths.stateDirectory + "/bus.token", contents: Data(text.utf8),
                                           attributes: [.posixPermissions: mode])
    }

    @Test func goodTokenFileAndVariable() throws {
        let p = paths()
        #expect(try BusEndpoint.token(paths: p, environment: [:]) == nil)
        writeToken(p, "s3cret\n", mode: 0o600)
        #expect(try BusEndpoint.token(paths: p, environment: [:]) == "s3cret")
        #expect(try BusEndpoint.token(paths: p, environment: ["B00T_BUS_TOKEN": "env"]) == "env")
    }

    @Test func tokensThatDisableOrLeakAuthenticationAreRefused() throws {
        let p = paths()
        let file = p.stateDirectory + "/bus.token"
        writeToken(p, " \n\t", mode: 0o600)
        #expect(throws: BusTokenError.blankFile(file)) { try BusEndpoint.token(paths: p, environment: [:]) }
        writeToken(p, "s3cret", mode: 0o644)
        #expect(throws: BusTokenError.badMode(file, mode: 0o644)) { try BusEndpoint.token(paths: p, environment: [:]) }
        #expect(throws: BusTokenError.blankVariable) { try BusEndpoint.token(paths: p, environment: ["B00T_BUS_TOKEN": " "]) }
        try FileManager.default.removeItem(atPath: file)
        try FileManager.default.createSymbolicLink(atPath: file, withDestinationPath: "/etc/hostname")
        #expect(throws: BusTokenError.self) { try BusEndpoint.token(paths: p, environment: [:]) }
    }
}

@Suite struct SupportPiecesTests {
    @Test func cocoaFileErrorsBecomeReadableText() {
        let error = NSError(domain: NSCocoaErrorDomain, code: NSFileWriteFileExistsError,
                            userInfo: [NSFilePathErrorKey: "/tmp/x"])
        #expect(ErrorText.describe(error) == "cannot write /tmp/x: something else already exists there")
        let unknown = NSError(domain: NSCocoaErrorDomain, code: NSFileWriteUnknownError,
                              userInfo: [NSFilePathErrorKey: "/s", NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(ENOTDIR))])
        #expect(ErrorText.describe(unknown) == "cannot write /s: Not a directory")
        #expect(ErrorText.describe(OrchestratorError.system("plain")) == "plain")
    }

    @Test func escapingStreamKeepsSplitUTF8Together() {
        var stream = EscapingStream()
        let bytes = Array("é\u{1B}[2J✓\n".utf8)
        var out = ""
        for b in bytes { out += stream.feed([b]) }
        out += stream.finish()
        #expect(out == "é\\e[2J✓\n")
    }

    @Test func logTailReadsTheEnd() throws {
        let path = NSTemporaryDirectory() + "b00t-tail-\(UUID().uuidString.prefix(8))"
        defer { unlink(path) }
        let text = (1...100_000).map { "line \($0)" }.joined(separator: "\n") + "\n"
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        #expect(LogTail.read(path, lines: 3) == "line 99998\nline 99999\nline 100000")
        #expect(LogTail.read(path, lines: 1, maximumBytes: 4) == "000")
        let link = path + ".link"
        defer { unlink(link) }
        symlink(path, link)
        #expect(LogTail.read(link, lines: 3) == nil)
    }

    @Test func lockHolderIsNamed() throws {
        let path = NSTemporaryDirectory() + "b00t-lock-\(UUID().uuidString.prefix(8))"
        defer { unlink(path) }
        let held = try FileLock(path: path)
        var told: pid_t?? = nil
        #expect(throws: LockError.self) {
            _ = try FileLock(path: path, timeout: .milliseconds(200), notifyAfter: .zero) { told = $0 }
        }
        #expect(told == .some(getpid()))
        do {
            _ = try FileLock(path: path, timeout: .milliseconds(50))
        } catch {
            #expect(error.description.contains("held by pid \(getpid())"))
        }
        held.release()
        _ = try FileLock(path: path, timeout: .milliseconds(50))
    }
}

@Suite struct CommandRunnerTests {
    @Test func capturesBothStreamsAndTheStatus() throws {
        let output = try CommandRunner.run(["sh", "-c", "echo out; echo err >&2; exit 3"])
        #expect(output.status == 3)
        #expect(output.stdout == "out\n")
        #expect(output.stderr == "err\n")
    }

    /// A container CLI whose daemon hangs held `up` and `ps` forever; now the whole group is killed in time.
    @Test func hangingCommandIsKilledWithItsChildren() throws {
        let marker = "3\(UInt32.random(in: 100...999)).\(UInt32.random(in: 100_000...999_999))"
        let began = ContinuousClock.now
        #expect(throws: CommandTimeout.self) {
            try CommandRunner.run(["sh", "-c", "sleep \(marker) & sleep \(marker)"], timeout: .milliseconds(300))
        }
        #expect(ContinuousClock.now - began < .seconds(3))
        usleep(100_000)
        let left = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { Int32($0) }.filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
                  String(decoding: data, as: UTF8.self).contains("sleep\u{0}\(marker)") else { return false }
            return ProcFS.isAlive(pid)
        } ?? []
        #expect(left.isEmpty)
    }

    @Test func missingProgramThrows() {
        #expect(throws: SpawnError.self) { try CommandRunner.run(["b00t-no-such-program-\(getpid())"]) }
    }
}
