import ArgumentParser
import B00tCore
import Foundation

/// How `b00t` and `b00t-mcp` run a command line. Parsing is ArgumentParser's; so are its errors. Everything a
/// command throws goes through one printer: a readable message (Foundation's file errors with their path, not
/// `NSCocoaErrorDomain Code=…`), escaped for the terminal, exit 1 — so no command wraps errors itself.
package enum CommandMain {
    package static func run<Root: ParsableCommand>(_ root: Root.Type) async {
        // Every swift-log logger (libraries' too) goes through b00t's handler: silent until a long-running
        // command turns logging on, and never onto stdout (the MCP server's stream).
        B00tLog.bootstrapSwiftLog()
        var command: any ParsableCommand
        do {
            command = try Root.parseAsRoot()
        } catch {
            Root.exit(withError: error)
        }
        do {
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch let error as ValidationError {
            // Thrown by a subcommand's run() (a combination of options only it can judge): ArgumentParser would
            // print the root's usage ("Usage: b00t <subcommand>"); the subcommand's is the one that helps.
            let usage = Root.usageString(for: type(of: command))
            FileHandle.standardError.write(Data("Error: \(TerminalText.block(error.message))\nUsage: \(usage)\n".utf8))
            Foundation.exit(ExitCode.validationFailure.rawValue)
        } catch {
            Root.exit(withError: presentable(error))
        }
    }

    package static func presentable(_ error: any Error) -> any Error {
        // `--help` and `help CMD` parse to a command whose run() throws ArgumentParser's own request: let
        // ArgumentParser render those (help on stdout, exit 0; usage errors with exit 64).
        let code = B00t.exitCode(for: error)
        if code == .success || code == .validationFailure { return error }
        switch error {
        case is ExitCode, is CleanExit, is ValidationError, is CLIError: return error
        default: return CLIError(ErrorText.describe(error))
        }
    }
}
