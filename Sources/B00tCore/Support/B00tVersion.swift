/// b00t's version: what `--version` prints and what `b00t mcp serve` reports to MCP clients.
public enum B00tVersion {
    public static let current = "0.1.0"
}
