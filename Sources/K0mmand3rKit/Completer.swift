import B00tCore

/// Tab completion for the input line: commands, then the right kind of argument for each position; in chat
/// text, nicks (`de` → `dev1: ` at the start of a line, `dev1 ` elsewhere). Tab cycles through the candidates,
/// Shift-Tab goes back (`Cycle`); line mode's libedit gets the common prefix (`complete`).
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
        /// Who is typing: left out where naming yourself makes no sense (`/teach`, `/msg`, chat nicks).
        public var me: String = ""
        /// Pending applicants per open ahoy (for `/award AHOY `), best match first.
        public var applicants: [String: [String]] = [:]
        /// Members of the crew you talk to (for `/delegate`).
        public var crewMembers: [String] = []
        /// Agents with an `.agent` datum (for `/agent start`, `/as`).
        public var agentDatums: [String] = []

        public init(agents: [String] = [], ahoys: [String] = [], proposals: [String] = [], skills: [String] = [],
                    datums: [String] = [], themes: [String] = [], crews: [String] = [], me: String = "",
                    applicants: [String: [String]] = [:], crewMembers: [String] = [], agentDatums: [String] = []) {
            self.agents = agents; self.ahoys = ahoys; self.proposals = proposals; self.skills = skills
            self.datums = datums; self.themes = themes; self.crews = crews; self.me = me
            self.applicants = applicants; self.crewMembers = crewMembers; self.agentDatums = agentDatums
        }

        /// The completion view of a bus state and the runnable datums, for `me` talking to `crew`.
        public static func from(_ s: BusState, datums: [String], themes: [String], me: String, crew: String?) -> Context {
            let open = s.listAhoys(.open)
            return Context(
                agents: s.agents.keys.sorted(), ahoys: open.map(\.id),
                proposals: s.proposals.values.filter { $0.status == .open }.map(\.id).sorted(),
                skills: Array(Set(s.agents.values.flatMap(\.skills.keys))).sorted(),
                datums: datums, themes: themes, crews: s.crews.keys.sorted(), me: me,
                applicants: Dictionary(uniqueKeysWithValues: open.map { ahoy in
                    (ahoy.id, s.rankedApplicants(ahoy.id).filter { $0.status == .pending }.map(\.from))
                }),
                crewMembers: crew.flatMap { s.crews[$0]?.members } ?? [],
                agentDatums: datums.compactMap(AgentServiceDatums.agent(ofService:)).sorted())
        }
    }

    public var context: Context
    public init(context: Context) { self.context = context }

    /// The word being completed, what goes after a chosen candidate, and the candidates.
    public struct Target: Equatable, Sendable {
        public var partial: String
        public var suffix: String
        public var candidates: [String]
    }

    /// Candidates for the word being typed at the end of `line`.
    public func candidates(for line: String) -> [String] { target(for: line).candidates }

    /// What the word at the end of `line` may become.
    public func target(for line: String) -> Target {
        let endsWithSpace = line.last == " " || line.isEmpty
        var words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        let partial = endsWithSpace ? "" : (words.popLast() ?? "")
        if !line.hasPrefix("/") {
            // Chat: nicks, anywhere in the line (an "@" before the nick stays).
            let bare = partial.hasPrefix("@") ? String(partial.dropFirst()) : partial
            guard !bare.isEmpty || partial == "@" else { return Target(partial: partial, suffix: " ", candidates: []) }
            let nicks = context.agents.filter { $0 != context.me && $0.lowercased().hasPrefix(bare.lowercased()) }.sorted()
            let atStart = words.isEmpty && !partial.hasPrefix("@")
            return Target(partial: partial, suffix: atStart ? ": " : " ",
                          candidates: nicks.map { partial.hasPrefix("@") ? "@" + $0 : $0 })
        }
        let pool: [String]
        if words.isEmpty {
            pool = ReplCommand.names
        } else {
            pool = options(command: words[0], position: words.count - 1, previous: words)
        }
        let found = pool.filter { $0.hasPrefix(partial) }
        // Applicants keep their order (best match first); everything else sorts.
        let ranked = words.first == "/award" && words.count == 2
        return Target(partial: partial, suffix: " ", candidates: ranked ? unique(found) : unique(found.sorted()))
    }

    private func unique(_ list: [String]) -> [String] {
        var seen = Set<String>()
        return list.filter { seen.insert($0).inserted }
    }

    /// The line after Tab in line mode: the unique completion (plus a space), or the longest common prefix.
    public func complete(_ line: String) -> (line: String, candidates: [String]) {
        let target = target(for: line)
        let found = target.candidates
        guard !found.isEmpty else { return (line, []) }
        let base = String(line.dropLast(target.partial.count))
        if found.count == 1 { return (base + found[0] + target.suffix, found) }
        let prefix = found.dropFirst().reduce(found[0]) { common, next in String(zip(common, next).prefix { $0 == $1 }.map(\.0)) }
        return (base + (prefix.count >= target.partial.count ? prefix : target.partial), found)
    }

    func options(command: String, position: Int, previous: [String]) -> [String] {
        let c = context
        let others = c.agents.filter { $0 != c.me }
        switch (command, position) {
        case ("/as", 0): return Array(Set(c.agents + c.agentDatums)).sorted()
        case ("/handshake", 0), ("/skills", 0), ("/teach", 0), ("/msg", 0), ("/m", 0): return command == "/skills" ? c.agents : others
        case ("/award", 0), ("/apply", 0): return c.ahoys
        case ("/award", 1): return previous.count >= 2 ? c.applicants[previous[1]] ?? [] : []
        case ("/vote", 0): return c.proposals
        case ("/vote", 1): return ["yes", "no", "abstain"]
        case ("/teach", 1), ("/learn", 0): return c.skills
        case ("/teach", 2): return ["pair", "demo", "doc", "practice"]
        case ("/learn", 1): return ["from"]
        case ("/learn", 2): return others
        case ("/delegate", 0): return c.crewMembers.filter { $0 != c.me }
        case ("/up", 0), ("/stop", 0), ("/restart", 0), ("/datum", 0), ("/logs", 0), ("/mutate", 0): return c.datums
        case ("/agent", 0): return ["start", "stop"]
        case ("/agent", 1): return c.agentDatums
        case ("/mutate", _) where position >= 1: return ["desires=", "install=", "env.", "--add-usage", "--add-dep", "--remove-dep", "--script"]
        case ("/theme", 0): return c.themes
        case ("/ahoys", 0): return ["open", "mine", "all", "awarded"]
        case ("/pane", 0): return ["services", "agents", "stream"]
        case ("/mouse", 0): return ["on", "off"]
        case ("/help", 0): return ReplCommand.names
        case ("/crew", 0): return ["form", "join", "use", "leave", "disband", "list"]
        case ("/crew", _) where previous.count >= 2 && previous[1] == "form" && position >= 2: return others
        case ("/crew", 1) where previous.count >= 2 && ["use", "leave", "disband", "join"].contains(previous[1]): return c.crews
        case ("/ahoy", _) where previous.last == "--skills": return c.skills
        case ("/as", _) where previous.last == "--role": return ["observer", "human", "member", "specialist", "captain"]
        default: return []
        }
    }

    /// Tab pressed again and again: the candidates for the word at the cursor, one after the other.
    public struct Cycle: Sendable, Equatable {
        /// The text before the word and after the cursor.
        public var head: [Character]
        public var tail: [Character]
        public var suffix: String
        public var candidates: [String]
        public var index: Int

        /// The line with the current candidate, and where the cursor goes (after the candidate's suffix).
        public var line: (text: [Character], cursor: Int) {
            let middle = Array(candidates[index] + suffix)
            // A suffix that is already there (a space) is not doubled.
            var tail = self.tail
            if let first = tail.first, first == " ", middle.last == " " { tail.removeFirst() }
            return (head + middle + tail, head.count + middle.count)
        }

        public mutating func step(_ by: Int) {
            guard !candidates.isEmpty else { return }
            index = ((index + by) % candidates.count + candidates.count) % candidates.count
        }
    }

    /// Starts cycling at the cursor of `text`; nil when nothing completes.
    public func cycle(text: [Character], cursor: Int) -> Cycle? {
        let before = String(text[..<min(cursor, text.count)])
        let target = target(for: before)
        guard !target.candidates.isEmpty else { return nil }
        let head = Array(before.dropLast(target.partial.count))
        return Cycle(head: head, tail: Array(text[min(cursor, text.count)...]), suffix: target.suffix,
                     candidates: target.candidates, index: 0)
    }

    /// The candidates as one line that fits `width`: the current one in brackets, `… +N` for those cut.
    public static func list(_ candidates: [String], current: Int?, width: Int) -> String {
        var out = ""
        for (i, candidate) in candidates.enumerated() {
            let piece = (out.isEmpty ? "" : "  ") + (i == current ? "[\(candidate)]" : candidate)
            let left = candidates.count - i - 1
            let marker = left > 0 ? "  … +\(left)" : ""
            if TextWidth.width(of: out + piece + marker) > width {
                return out + (out.isEmpty ? "" : "  ") + "… +\(candidates.count - i)"
            }
            out += piece
        }
        return out
    }
}
