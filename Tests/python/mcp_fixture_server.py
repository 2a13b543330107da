"""A small MCP server written with the official Python SDK (FastMCP), started from an mcp datum by
Tests/IntegrationTests/McpClientCLITests.swift to test `b00t mcp tools` and `b00t mcp execute` against a
real peer. Its tools are deterministic so the test can check exact answers."""

import os
import sys

from mcp.server.fastmcp import FastMCP

server = FastMCP("b00t-fixture")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
def greet(name: str, excited: bool = False) -> str:
    """Greet someone by name."""
    return f"hello {name}" + ("!" if excited else "")


@server.tool()
def env(name: str) -> str:
    """The value of an environment variable the datum set (or 'unset')."""
    return os.environ.get(name, "unset")


@server.tool()
def fail(reason: str) -> str:
    """Always fails with the given reason."""
    raise ValueError(reason)


@server.tool()
def escape() -> str:
    """Text carrying a terminal escape sequence (the CLI must not pass it through raw)."""
    return "before \x1b]0;pwned\x07 after"


if __name__ == "__main__":
    print("fixture server starting", file=sys.stderr)
    server.run("stdio")
