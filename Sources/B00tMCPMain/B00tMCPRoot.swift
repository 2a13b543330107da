import ArgumentParser
import B00tCLI

/// `b00t-mcp`: the `mcp` commands that need the MCP SDK, run by `b00t mcp serve|tools|execute` (McpForward).
/// Its command line is b00t's (`b00t-mcp mcp serve …`), so help and errors read `b00t mcp serve`.
struct B00tMCPRoot: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "b00t",
        abstract: "The MCP side of b00t (run by `b00t mcp serve|tools|execute`).",
        subcommands: [McpSDKGroup.self]
    )
}

struct McpSDKGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "MCP: serve the crew bus to an AI assistant, and call mcp datums' servers.",
        subcommands: [McpServe.self, McpTools.self, McpExecute.self]
    )
}
