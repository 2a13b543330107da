import Foundation

/// Which of a datum's `[[b00t.mcp.stdio]]` entries this machine can start: used by `b00t mcp execute`/`tools`
/// and by the assistant configs `b00t mcp output`/`install` write.
extension MCPServerSpec {
    /// The first stdio entry whose `requires` are met, in priority order.
    public func choose(datum: String, environment: [String: String]) throws(MCPClientError) -> MCPStdioMethod {
        guard !stdio.isEmpty else {
            if let http = http.first {
                throw .httpOnly(datum, url: http.url)
            }
            throw .noServer(datum)
        }
        for method in stdio where method.requires.allSatisfy({ Self.requirementMet($0, environment: environment) }) {
            return method
        }
        let missing = stdio.flatMap(\.requires).filter { !Self.requirementMet($0, environment: environment) }
        throw .requirementsMissing(datum, Array(Set(missing)).sorted())
    }

    /// `internet` is assumed; `CMD:name` and anything else is a program looked up on PATH (`python` also as
    /// `python3`).
    public static func requirementMet(_ requirement: String, environment: [String: String]) -> Bool {
        var name = requirement.trimmingCharacters(in: .whitespaces)
        if name.isEmpty || name == "internet" { return true }
        if name.hasPrefix("CMD:") { name = String(name.dropFirst(4)) }
        let candidates = name == "python" ? ["python3", "python"] : [name]
        return candidates.contains { programExists($0, environment: environment) }
    }

    public static func programExists(_ program: String, environment: [String: String]) -> Bool {
        if program.contains("/") { return FileManager.default.isExecutableFile(atPath: program) }
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(program)") }
    }
}
