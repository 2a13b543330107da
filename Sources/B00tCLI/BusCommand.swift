import ArgumentParser
import B00tCore
import Foundation

struct BusGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bus",
        abstract: "The crew message bus.",
        subcommands: [BusServe.self, BusTail.self, BusPing.self, BusLoad.self, BusAwardRace.self]
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

    func run() async throws {
        let backend: any BusBackend = try self.bus.map { try RedisBusBackend($0) } ?? SQLiteBusBackend(path: db ?? defaultBusPath())
        let bus = try await MessageBus(backend: backend)
        try await bus.register(BusAgent(id: agent))
        var written = 0
        while written < count {
            let n = min(batch, count - written)
            let commands = (0..<n).map { BusCommand.say(from: agent, crew: nil, to: nil, text: "load \(written + $0)") }
            let events = try await bus.submit(commands)
            written += n
            FileHandle.standardOutput.write(Data("\(events.last!.seq)\n".utf8))
        }
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
        let backend: any BusBackend = bus.hasPrefix("sqlite:") ? try SQLiteBusBackend(path: String(bus.dropFirst(7))) : try RedisBusBackend(bus)
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
