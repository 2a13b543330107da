import ArgumentParser
import B00tCore
import Foundation

/// The root of `b00t`. `start()` is called by `Sources/B00tMain/main.swift`; the commands that need the MCP SDK
/// live in `b00t-mcp` (`McpForward`), so this binary never loads FoundationNetworking and libcurl.
package struct B00t: AsyncParsableCommand {
    package init() {}

    package static func start() async {
        McpForward.execIfForwarded(Array(CommandLine.arguments.dropFirst()))
        await CommandMain.run(B00t.self)
    }

    /// Every command names itself (`commandName:`): without one, ArgumentParser derives it with
    /// `String(describing: Self.self)`, whose dynamic cast scans every protocol conformance record of this 60 MB
    /// binary — once per command type, ~6 ms of a `b00t up` (perf, 2026-12-03).
    package static let configuration = CommandConfiguration(
        commandName: "b00t",
        abstract: "Datums, self-starting services and a crew message bus for developers and AI agents.",
        version: "b00t \(B00tVersion.current)",
        subcommands: [DatumCommand.self, Up.self, Ps.self, Stop.self, Restart.self, Logs.self, BusGroup.self, AgentGroup.self, Replay.self, GrokGroup.self, Lfmf.self, Advice.self, LearnTopic.self, McpGroup.self, DoctorCommand.self, ServiceLog.self]
    )
}
