import ArgumentParser
import B00tCore
import Foundation

/// `b00t doctor`: every check in B00tCore's `Doctor`, concurrently and each bounded in time; one line per
/// check (✓/⚠/✗) with the fix under each ⚠ and ✗, or one JSON object with `--json`. Exit 1 when any ✗.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check this machine for b00t: packages, state dirs, bus daemon and database, Redis, grok's model, container engine, datums, leftover services.")
    @OptionGroup var options: DatumOptions
    @Flag(help: "One JSON object: {\"status\":…,\"checks\":[{id,status,summary,fix}]} (status ok|warn|fail).") var json = false

    @Flag(help: "Hash grok's model files even when grok's stamp says they are unchanged since it last did.") var thorough = false

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let probes = Doctor.standardProbes(environment: environment, searchPath: options.searchPath, thorough: thorough)
        let report = await Doctor.run(probes)
        if json {
            print(try report.json())
        } else {
            let colour = DoctorReport.wantsColour(isTerminal: isatty(STDOUT_FILENO) == 1, environment: environment)
            print(report.text(colour: colour), terminator: "")
        }
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
