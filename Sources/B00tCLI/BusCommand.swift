import ArgumentParser
import B00tCore
import Foundation

struct BusGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bus",
        abstract: "The crew message bus.",
        subcommands: [BusServe.self, BusTail.self, BusPing.self, BusLoad.self]
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
    @Option(help: "How many events.") var count = 1_000
    @Option(help: "Events per append.") var batch = 1
    @Option(help: "Agent id to speak as.") var agent = "loader"

    func run() async throws {
        let bus = try await MessageBus(backend: try SQLiteBusBackend(path: db ?? defaultBusPath()))
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
