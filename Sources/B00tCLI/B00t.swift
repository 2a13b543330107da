import ArgumentParser
import B00tCore
import Foundation

@main
struct B00t: AsyncParsableCommand {
    /// Parsing is ArgumentParser's; so are its errors. Everything a command throws goes through one printer:
    /// a readable message (Foundation's file errors with their path, not `NSCocoaErrorDomain Code=…`), escaped
    /// for the terminal, exit 1 — so no command wraps errors itself.
    static func main() async {
        // Every swift-log logger (libraries' too) goes through b00t's handler: silent until a long-running
        // command turns logging on, and never onto stdout (the MCP server's stream).
        B00tLog.bootstrapSwiftLog()
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: presentable(error))
        }
    }

    static func presentable(_ error: any Error) -> any Error {
        // `--help` and `help CMD` parse to a command whose run() throws ArgumentParser's own request: let
        // ArgumentParser render those (help on stdout, exit 0; usage errors with exit 64).
        let code = exitCode(for: error)
        if code == .success || code == .validationFailure { return error }
        switch error {
        case is ExitCode, is CleanExit, is ValidationError, is CLIError: return error
        default: return CLIError(ErrorText.describe(error))
        }
    }

    /// Every command names itself (`commandName:`): without one, ArgumentParser derives it with
    /// `String(describing: Self.self)`, whose dynamic cast scans every protocol conformance record of this 60 MB
    /// binary — once per command type, ~6 ms of a `b00t up` (perf, 2026-12-03).
    static let configuration = CommandConfiguration(
        commandName: "b00t",
        abstract: "Datums, self-starting services and a crew message bus for developers and AI agents.",
        version: "b00t \(B00tVersion.current)",
        subcommands: [DatumCommand.self, Up.self, Ps.self, Stop.self, Restart.self, Logs.self, BusGroup.self, AgentGroup.self, Replay.self, GrokGroup.self, Lfmf.self, Advice.self, LearnTopic.self, McpGroup.self, DoctorCommand.self, ServiceLog.self]
    )
}
