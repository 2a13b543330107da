import ArgumentParser
import B00tCore
import Foundation

/// `b00t mcp serve|tools|execute` run in `b00t-mcp`, the binary beside `b00t` that links the MCP SDK. The SDK
/// brings FoundationNetworking and, through it, libcurl and ~30 shared libraries: linked into `b00t` they cost
/// every start ~7 ms (a static-stdlib hello 2.5 ms → 9.4 ms once it links them; perf, 2026-12-03), while only
/// these three commands need them. `b00t` replaces itself with `b00t-mcp` (exec: same pid, same stdin/stdout
/// for the assistant that started it) before parsing anything.
package enum McpForward {
    /// The subcommands of `mcp` that live in `b00t-mcp`, and their one-line help (shown by both binaries).
    package static let abstracts: [String: String] = [
        "serve": "Serve the crew bus to an AI assistant over MCP (stdio) as one agent.",
        "tools": "Start an mcp datum's server and list its tools with their arguments.",
        "execute": "Start an mcp datum's server and call one tool: b00t mcp execute SERVER TOOL '{\"arg\": 1}'.",
    ]

    /// Replaces this process with `b00t-mcp` when `arguments` (without the program name) name one of its
    /// commands; returns otherwise. If `b00t-mcp` is missing or cannot run, prints why and exits 1.
    package static func execIfForwarded(_ arguments: [String]) {
        guard let forwarded = forwarded(arguments) else { return }
        do { try exec(forwarded) } catch {
            B00t.exit(withError: error)
        }
    }

    /// The command line `b00t-mcp` gets for `arguments`, or nil when they are b00t's own: `mcp serve …` as is,
    /// and `help mcp serve` as `mcp serve --help` (the real help, not the forwarding entry's).
    package static func forwarded(_ arguments: [String]) -> [String]? {
        if arguments.count >= 2, arguments[0] == "mcp", abstracts[arguments[1]] != nil { return arguments }
        if arguments.count >= 3, arguments[0] == "help", arguments[1] == "mcp", abstracts[arguments[2]] != nil {
            return ["mcp", arguments[2], "--help"]
        }
        return nil
    }

    /// `b00t-mcp` beside the running `b00t` (its real path, symlinks resolved).
    package static func binaryPath() -> String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments.first ?? "b00t"
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("b00t-mcp").path
    }

    static func exec(_ arguments: [String]) throws -> Never {
        let path = binaryPath()
        let command = "b00t " + arguments.prefix(2).joined(separator: " ")
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw CLIError("`\(command)` runs b00t-mcp, which is not beside b00t (looked for \(path)); build it with `swift build` (or `make build`), or install it next to b00t")
        }
        // exec keeps the calling thread's signal mask, which may be a runtime thread's: unblock all. Dispositions
        // are left as the parent gave them (b00t changed none yet), so `nohup b00t mcp serve` still ignores SIGHUP.
        var none = sigset_t()
        sigemptyset(&none)
        sigprocmask(SIG_SETMASK, &none, nil)
        let argv = [path] + arguments
        var pointers: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) }
        pointers.append(nil)
        execv(path, pointers)
        let reason = String(cString: strerror(errno))
        throw CLIError("`\(command)` could not run \(path): \(reason)")
    }

    /// The entries `b00t mcp --help` lists. Each only reaches `run()` when `execIfForwarded` was bypassed (a
    /// caller that parses b00t's command line itself); it forwards the same way.
    package protocol Forwarded: ParsableCommand {
        var arguments: [String] { get }
    }

    package struct Serve: Forwarded {
        package static let configuration = CommandConfiguration(commandName: "serve", abstract: abstracts["serve"] ?? "")
        @Argument(parsing: .captureForPassthrough, help: "Options of `b00t mcp serve` (see `b00t mcp serve --help`).")
        package var arguments: [String] = []
        package init() {}
    }

    package struct Tools: Forwarded {
        package static let configuration = CommandConfiguration(commandName: "tools", abstract: abstracts["tools"] ?? "")
        @Argument(parsing: .captureForPassthrough, help: "Arguments of `b00t mcp tools` (see `b00t mcp tools --help`).")
        package var arguments: [String] = []
        package init() {}
    }

    package struct Execute: Forwarded {
        package static let configuration = CommandConfiguration(commandName: "execute", abstract: abstracts["execute"] ?? "")
        @Argument(parsing: .captureForPassthrough, help: "Arguments of `b00t mcp execute` (see `b00t mcp execute --help`).")
        package var arguments: [String] = []
        package init() {}
    }
}

extension McpForward.Forwarded {
    package func run() throws {
        try McpForward.exec(["mcp", Self._commandName] + arguments)
    }
}
