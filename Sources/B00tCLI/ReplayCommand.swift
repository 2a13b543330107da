import ArgumentParser
import B00tCore
import Foundation
import K0mmand3rKit

/// `b00t replay FILE…`: the same runner as `k0mmand3r --replay`, for scripts and CI.
struct Replay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Run k0mmand3r replay files (*.k0); exit non-zero at the first failed @expect.")
    @Option(help: "memory (default: each file gets a fresh bus), sqlite[:PATH], socket or redis://… (also $B00T_BUS_URL).") var bus: String?
    @Option(name: .customLong("as"), help: "Agent to start as (default $B00T_AGENT or $USER).") var agent: String?
    @Flag(name: .shortAndLong, help: "Print each command and its output, @as switches and the bus events that arrived.") var verbose = false
    @Argument(help: "Replay files.") var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one replay file, e.g. b00t replay examples/ahoy.k0") }
    }

    func run() async throws {
        let choice: BusURL
        do { choice = try BusURL.resolve(bus, fallback: .memory) } catch { throw ValidationError(error.description) }
        for file in files {
            let me = agent ?? Session.defaultAgent()
            let crewBus: any CrewBus
            do { crewBus = try await choice.open(agent: me) } catch { throw CLIError("cannot open the bus: \(error)") }
            // Replay files say who speaks with @as; nobody is registered behind their back, so ids are reproducible.
            let session = Session(bus: crewBus, agent: me)
            let echo: (@Sendable (String) -> Void)? = verbose ? printLine : nil
            do {
                let report = try await ReplayRunner(session: session, echo: echo, verbose: verbose).run(file: file)
                print("ok \(file): \(report.commands) commands, \(report.expectations) expectations"
                      + (report.allowedErrors > 0 ? ", \(report.allowedErrors) allowed errors" : ""))
            } catch let failure as ReplayRunner.Failure {
                if let remote = crewBus as? RemoteBus { await remote.close() }
                throw CLIError("replay failed at \(failure)")
            }
            if let remote = crewBus as? RemoteBus { await remote.close() }
        }
    }
}

/// Replay output quotes what agents said: escaped before it reaches a terminal.
@Sendable func printLine(_ line: String) { FileHandle.standardOutput.write(Data((TerminalText.line(line) + "\n").utf8)) }
