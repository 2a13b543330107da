import Foundation

/// The official MCP Python SDK in the package's virtual environment (`make pyenv`, which `make test` runs
/// first). Tests that need it say so and skip when it is missing, instead of passing.
enum McpPython {
    static let python = packageRoot + "/.venv/bin/python"
    static let scripts = packageRoot + "/Tests/python"

    static let available: Bool = {
        guard FileManager.default.isExecutableFile(atPath: python) else { return false }
        return (try? run(python, ["-c", "import mcp.server.fastmcp, mcp.client.stdio"]))?.status == 0
    }()
}
