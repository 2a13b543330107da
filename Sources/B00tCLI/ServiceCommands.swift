import ArgumentParser
import B00tCore
import Foundation

/// Builds the orchestrator every service command uses; datum errors in unrelated files do not block it.
func makeOrchestrator(_ options: DatumOptions) -> Orchestrator {
    Orchestrator(catalog: BuiltinDatums.adding(to: options.loadCatalog()))
}

/// Runs `body`, turning orchestrator and lookup errors into a clean `Error: …` and exit 1.
func orchestrated<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as OrchestratorError {
        throw CLIError(error.description)
    } catch let error as DatumLookupError {
        throw CLIError(error.description)
    }
}

struct Up: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make services (and everything they depend on) run and be healthy. Silent; B00T_DEBUG=1 explains.")
    @OptionGroup var options: DatumOptions
    @Argument(help: "Datums to bring up: name.type or a unique name (stacks bring up their members).")
    var names: [String]

    func validate() throws {
        if names.isEmpty { throw ValidationError("name at least one datum, e.g. `b00t up redis.process`") }
    }

    func run() throws {
        let orchestrator = makeOrchestrator(options)
        try orchestrated { _ = try orchestrator.ensure(names) }
    }
}

struct Ps: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show every service datum: state, health, pid/container, ports, uptime.")
    @OptionGroup var options: DatumOptions
    @Flag(help: "Print JSON.") var json = false
    @Argument(help: "Only these datums (and what they need).") var names: [String] = []

    func run() throws {
        let orchestrator = makeOrchestrator(options)
        let statuses = try orchestrated { try orchestrator.status(names.isEmpty ? nil : names) }
        if json {
            print(try jsonText(statuses))
            return
        }
        let rows = statuses.map { s in
            [s.id, s.runtime, s.state.rawValue, s.health ?? "-",
             s.pid.map(String.init) ?? s.container ?? "-", s.ports.isEmpty ? "-" : s.ports,
             s.uptime().map(formatUptime) ?? "-"]
        }
        print(Table(headers: ["NAME", "RUNTIME", "STATE", "HEALTH", "PID/CONTAINER", "PORTS", "UPTIME"], rows: rows)
            .render(), terminator: "")
    }
}

struct Stop: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stop a service, or a stack's members in reverse dependency order.")
    @OptionGroup var options: DatumOptions
    @Flag(help: "Stop even what running datums still depend on.") var force = false
    @Argument var name: String

    func run() throws {
        let orchestrator = makeOrchestrator(options)
        let report = try orchestrated { try orchestrator.stop(name, force: force) }
        for (id, needers) in report.kept.sorted(by: { $0.key < $1.key }) {
            FileHandle.standardError.write(Data("kept \(id): still needed by \(needers.joined(separator: ", ")) (--force stops it)\n".utf8))
        }
    }
}

struct Restart: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stop and start a service again.")
    @OptionGroup var options: DatumOptions
    @Flag(help: "Also restart running datums that depend on it.") var withDependents = false
    @Argument var name: String

    func run() throws {
        let orchestrator = makeOrchestrator(options)
        try orchestrated { _ = try orchestrator.restart(name, withDependents: withDependents) }
    }
}

struct Logs: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a service's log; -f follows it.")
    @OptionGroup var options: DatumOptions
    @Flag(name: .shortAndLong, help: "Follow the log.") var follow = false
    @Option(name: .shortAndLong, help: "Lines to show.") var lines = 100
    @Argument var name: String

    func run() throws {
        let orchestrator = makeOrchestrator(options)
        let (tail, followArgv) = try orchestrated { try orchestrator.logs(name, lines: lines) }
        guard follow else {
            if !tail.isEmpty { print(tail) }
            return
        }
        // Hand the terminal to the follower (tail -F / docker logs -f): argv, no shell.
        let pid = try Spawn.start(followArgv, options: .init(inheritOutput: true))
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
}
