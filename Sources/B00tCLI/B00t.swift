import ArgumentParser
import B00tCore

@main
struct B00t: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "b00t",
        abstract: "Datums, self-starting services and a crew message bus for developers and AI agents.",
        subcommands: [DatumCommand.self, Up.self, Ps.self, Stop.self, Restart.self, Logs.self, BusGroup.self, AgentGroup.self, Replay.self, GrokGroup.self, Lfmf.self, Advice.self, LearnTopic.self, McpGroup.self]
    )
}
