import ArgumentParser
import B00tCore
import Foundation

struct BusGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bus",
        abstract: "The crew message bus.",
        subcommands: [BusServe.self, BusTail.self, BusPing.self, BusDoctor.self, BusLoad.self, BusAwardRace.self, BusLatencyProbe.self]
    )
}

/// Where the embedded bus lives unless told otherwise.
func defaultBusPath() -> String { B00tPaths.standard().stateDirectory + "/bus.sqlite" }

/// Appends chat events as fast as it can and prints each acknowledged sequence number: the crash test
/// kills it mid-stream and checks that every printed number survived.
struct BusLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load", abstract: "Append test events and print each acknowledged sequence number.",
        shouldDisplay: false)
    @Option(help: "SQLite bus file.") var db: String?
    @Option(help: "A Redis bus (redis://host:port/db) instead of SQLite.") var bus: String?
    @Option(help: "How many events.") var count = 1_000
    @Option(help: "Events per append.") var batch = 1
    @Option(help: "Agent id to speak as.") var agent = "loader"
    @Option(help: "Concurrent submitters on the one bus, each appending its share (exercises group commit).")
    var submitters = 1

    func validate() throws {
        guard (1...1_000_000_000).contains(count) else { throw ValidationError("--count must be 1…1000000000, got \(count)") }
        guard (1...10_000).contains(batch) else { throw ValidationError("--batch must be 1…10000, got \(batch)") }
        guard (1...64).contains(submitters) else { throw ValidationError("--submitters must be 1…64, got \(submitters)") }
    }

    func run() async throws {
        let backend: any BusBackend
        do {
            backend = try (self.bus.map { try BusURL(parsing: $0) } ?? .sqlite(path: db ?? defaultBusPath())).backend()
        } catch { throw ValidationError("--bus: \(error)") }
        let bus = try await MessageBus(backend: backend)
        try await bus.register(BusAgent(id: agent))
        let (agent, batch, submitters, count) = (agent, batch, submitters, count)
        let printer = AckPrinter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for submitter in 0..<submitters {
                let share = count / submitters + (submitter < count % submitters ? 1 : 0)
                group.addTask {
                    var written = 0
                    while written < share {
                        let n = min(batch, share - written)
                        let commands = (0..<n).map {
                            BusCommand.say(from: agent, crew: nil, to: nil, text: "load \(submitter).\(written + $0)")
                        }
                        let events = try await bus.submit(commands)
                        written += n
                        if let last = events.last { printer.acknowledge(last.seq) }
                    }
                }
            }
            try await group.waitForAll()
        }
        FileHandle.standardError.write(Data("transactions that waited: \(await bus.waitedTransactions)\n".utf8))
    }
}

/// One line per acknowledged sequence number, whole lines only, from any number of submitters.
private final class AckPrinter: Sendable {
    private let lock = NSLock()
    func acknowledge(_ seq: UInt64) {
        lock.withLock { FileHandle.standardOutput.write(Data("\(seq)\n".utf8)) }
    }
}

/// Awards every open ahoy it finds to `--winner`, as `--as`, and prints how many awards it won: two of these
/// racing on one bus must never both award the same ahoy.
struct BusAwardRace: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "award-race", abstract: "Race to award open ahoys (a concurrency test tool).", shouldDisplay: false)
    @Option(help: "The bus (redis://… or sqlite:PATH).") var bus: String
    @Option(name: .customLong("as"), help: "The poster.") var poster = "captain"
    @Option(help: "Who to award to.") var winner: String

    func run() async throws {
        let backend: any BusBackend
        do { backend = try BusURL(parsing: bus).backend() } catch { throw ValidationError("--bus: \(error)") }
        let crewBus = try await MessageBus(backend: backend)
        let ids = await crewBus.state.listAhoys(.open).filter { $0.from == poster }.map(\.id)
        var won = 0
        for id in ids {
            do {
                try await crewBus.awardAhoy(id, to: winner, by: poster)
                won += 1
            } catch BusError.closed {
                // The other racer was first: exactly what must happen half the time.
            }
        }
        print("won \(won) of \(ids.count)")
    }
}

/// Measures how long events take to reach this process: follows the bus and, for each `probe <ns>` message
/// (the sender's wall-clock time in nanoseconds), records now − then; prints `{"n":…,"p50_ms":…,"p99_ms":…}`.
/// The bench runs it on another "host" (network namespace) than the writer; all hosts share one clock.
struct BusLatencyProbe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latency-probe", abstract: "Measure event delivery latency (a bench tool).", shouldDisplay: false)
    @Option(help: "The bus (redis://…).") var bus: String
    @Option(help: "How many probe messages to wait for (1–1000000).") var count = 1_000
    @Option(help: "Give up after this many seconds (1–3600).") var timeout = 60

    func run() async throws {
        guard (1...1_000_000).contains(count) else { throw ValidationError("--count must be 1–1000000") }
        guard (1...3_600).contains(timeout) else { throw ValidationError("--timeout must be 1–3600 seconds") }
        let crewBus = try await connectBus(agent: "probe-\(getpid())", url: bus)
        let start = try await crewBus.currentState().lastSeq
        FileHandle.standardError.write(Data("ready\n".utf8))
        var latencies: [Double] = []
        latencies.reserveCapacity(count)
        let deadline = ContinuousClock.now + .seconds(timeout)
        let watchdog = Task {
            do { try await Task.sleep(until: deadline) } catch { return }  // cancelled: we finished in time
            FileHandle.standardError.write(Data("latency-probe: timed out\n".utf8))
            Foundation.exit(1)
        }
        for try await event in crewBus.follow(after: start) {
            guard case .message(_, _, let text) = event.body, text.hasPrefix("probe "),
                  let sent = UInt64(text.dropFirst(6)) else { continue }
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            let received = UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
            latencies.append(Double(received &- sent) / 1e6)
            if latencies.count >= count { break }
        }
        watchdog.cancel()
        latencies.sort()
        func at(_ q: Double) -> Double { latencies.isEmpty ? .nan : latencies[min(latencies.count - 1, Int(Double(latencies.count) * q))] }
        print("{\"n\":\(latencies.count),\"p50_ms\":\(at(0.5)),\"p99_ms\":\(at(0.99))}")
    }
}

/// Checks a Redis bus from this host: reachability, credentials, clock skew, persistence, the bus's keys.
struct BusDoctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor", abstract: "Check a Redis bus from this host (reachability, auth, clock skew, persistence, keys).")
    @Option(help: "The bus to check (redis://…; default $B00T_BUS_URL).") var bus: String?
    @Flag(help: "One JSON object: {\"checks\":[{name,status,summary,fix}]}.") var json = false

    func run() async throws {
        guard let text = bus ?? ProcessInfo.processInfo.environment["B00T_BUS_URL"] else {
            throw ValidationError("give --bus redis://host:port/db (or set B00T_BUS_URL)")
        }
        let url: RedisURL
        do {
            guard case .redis(let parsed) = try BusURL(parsing: text) else {
                throw BusError.invalid("bus doctor checks a Redis bus (redis://…); for this machine's daemon see b00t bus ping")
            }
            url = parsed
        } catch { throw ValidationError("\(error)") }
        let checks = RedisDoctor.check(url)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let data = try encoder.encode(["checks": checks])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for check in checks { print(TerminalText.line(check.line)) }
        }
        if checks.contains(where: { $0.status == .fail }) { throw ExitCode(1) }
    }
}
