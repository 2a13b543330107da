import ArgumentParser
import B00tCore
import Foundation
import K0mmand3rKit

/// k0mmand3r: the crew REPL. A split-pane TUI on a terminal, `--line` for a plain prompt, plain lines from a
/// pipe, or a replay file.
@main
struct K0mmand3rMain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "k0mmand3r", abstract: "Steer a crew of agents: services, bus events, votes, ahoys and skills.",
        version: "k0mmand3r \(B00tVersion.current)")

    @Flag(help: "A plain prompt (libedit) instead of the split-pane screen.") var line = false
    @Option(help: "Run a replay file (*.k0) and exit; non-zero at the first failed @expect.") var replay: String?
    @Option(help: "Colour theme (default $B00T_THEME or default).") var theme: String?
    @Option(name: .customLong("as"), help: "Agent id to speak as (default $B00T_AGENT or $USER).") var agent: String?
    @Option(help: "socket (the daemon, started if needed: the default), sqlite[:PATH], memory or redis://host:port/db (also $B00T_BUS_URL).") var bus: String?
    @Option(help: "When to colour plain output: auto, always or never.") var color = "auto"
    @Option(help: "Crew stream lines kept in memory.") var scrollback = 20_000

    func validate() throws {
        guard ["auto", "always", "never"].contains(color) else { throw ValidationError("--color must be auto, always or never (got '\(color)')") }
        guard (100...10_000_000).contains(scrollback) else { throw ValidationError("--scrollback must be 100–10000000 lines (got \(scrollback))") }
    }

    func run() async throws {
        // Libraries' swift-log loggers go through b00t's handler, which stays silent here: nothing may write
        // over the screen.
        B00tLog.bootstrapSwiftLog()
        let me = agent ?? Session.defaultAgent()
        let choice: BusURL
        // Default: the daemon for people (one writer, presence, pushed events), a throwaway bus for replays.
        do { choice = try BusURL.resolve(bus, fallback: replay != nil ? .memory : .daemon) } catch { throw ValidationError(error.description) }
        // NO_COLOR (https://no-color.org) means the mono theme unless a theme is asked for on the command line.
        let noColor = ProcessInfo.processInfo.environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        let themeName = theme ?? (noColor ? "mono" : ProcessInfo.processInfo.environment["B00T_THEME"] ?? "default")
        let crewBus: any CrewBus
        do {
            crewBus = try await choice.open(agent: me)
        } catch {
            // The reason may quote a path, a URL or a daemon's log line: escaped before it reaches the terminal.
            FileHandle.standardError.write(Data("k0mmand3r: cannot open the bus: \(TerminalText.block(ErrorText.describe(error)))\n".utf8))
            throw ExitCode(1)
        }
        let interactive = replay == nil && isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1
        let session = Session(bus: crewBus, agent: me, theme: themeName, interactive: interactive)
        defer { if let remote = crewBus as? RemoteBus { Task { await remote.close() } } }

        if let replay {
            do {
                let report = try await ReplayRunner(session: session).run(file: replay)
                print("ok \(replay): \(report.commands) commands, \(report.expectations) expectations"
                      + (report.allowedErrors > 0 ? ", \(report.allowedErrors) allowed errors" : ""))
            } catch let failure as ReplayRunner.Failure {
                FileHandle.standardError.write(Data("replay failed at \(TerminalText.block("\(failure)"))\n".utf8))
                throw ExitCode(1)
            }
            return
        }
        try await session.start()
        if !interactive {
            let failures = await PipeMode(session: session, color: colourWanted(tty: isatty(STDOUT_FILENO) == 1)).run()
            if failures > 0 {
                FileHandle.standardError.write(Data("k0mmand3r: \(failures) command\(failures == 1 ? "" : "s") failed\n".utf8))
                throw ExitCode(1)
            }
        } else if line {
            try await LineMode(session: session, color: colourWanted(tty: true)).run()
        } else {
            try await TUIApp(session: session, themeName: themeName, scrollback: scrollback).run()
        }
    }

    func colourWanted(tty: Bool) -> Bool {
        if ProcessInfo.processInfo.environment["NO_COLOR"].map({ !$0.isEmpty }) == true && color != "always" { return false }
        switch color {
        case "always": return true
        case "never": return false
        default: return tty
        }
    }
}
