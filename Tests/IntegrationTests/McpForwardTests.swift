import Foundation
import Testing
import B00tCore

/// `b00t` starts without the MCP SDK's networking (FoundationNetworking → libcurl and ~30 shared libraries,
/// ~7 ms of every start); `b00t mcp serve|tools|execute` run the sibling `b00t-mcp` in b00t's place.
@Suite struct McpForwardTests {
    /// The libraries the dynamic loader maps for `binary` (ldd, from libc-bin: on every Debian).
    static func loadedLibraries(_ binary: String) throws -> String {
        let result = try run("/usr/bin/ldd", [binary])
        #expect(result.status == 0, "ldd \(binary): \(result.stderr)")
        return result.stdout
    }

    @Test(arguments: ["b00t", "k0mmand3r"])
    func theEverydayBinariesDoNotLoadCurl(binary: String) throws {
        let libraries = try Self.loadedLibraries(Binaries.path(binary))
        #expect(!libraries.contains("libcurl"), "\(binary) loads libcurl:\n\(libraries)")
        #expect(!libraries.contains("FoundationNetworking"), "\(binary) loads FoundationNetworking:\n\(libraries)")
    }

    @Test(arguments: [["mcp", "serve", "--help"], ["help", "mcp", "serve"]])
    func helpOfAForwardedCommandIsTheRealOne(arguments: [String]) throws {
        let result = try run(Binaries.path("b00t"), arguments)
        #expect(result.status == 0, "\(arguments): \(result.stderr)")
        #expect(result.stdout.contains("USAGE: b00t mcp serve"), "\(arguments): \(result.stdout)")
        #expect(result.stdout.contains("--as <as>"), "\(arguments): \(result.stdout)")
    }

    @Test func theMcpGroupListsEveryCommand() throws {
        let result = try run(Binaries.path("b00t"), ["mcp", "--help"])
        #expect(result.status == 0)
        for name in ["serve", "list", "output", "install", "tools", "execute"] {
            #expect(result.stdout.contains("  \(name) "), "missing \(name):\n\(result.stdout)")
        }
    }

    @Test func usageErrorsComeFromB00tMcpUnderB00tsName() throws {
        let result = try run(Binaries.path("b00t"), ["mcp", "execute"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("Missing expected argument '<server>'"), "\(result.stderr)")
        #expect(result.stderr.contains("b00t mcp execute --help"), "\(result.stderr)")
    }

    /// A `b00t` copied somewhere alone says what it needs instead of failing obscurely.
    @Test func aMissingB00tMcpIsNamedWithItsPath() throws {
        let folder = NSTemporaryDirectory() + "b00t-lonely-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.copyItem(atPath: Binaries.path("b00t"), toPath: folder + "/b00t")
        let result = try run(folder + "/b00t", ["mcp", "tools", "anything"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("b00t-mcp, which is not beside b00t (looked for \(folder)/b00t-mcp)"), "\(result.stderr)")
        // b00t's own commands still work there.
        #expect(try run(folder + "/b00t", ["--version"]).status == 0)
    }

    /// exec keeps the pid: an assistant that started `b00t mcp serve` signals the server itself. Under `nohup`
    /// the forward keeps SIGHUP ignored, as it was given.
    @Test(arguments: [false, true])
    func serveRunsInB00tsOwnProcess(viaNohup: Bool) throws {
        let folder = NSTemporaryDirectory() + "b00t-mcp-pid-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let process = Process()
        let command = ["mcp", "serve", "--as", "pid-check", "--bus", "sqlite:\(folder)/bus.sqlite"]
        process.executableURL = URL(fileURLWithPath: viaNohup ? "/usr/bin/nohup" : Binaries.path("b00t"))
        process.arguments = viaNohup ? [Binaries.path("b00t")] + command : command
        var environment = ProcessInfo.processInfo.environment
        environment["B00T_STATE_DIR"] = folder + "/state"
        process.environment = environment
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // The forwarded process is b00t-mcp under the pid `b00t` had.
        var image = ""
        for _ in 0..<100 {
            image = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(process.processIdentifier)/exe")) ?? ""
            if image.hasSuffix("/b00t-mcp") { break }
            usleep(20_000)
        }
        #expect(image.hasSuffix("/b00t-mcp"), "pid \(process.processIdentifier) runs \(image)")
        // Once it serves, SIGTERM to that pid is a clean stop (its handlers were installed after the exec).
        final class Collected: @unchecked Sendable {
            let lock = NSLock()
            var text = ""
        }
        let collected = Collected()
        let reader = errors.fileHandleForReading
        Thread.detachNewThread {
            while true {
                let data = reader.availableData
                if data.isEmpty { break }
                collected.lock.withLock { collected.text += String(decoding: data, as: UTF8.self) }
            }
        }
        for _ in 0..<500 where !collected.lock.withLock({ collected.text.contains("serving pid-check") }) { usleep(20_000) }
        #expect(collected.lock.withLock { collected.text.contains("serving pid-check") }, "\(collected.lock.withLock { collected.text })")
        if viaNohup {
            kill(process.processIdentifier, SIGHUP)
            usleep(300_000)
            #expect(process.isRunning, "SIGHUP under nohup stopped b00t mcp serve")
        }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0,
                "\(process.terminationReason) \(process.terminationStatus): \(collected.lock.withLock { collected.text })")
    }
}
