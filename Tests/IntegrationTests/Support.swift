#if canImport(Glibc)
import Glibc
#endif
import Foundation
import B00tCore

/// Paths to the package's built executables (built next to the test bundle by `swift test`).
enum Binaries {
    static let directory: String = {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path,
            Bundle.main.bundleURL.deletingLastPathComponent().path,
            Bundle.main.bundleURL.path,
        ]
        for c in candidates where FileManager.default.isExecutableFile(atPath: c + "/b00t") { return c }
        return packageRoot + "/.build/debug"
    }()

    static func path(_ name: String) -> String { directory + "/" + name }
}

let packageRoot: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// The outcome of running a child process to completion.
struct RunResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `executable` with `arguments` (argv, no shell) and waits for it.
@discardableResult
func run(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:], input: String? = nil,
    currentDirectory: String? = nil
) throws -> RunResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    process.environment = env
    // Not the package root: its ./_b00t_ would join every search path.
    process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory ?? NSTemporaryDirectory())
    let out = Pipe(), err = Pipe(), inp = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = inp
    try process.run()
    if let input { inp.fileHandleForWriting.write(Data(input.utf8)) }
    try? inp.fileHandleForWriting.close()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return RunResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                     stderr: String(decoding: errData, as: UTF8.self))
}

func freePort() -> Int { LoopbackPort.free() }

/// Pids whose command line contains every one of `needles` (a /proc scan; no shell, no pgrep).
func pids(matching needles: [String]) -> [Int32] {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
    return entries.compactMap { Int32($0) }.filter { pid in
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        let cmdline = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")"), stat[stat.index(close, offsetBy: 2)] != "Z"
        else { return false }
        return needles.allSatisfy { cmdline.contains($0) }
    }
}

/// Whether a container engine can actually run containers here.
let dockerWorks: Bool = {
    guard let result = try? run("/usr/bin/env", ["docker", "info"]) else { return false }
    return result.status == 0
}()

/// SIGKILLs every process (of ours) whose environment has `B00T_STATE_DIR=dir`: what a test started and lost
/// track of (a daemon started again by a session on its way out) never outlives the test.
func killProcesses(withStateDirectory dir: String) {
    let wanted = "B00T_STATE_DIR=\(dir)"
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return }
    for pid in entries.compactMap({ Int32($0) }) where pid != getpid() {
        guard let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { continue }
        let variables = environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        if variables.contains(wanted) { kill(pid, SIGKILL) }
    }
}
