import Foundation

/// Why `b00t mcp execute` / `tools` could not talk to a server.
public enum MCPClientError: Error, Equatable, Sendable, CustomStringConvertible {
    case notMCP(String, type: String)
    case noServer(String)
    case httpOnly(String, url: String)
    case requirementsMissing(String, [String])
    case cannotStart(String, String)
    case timeout(String, seconds: Int, stderr: String)
    case failed(String, stderr: String)
    case badArguments(String)

    public var description: String {
        switch self {
        case .notMCP(let datum, let type):
            return "\(datum) is a \(type) datum, not an MCP server; `b00t mcp list` shows the MCP datums"
        case .noServer(let datum):
            return "\(datum) has no [[b00t.mcp.stdio]] or [[b00t.mcp.http]] entry: nothing to start"
        case .httpOnly(let datum, let url):
            return "\(datum) is reached over HTTP (\(url)); b00t mcp execute starts stdio servers — point an MCP client at the URL"
        case .requirementsMissing(let datum, let missing):
            return "no way to start \(datum) here: missing \(missing.joined(separator: ", ")) (install it, or add a [[b00t.mcp.stdio]] entry that does not need it)"
        case .cannotStart(let program, let why): return "cannot start the MCP server '\(program)': \(why)"
        case .timeout(let what, let seconds, let stderr):
            return "the MCP server did not answer \(what) within \(seconds) s" + (stderr.isEmpty ? "" : "; it printed:\n\(stderr)")
        case .failed(let what, let stderr):
            return what + (stderr.isEmpty ? "" : "; the server printed:\n\(stderr)")
        case .badArguments(let why): return why
        }
    }
}
