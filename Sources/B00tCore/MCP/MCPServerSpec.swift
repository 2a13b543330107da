import Foundation

/// How an `mcp` datum's server is reached, as the original tool's datums write it: `[[b00t.mcp.stdio]]`
/// entries (a program speaking MCP on stdin/stdout) and `[[b00t.mcp.http]]` entries (a URL; the original's
/// `httpstream` and `sse` tables are read too). A datum may offer several ways; the lowest `priority` whose
/// `requires` are met wins.
public struct MCPServerSpec: Sendable, Hashable, Codable {
    public var stdio: [MCPStdioMethod] = []
    public var http: [MCPHTTPMethod] = []

    public init(stdio: [MCPStdioMethod] = [], http: [MCPHTTPMethod] = []) {
        self.stdio = stdio
        self.http = http
    }

    public var isEmpty: Bool { stdio.isEmpty && http.isEmpty }
}

/// `[[b00t.mcp.stdio]]`: `command`, `args`, `env`, and the original's `priority`, `requires`, `transport`.
public struct MCPStdioMethod: Sendable, Hashable, Codable {
    public var command: String
    public var args: [String]
    public var env: [String: String]
    /// Lower wins.
    public var priority: Int
    /// What must be present: a program name on PATH (`node`, `python`, `docker`, `CMD:name`); `internet` is
    /// assumed.
    public var requires: [String]

    public init(command: String, args: [String] = [], env: [String: String] = [:], priority: Int = 0, requires: [String] = []) {
        self.command = command
        self.args = args
        self.env = env
        self.priority = priority
        self.requires = requires
    }
}

/// `[[b00t.mcp.http]]` (or the original's `httpstream` / `sse`): a server reached by URL.
public struct MCPHTTPMethod: Sendable, Hashable, Codable {
    public var url: String
    /// `http` (streamable HTTP) or `sse`.
    public var transport: String
    public var headers: [String: String]
    public var priority: Int
    public var requires: [String]

    public init(url: String, transport: String = "http", headers: [String: String] = [:], priority: Int = 0, requires: [String] = []) {
        self.url = url
        self.transport = transport
        self.headers = headers
        self.priority = priority
        self.requires = requires
    }
}

extension DatumDecoder {
    static let mcpKeys = ["stdio", "http", "httpstream", "sse"]
    static let mcpStdioKeys = ["command", "args", "env", "priority", "requires", "transport"]
    static let mcpHTTPKeys = ["url", "headers", "priority", "requires", "transport", "requires_internet", "requires_auth"]

    /// The `[b00t.mcp]` table: each method kind as an array of tables (`[[b00t.mcp.stdio]]`) or one table.
    /// An entry without its `command` (or `url`) is an error naming it; an `mcp` datum with no way to reach its
    /// server is a warning (it still shows and queries).
    static func decodeMCP(_ t: TableReader, type: DatumType, context: DecodingContext) -> MCPServerSpec? {
        guard let table = t.subtable("mcp") else {
            if type == .mcp {
                context.report(.warning, key: "b00t.type", "an mcp datum without [[b00t.mcp.stdio]] or [[b00t.mcp.http]]",
                               hint: "add [[b00t.mcp.stdio]] with command and args, or [[b00t.mcp.http]] with url")
            }
            return nil
        }
        var spec = MCPServerSpec()
        for (index, entry) in entries(table, "stdio", context: context).enumerated() {
            let reader = TableReader(entry, path: "b00t.mcp.stdio[\(index)]", context: context)
            let command = reader.string("command")
            if command == nil, !reader.has("command") {
                context.report(.error, key: "b00t.mcp.stdio[\(index)].command", "missing required key",
                               hint: "the program that speaks MCP on stdio, like command = \"npx\"")
            }
            var method = MCPStdioMethod(command: command ?? "")
            method.args = reader.stringArray("args") ?? []
            method.env = reader.stringTable("env") ?? [:]
            method.priority = reader.int("priority") ?? 0
            method.requires = reader.stringArray("requires") ?? []
            if let transport = reader.string("transport"), transport != "stdio" {
                reader.report("transport", "transport '\(transport)' in a stdio entry", hint: "write transport = \"stdio\" or leave it out")
            }
            reader.finish(known: mcpStdioKeys)
            checkReferences(in: [command ?? ""] + method.args + method.env.values.sorted(), path: reader.path, context: context)
            if let command, !command.isEmpty { spec.stdio.append(method) } else if command != nil {
                reader.report("command", "command is empty", hint: "name the program, like command = \"npx\"")
            }
        }
        for kind in ["http", "httpstream", "sse"] {
            for (index, entry) in entries(table, kind, context: context).enumerated() {
                let reader = TableReader(entry, path: "b00t.mcp.\(kind)[\(index)]", context: context)
                guard let url = reader.string("url") else {
                    if !reader.has("url") {
                        context.report(.error, key: "b00t.mcp.\(kind)[\(index)].url", "missing required key",
                                       hint: "the server's URL, like url = \"https://mcp.example.com/mcp\"")
                    }
                    reader.finish(known: mcpHTTPKeys)
                    continue
                }
                if !(url.hasPrefix("http://") || url.hasPrefix("https://") || EnvExpansion.hasReferences(url)) {
                    reader.report("url", "'\(url)' is not an http:// or https:// URL", hint: "write url = \"https://host/mcp\"")
                }
                var method = MCPHTTPMethod(url: url, transport: kind == "sse" ? "sse" : "http")
                method.headers = reader.stringTable("headers") ?? [:]
                method.priority = reader.int("priority") ?? 0
                method.requires = reader.stringArray("requires") ?? []
                _ = reader.raw("transport")
                _ = reader.bool("requires_internet")
                _ = reader.bool("requires_auth")
                reader.finish(known: mcpHTTPKeys)
                checkReferences(in: [url] + method.headers.values.sorted(), path: reader.path, context: context)
                spec.http.append(method)
            }
        }
        table.finish(known: mcpKeys)
        spec.stdio.sort { $0.priority < $1.priority }
        spec.http.sort { $0.priority < $1.priority }
        return spec
    }

    /// `${…}` references are expanded when the server starts: a malformed one is an error now, not empty text then.
    private static func checkReferences(in texts: [String], path: String, context: DecodingContext) {
        for text in texts {
            if let problem = EnvExpansion.problem(in: text) {
                context.report(.error, key: path, "bad variable reference: \(problem)", hint: "write $$ for a literal $")
            }
        }
    }

    /// `key` as an array of tables or a single table; anything else is a type error.
    private static func entries(_ table: TableReader, _ key: String, context: DecodingContext) -> [[String: DatumValue]] {
        guard let value = table.raw(key) else { return [] }
        switch value {
        case .table(let fields): return [fields]
        case .array(let items):
            var result: [[String: DatumValue]] = []
            for (index, item) in items.enumerated() {
                if case .table(let fields) = item { result.append(fields) } else {
                    context.report(.error, key: "\(table.keyPath(key))[\(index)]", "expected a table, found \(item.typeName)",
                                   hint: "write [[\(table.keyPath(key))]] entries")
                }
            }
            return result
        default:
            table.typeError(key, expected: "[[\(table.keyPath(key))]] tables", found: value)
            return []
        }
    }
}

extension MCPServerSpec {
    /// `datum show`'s lines for the server: one per way to reach it, best first, escaped for the terminal.
    var markdown: String {
        let line = TerminalText.line
        var out = ""
        for method in stdio {
            out += "**MCP (stdio)**: `\(([method.command] + method.args).map(line).joined(separator: " "))`"
            if !method.env.isEmpty { out += " env \(method.env.keys.sorted().map(line).joined(separator: ", "))" }
            out += "\n"
        }
        for method in http { out += "**MCP (\(line(method.transport)))**: \(line(method.url))\n" }
        return out
    }
}
