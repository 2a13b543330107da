/// Tab completion for the input line: commands, then the right kind of argument for each position.
public struct Completer: Sendable {
    /// What can be completed right now (a snapshot of the bus and the datums).
    public struct Context: Sendable {
        public var agents: [String] = []
        public var ahoys: [String] = []
        public var proposals: [String] = []
        public var skills: [String] = []
        public var datums: [String] = []
        public var themes: [String] = []
        public var crews: [String] = []
        public init(agents: [String] = [], ahoys: [String] = [], proposals: [String] = [], skills: [String] = [],
                    datums: [String] = [], themes: [String] = [], crews: [String] = []) {
            self.agents = agents; self.ahoys = ahoys; self.proposals = proposals; self.skills = skills
            self.datums = datums; self.themes = themes; self.crews = crews
        }
    }

    public var context: Context
    public init(context: Context) { self.context = context }

    /// Candidates for the word being typed at the end of `line`.
    public func candidates(for line: String) -> [String] {
        let endsWithSpace = line.last == " "
        var words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        let partial = endsWithSpace ? "" : (words.popLast() ?? "")
        let pool: [String]
        if words.isEmpty {
            guard partial.hasPrefix("/") || partial.isEmpty else { return [] }
            pool = ReplCommand.names
        } else {
            pool = options(command: words[0], position: words.count - 1, previous: words)
        }
        return pool.filter { $0.hasPrefix(partial) }.sorted()
    }

    /// The line after Tab: the unique completion (plus a space), or the longest common prefix.
    public func complete(_ line: String) -> (line: String, candidates: [String]) {
        let found = candidates(for: line)
        guard !found.isEmpty else { return (line, []) }
        let base = line.last == " " ? line : String(line.dropLast(line.split(separator: " ").last?.count ?? 0))
        if found.count == 1 { return (base + found[0] + " ", found) }
        let prefix = found.dropFirst().reduce(found[0]) { common, next in String(zip(common, next).prefix { $0 == $1 }.map(\.0)) }
        return (base + prefix, found)
    }

    func options(command: String, position: Int, previous: [String]) -> [String] {
        let c = context
        switch (command, position) {
        case ("/as", 0), ("/handshake", 0), ("/skills", 0), ("/teach", 0): return c.agents
        case ("/award", 0), ("/apply", 0): return c.ahoys
        case ("/award", 1): return c.agents
        case ("/vote", 0): return c.proposals
        case ("/vote", 1): return ["yes", "no", "abstain"]
        case ("/teach", 1), ("/learn", 0): return c.skills
        case ("/teach", 2): return ["pair", "demo", "doc", "practice"]
        case ("/learn", 1): return ["from"]
        case ("/learn", 2): return c.agents
        case ("/up", 0), ("/stop", 0), ("/restart", 0), ("/datum", 0), ("/mutate", 0): return c.datums
        case ("/mutate", _) where position >= 1: return ["desires=", "install=", "env.", "--add-usage", "--add-dep", "--remove-dep", "--script"]
        case ("/theme", 0): return c.themes
        case ("/ahoys", 0): return ["open", "mine", "all", "awarded"]
        case ("/pane", 0): return ["services", "agents", "stream"]
        case ("/help", 0): return ReplCommand.names
        case ("/crew", 0): return ["form", "use", "leave", "disband", "list"]
        case ("/crew", _) where previous.count >= 2 && previous[1] == "form" && position >= 2: return c.agents
        case ("/crew", 1) where previous.count >= 2 && ["use", "leave", "disband"].contains(previous[1]): return c.crews
        case ("/ahoy", _) where previous.last == "--skills": return c.skills
        default: return []
        }
    }
}
