import ArgumentParser
import B00tCore
import Foundation

/// Builds the orchestrator every service command uses; datum errors in unrelated files do not block it.
func makeOrchestrator(_ options: DatumOptions) -> Orchestrator {
    Orchestrator(catalog: BuiltinDatums.adding(to: options.loadCatalog()))
}

struct Up: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Make services (and everything they depend on) run and be healthy. Silent; B00T_DEBUG=1 explains.")
    @OptionGroup var options: DatumOptions
    @Argument(help: "Datums to bring up: name.type or a unique name (stacks bring up their members).")
    var names: [String]

    func validate() throws {
        if names.isEmpty { throw ValidationError("name at least one datum, e.g. `b00t up redis.process`") }
    }

    func run() async throws {
        let orchestrator = makeOrchestrator(options)
        try await orchestrator.ensure(names)
    }
}

struct Ps: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "Show every service datum: state, health, pid/container, ports, uptime.")
    @OptionGroup var options: DatumOptions
    @Flag(help: "Print JSON.") var json = false
    @Argument(help: "Only these datums (and what they need).") var names: [String] = []

    func run() async throws {
        let orchestrator = makeOrchestrator(options)
        let statuses = try await orchestrator.status(names.isEmpty ? nil : names)
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
        for note in ServiceStatus.notes(statuses) { print(note) }
    }
}

struct Stop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Stop a service, or a stack's members in reverse dependency order.")
    @OptionGroup var options: DatumOptions
    @Flag(help: "Stop even what running datums still depend on.") var force = false
    @Argument var name: String

    func run() async throws {
        let orchestrator = makeOrchestrator(options)
        let report = try await orchestrator.stop(name, force: force)
        for (id, needers) in report.kept.sorted(by: { $0.key < $1.key }) {
            let line = TerminalText.line("kept \(id): still needed by \(needers.joined(separator: ", ")) (--force stops it)")
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }
}

struct Restart: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restart", abstract: "Stop and start a service again.")
    @OptionGroup var options: DatumOptions
    @Flag(help: "Also restart running datums that depend on it.") var withDependents = false
    @Argument var name: String

    func run() async throws {
        let orchestrator = makeOrchestrator(options)
        try await orchestrator.restart(name, withDependents: withDependents)
    }
}

/// Service output is shown escaped (`TerminalText.block`: only newlines and tabs pass), because a service —
/// or whoever can make it log a request line — must not be able to rewrite the reader's terminal. `--raw`
/// prints the bytes exactly as written (colours, progress bars), for a terminal you trust or a pipe.
struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print a service's log; -f follows it.")
    @OptionGroup var options: DatumOptions
    @Flag(name: .shortAndLong, help: "Follow the log.") var follow = false
    @Option(name: .shortAndLong, help: "Lines to show (1–100000).") var lines = 100
    @Flag(help: "Print the log's bytes unescaped (terminal control sequences included).") var raw = false
    @Argument var name: String

    static let lineRange = 1...100_000

    func validate() throws {
        guard Self.lineRange.contains(lines) else {
            throw ValidationError("--lines must be from \(Self.lineRange.lowerBound) to \(Self.lineRange.upperBound) (got \(lines))")
        }
    }

    func run() async throws {
        let orchestrator = makeOrchestrator(options)
        let (tail, followArgv) = try await orchestrator.logs(name, lines: lines)
        guard follow else {
            if !tail.isEmpty { print(raw ? tail : TerminalText.block(tail)) }
            return
        }
        guard !raw else {
            // Hand the terminal to the follower (tail -F / docker logs -f): argv, no shell.
            let pid = try Spawn.start(followArgv, options: .init(inheritOutput: true))
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            return
        }
        try followEscaped(followArgv)
    }

    /// Runs the follower with its output into a pipe and prints what arrives, escaped, as it arrives.
    func followEscaped(_ argv: [String]) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw CLIError("cannot follow the log: \(String(cString: strerror(errno)))") }
        let pid: pid_t
        do {
            pid = try Spawn.start(argv, options: .init(outputDescriptor: fds[1]))
        } catch {
            close(fds[0]); close(fds[1])
            throw CLIError("\(error)")
        }
        close(fds[1])
        var decoder = EscapingStream()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            FileHandle.standardOutput.write(Data(decoder.feed(buffer[0..<n]).utf8))
        }
        FileHandle.standardOutput.write(Data(decoder.finish().utf8))
        close(fds[0])
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
}
