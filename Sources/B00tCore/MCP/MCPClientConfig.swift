import Foundation

/// The JSON block assistants read to start MCP servers (`.mcp.json`, Claude Code's and others'
/// `{"mcpServers": {NAME: {…}}}`), written from `mcp` datums. `${VAR}` references are kept as written: the
/// assistant expands them when it starts the server, so no secret from this shell lands in a file.
public enum MCPClientConfig {
    /// One server's entry: `{"type":"stdio","command":…,"args":[…],"env":{…}}` or `{"type":"http","url":…}`.
    /// The stdio entry is the best one (by priority) whose requirements this machine meets, else the first.
    public static func entry(for datum: Datum, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(MCPClientError) -> [String: Any]
    {
        guard datum.type == .mcp || datum.mcp != nil else { throw .notMCP(datum.id, type: datum.type.rawValue) }
        guard let spec = datum.mcp, !spec.isEmpty else { throw .noServer(datum.id) }
        if !spec.stdio.isEmpty {
            let method = (try? spec.choose(datum: datum.id, environment: environment)) ?? spec.stdio[0]
            var entry: [String: Any] = ["type": "stdio", "command": method.command, "args": method.args]
            if !method.env.isEmpty { entry["env"] = method.env }
            return entry
        }
        let method = spec.http[0]
        var entry: [String: Any] = ["type": method.transport == "sse" ? "sse" : "http", "url": method.url]
        if !method.headers.isEmpty { entry["headers"] = method.headers }
        return entry
    }

    /// `{"mcpServers": {…}}` when `wrapped`, else the bare `{NAME: {…}}` map; pretty, keys sorted.
    public static func document(_ datums: [Datum], wrapped: Bool,
                                environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        var servers: [String: Any] = [:]
        for datum in datums {
            let server: [String: Any] = try entry(for: datum, environment: environment)
            servers[datum.name] = server
        }
        let top: [String: Any] = wrapped ? ["mcpServers": servers] : servers
        return try text(top)
    }

    /// Merges the datums' entries into the `.mcp.json` at `path` (created when missing): other servers and
    /// other top-level keys stay as they were; an entry of the same name is replaced. The file is replaced
    /// atomically (a reader never sees half of it) and keeps its permissions. Returns the names replaced.
    @discardableResult
    public static func install(_ datums: [Datum], into path: String,
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws -> [String] {
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath()
        var document: [String: Any] = [:]
        var mode: Int? = nil
        if FileManager.default.fileExists(atPath: target.path) {
            let data: Data
            do { data = try Data(contentsOf: target) } catch {
                throw MCPConfigFileError.unreadable(target.path, ErrorText.describe(error))
            }
            mode = (try? FileManager.default.attributesOfItem(atPath: target.path)[.posixPermissions] as? Int) ?? nil
            if !data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
                guard let parsed = try? JSONSerialization.jsonObject(with: data) else {
                    throw MCPConfigFileError.notJSON(target.path)
                }
                guard let object = parsed as? [String: Any] else { throw MCPConfigFileError.notAnObject(target.path, key: nil) }
                document = object
            }
        }
        var servers: [String: Any] = [:]
        if let existing = document["mcpServers"] {
            guard let object = existing as? [String: Any] else { throw MCPConfigFileError.notAnObject(target.path, key: "mcpServers") }
            servers = object
        }
        var replaced: [String] = []
        for datum in datums {
            if servers[datum.name] != nil { replaced.append(datum.name) }
            let server: [String: Any] = try entry(for: datum, environment: environment)
            servers[datum.name] = server
        }
        document["mcpServers"] = servers
        let data = Data((try text(document) + "\n").utf8)
        do {
            try data.write(to: target, options: .atomic)
            if let mode { try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: target.path) }
        } catch {
            throw MCPConfigFileError.unwritable(target.path, ErrorText.describe(error))
        }
        return replaced
    }

    static func text(_ object: Any) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}

/// Why `.mcp.json` was left alone.
public enum MCPConfigFileError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadable(String, String)
    case notJSON(String)
    case notAnObject(String, key: String?)
    case unwritable(String, String)

    public var description: String {
        switch self {
        case .unreadable(let path, let why): return "cannot read \(path): \(why)"
        case .notJSON(let path): return "\(path) is not valid JSON; fix or move it (nothing was written)"
        case .notAnObject(let path, let key):
            return "\(path): \(key.map { "\"\($0)\"" } ?? "the top level") must be a JSON object; fix or move it (nothing was written)"
        case .unwritable(let path, let why): return "cannot write \(path): \(why)"
        }
    }
}
