import Foundation
import B00tCore

/// Every command k0mmand3r understands: one grammar for the TUI, line mode, pipes, replay files and `b00t replay`.
public enum ReplCommand: Equatable, Sendable {
    case help(String?)
    /// `role`: `--role ROLE` (or `--observer`) registers with that role.
    case asAgent(String, role: String? = nil)
    case agents
    case handshake(agent: String, text: String)
    case crewForm(name: String, members: [String], purpose: String)
    case crewLeave(String?)
    case crewDisband(String?)
    case crewUse(String)
    case crews
    case propose(String)
    case vote(id: String, choice: VoteChoice)
    case ahoy(role: String, skills: [String], budget: Int, text: String)
    case apply(id: String, pitch: String)
    case award(id: String, agent: String)
    case ahoys(String?)
    case teach(agent: String, skill: String, method: TeachingMethod)
    case learn(skill: String, from: String)
    case share(topic: String, text: String, impact: [String: Double])
    case skills(String?)
    case up(String)
    case ps
    /// `confirmed`: `--yes` given (or answered y to the question).
    case stop(String, confirmed: Bool = false)
    case restart(String)
    case datum(String)
    case query(String)
    case theme(String?)
    case record(String?, force: Bool = false)
    case clear
    case quit
    case say(String)
    case pane(String?)
    case grok(GrokRequest)
    // The original tool's commands, private messages, agents as services, logs, search (issue 17).
    case msg(agent: String, text: String)
    case crewJoin(String)
    case delegate(agent: String, budget: Int)
    case negotiate(resource: String, amount: Int, reason: String)
    case status(String)
    case agentStart(String)
    case agentStop(String)
    case logs(String, lines: Int)
    /// nil: clear the search.
    case search(String?)
    /// nil: toggle.
    case mouse(Bool?)
    /// `/mutate NAME KEY=VALUE | --add-usage "cmd # desc" | --add-dep X | --remove-dep X | --script S`
    case mutate(datum: String, edits: [DatumEdit], script: String?)
    case mutations

    /// name, arguments, what it does — for /help and completion.
    public static let catalog: [(name: String, usage: String, summary: String)] = [
        ("/help", "/help [command]", "list commands, or explain one"),
        ("/as", "/as AGENT [--role ROLE|--observer]", "speak as AGENT (registers it if new; NAME.agent datum: its role and skills)"),
        ("/msg", "/msg AGENT text", "a private message: only AGENT and you see it"),
        ("/agents", "/agents", "who is on the bus, with top skills"),
        ("/handshake", "/handshake AGENT [text]", "ask AGENT to work with you"),
        ("/crew", "/crew form NAME AGENT… [--purpose TEXT] | join NAME | use NAME | leave [NAME] | disband [NAME]", "form, join and manage crews"),
        ("/delegate", "/delegate AGENT BUDGET", "hand your crew's captain crown 👑 and a budget to a member"),
        ("/negotiate", "/negotiate RESOURCE AMOUNT REASON", "ask your crew (or everyone) for a resource"),
        ("/status", "/status [what you are doing]", "announce your role and skills to the crew"),
        ("/crews", "/crews", "list crews"),
        ("/propose", "/propose TEXT", "put a proposal to your crew (or everyone)"),
        ("/vote", "/vote ID yes|no|abstain", "vote on a proposal"),
        ("/ahoy", "/ahoy ROLE --skills a,b --budget N [text]", "announce a job (call for proposals)"),
        ("/apply", "/apply ID [pitch]", "apply to an ahoy"),
        ("/award", "/award ID AGENT", "award your ahoy to an applicant"),
        ("/ahoys", "/ahoys [open|mine|all]", "list ahoys"),
        ("/teach", "/teach AGENT SKILL pair|demo|doc|practice", "teach a skill (you need ≥ 0.70)"),
        ("/learn", "/learn SKILL from AGENT", "ask AGENT to teach you SKILL"),
        ("/share", "/share TOPIC text [--impact skill:0.1,…]", "share knowledge with your crew"),
        ("/skills", "/skills [AGENT]", "skills with proficiency"),
        ("/up", "/up NAME", "start a service and what it needs"),
        ("/ps", "/ps", "services: state, health, pid, ports, uptime"),
        ("/stop", "/stop NAME [--yes]", "stop a service (--yes: without asking)"),
        ("/restart", "/restart NAME", "restart a service"),
        ("/logs", "/logs NAME [-n N]", "the last N lines (20) of a service's log"),
        ("/agent", "/agent start NAME | stop NAME", "run NAME.agent as a service (b00t agent run --datum NAME.agent)"),
        ("/datum", "/datum NAME", "show a datum"),
        ("/query", "/query EXPR", "find datums: type:agent and skill:rust"),
        ("/mutate", "/mutate NAME KEY=VALUE | --add-usage \"cmd # desc\" | --add-dep X | --remove-dep X | --script S",
         "propose a change to a datum: the crew votes, it is applied and committed"),
        ("/mutations", "/mutations", "datum mutations: voting, applied, rejected"),
        ("/theme", "/theme [NAME]", "switch colour theme (or list them)"),
        ("/pane", "/pane [services|agents|stream]", "show or hide a pane"),
        ("/search", "/search [TEXT]", "find TEXT in the stream (^F; ↑/↓ older/newer match); no TEXT clears"),
        ("/mouse", "/mouse [on|off]", "mouse wheel scrolling; off lets the terminal select text"),
        ("/record", "/record [FILE [--force]]", "record what you type as a replay file (again to stop; --force replaces a file)"),
        ("/clear", "/clear", "clear the output"),
        ("/quit", "/quit", "leave"),
    ] + GrokRequest.catalog

    public static var names: [String] { catalog.map(\.name) }

    /// Which part of the session answers it.
    public enum Group: Sendable, Equatable {
        case crew, services, screen
        case grok(GrokRequest)
        case mutation
    }

    public var group: Group {
        switch self {
        case .up, .ps, .stop, .restart, .datum, .query, .logs, .agentStart, .agentStop: return .services
        case .help, .theme, .pane, .record, .clear, .quit, .search, .mouse: return .screen
        case .grok(let request): return .grok(request)
        case .mutate, .mutations: return .mutation
        default: return .crew
        }
    }

    /// Parses one line. Text without a leading slash is a chat message.
    public static func parse(_ line: String) throws(ReplError) -> ReplCommand? {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return nil }
        // A pasted block is one chat message, never commands run line by line (even when a line starts with "/").
        if trimmed.contains("\n") {
            let block = line.trimmingCharacters(in: .whitespacesAndNewlines)
            return block.isEmpty ? nil : .say(block)
        }
        guard trimmed.hasPrefix("/") else { return .say(trimmed) }
        let words = try Tokenizer.split(trimmed)
        guard let name = words.first else { return nil }
        var args = Array(words.dropFirst())
        func need(_ count: Int) throws(ReplError) {
            if args.count < count { throw .usage("usage: \(usage(of: name))") }
        }
        func rest(from index: Int) -> String { args.count > index ? args[index...].joined(separator: " ") : "" }
        switch name {
        case "/help", "/?": return .help(args.first)
        case "/as":
            let observer = args.contains("--observer")
            args.removeAll { $0 == "--observer" }
            let role = try option("--role", in: &args) ?? (observer ? BusAgent.observerRole : nil)
            try rejectUnknownOptions(&args, known: ["--role", "--observer"], command: name)
            guard args.count == 1 else { throw .usage("usage: \(usage(of: name))") }
            return .asAgent(args[0], role: role)
        case "/msg", "/m":
            guard args.count >= 2 else { throw .usage("usage: \(usage(of: "/msg"))") }
            return .msg(agent: args[0], text: rest(from: 1))
        case "/delegate":
            guard args.count == 2 else { throw .usage("usage: \(usage(of: name))") }
            guard let budget = Int(args[1]), budget >= 0 else { throw .usage("budget must be a whole number ≥ 0 (got '\(args[1])')") }
            return .delegate(agent: args[0], budget: budget)
        case "/negotiate":
            guard args.count >= 3 else { throw .usage("usage: \(usage(of: name))") }
            guard let amount = Int(args[1]), amount >= 1 else { throw .usage("amount must be a whole number ≥ 1 (got '\(args[1])')") }
            return .negotiate(resource: args[0], amount: amount, reason: rest(from: 2))
        case "/status": return .status(rest(from: 0))
        case "/agent":
            guard args.count == 2, ["start", "stop"].contains(args[0]) else { throw .usage("usage: \(usage(of: name))") }
            return args[0] == "start" ? .agentStart(args[1]) : .agentStop(args[1])
        case "/logs", "/log":
            var count = try option("-n", in: &args)
            if count == nil { count = try option("--lines", in: &args) }
            try rejectUnknownOptions(&args, known: ["-n", "--lines"], command: "/logs")
            guard args.count == 1 else { throw .usage("usage: \(usage(of: "/logs"))") }
            guard let text = count else { return .logs(args[0], lines: 20) }
            guard let lines = Int(text), (1...10_000).contains(lines) else { throw .usage("-n takes 1–10000 lines (got '\(text)')") }
            return .logs(args[0], lines: lines)
        case "/search", "/find":
            let text = rest(from: 0)
            return .search(text.isEmpty ? nil : text)
        case "/mouse":
            switch args.first {
            case nil: return .mouse(nil)
            case "on": return .mouse(true)
            case "off": return .mouse(false)
            default: throw .usage("usage: /mouse [on|off]")
            }
        case "/agents": return .agents
        case "/handshake": try need(1); return .handshake(agent: args[0], text: rest(from: 1))
        case "/crew":
            try need(1)
            let sub = args.removeFirst()
            switch sub {
            case "form":
                // The purpose is the rest of the line (quotes optional): `--purpose Build the API`.
                var purpose = ""
                if let index = args.firstIndex(of: "--purpose") {
                    purpose = args[(index + 1)...].joined(separator: " ")
                    guard !purpose.isEmpty else { throw .usage("--purpose needs a text") }
                    args.removeSubrange(index...)
                }
                try rejectUnknownOptions(&args, known: ["--purpose"], command: "/crew form")
                guard args.count >= 2 else { throw .usage("usage: /crew form NAME AGENT… [--purpose TEXT]") }
                return .crewForm(name: args[0], members: Array(args.dropFirst()), purpose: purpose)
            case "join": try need(1); return .crewJoin(args[0])
            case "leave": return .crewLeave(args.first)
            case "disband": return .crewDisband(args.first)
            case "use": try need(1); return .crewUse(args[0])
            case "list": return .crews
            default: throw .usage("usage: \(usage(of: "/crew"))")
            }
        case "/crews": return .crews
        case "/propose": try need(1); return .propose(rest(from: 0))
        case "/vote":
            try need(2)
            guard let choice = VoteChoice(rawValue: args[1].lowercased()) else { throw .usage("vote yes, no or abstain (got '\(args[1])')") }
            return .vote(id: args[0], choice: choice)
        case "/ahoy":
            let skillsText = try option("--skills", in: &args)
            let budgetOption = try option("--budget", in: &args)
            try rejectUnknownOptions(&args, known: ["--skills", "--budget"], command: name)
            let skills = try skillsText.map { text throws(ReplError) in try names(text, flag: "--skills") } ?? []
            let budgetText = budgetOption ?? "0"
            guard let budget = Int(budgetText), budget >= 0 else { throw .usage("--budget must be a whole number ≥ 0 (got '\(budgetText)')") }
            guard !args.isEmpty else { throw .usage("usage: \(usage(of: name))") }
            return .ahoy(role: args[0], skills: skills, budget: budget, text: rest(from: 1))
        case "/apply": try need(1); return .apply(id: args[0], pitch: rest(from: 1))
        case "/award": try need(2); return .award(id: args[0], agent: args[1])
        case "/ahoys": return .ahoys(args.first)
        case "/teach":
            try need(3)
            guard let method = TeachingMethod(parsing: args[2]) else { throw .usage("method is pair, demo, doc or practice (got '\(args[2])')") }
            return .teach(agent: args[0], skill: args[1], method: method)
        case "/learn":
            guard args.count == 3, args[1] == "from" else { throw .usage("usage: /learn SKILL from AGENT") }
            return .learn(skill: args[0], from: args[2])
        case "/share":
            let impactText = try option("--impact", in: &args)
            try rejectUnknownOptions(&args, known: ["--impact"], command: name)
            var impact: [String: Double] = [:]
            for item in impactText?.split(separator: ",") ?? [] {
                let parts = item.split(separator: ":")
                guard parts.count == 2, let level = Double(parts[1]) else { throw .usage("--impact takes skill:gain pairs, like rust:0.1") }
                impact[String(parts[0])] = level
            }
            try need(1)
            return .share(topic: args[0], text: rest(from: 1), impact: impact)
        case "/skills": return .skills(args.first)
        case "/up": try need(1); return .up(args[0])
        case "/ps": return .ps
        case "/stop":
            let confirmed = args.contains("--yes") || args.contains("-y")
            args.removeAll { $0 == "--yes" || $0 == "-y" }
            try rejectUnknownOptions(&args, known: ["--yes"], command: name)
            try need(1)
            return .stop(args[0], confirmed: confirmed)
        case "/restart": try need(1); return .restart(args[0])
        case "/datum": try need(1); return .datum(args[0])
        case "/query": return .query(rest(from: 0))
        case "/theme": return .theme(args.first)
        case "/pane":
            if let pane = args.first, !["services", "agents", "stream"].contains(pane.lowercased()) {
                let hint = closestMatch(to: pane.lowercased(), in: ["services", "agents", "stream"]).map { " — did you mean \($0)?" } ?? ""
                throw .usage("no pane '\(pane)' (the panes are services, agents and stream)\(hint)")
            }
            return .pane(args.first?.lowercased())
        case "/record":
            let force = args.contains("--force")
            args.removeAll { $0 == "--force" }
            try rejectUnknownOptions(&args, known: ["--force"], command: name)
            return .record(args.first, force: force)
        case "/clear": return .clear
        case "/quit", "/exit", "/q": return .quit
        case "/grok", "/lfmf", "/advice": return .grok(try GrokRequest.parse(name, args))
        case "/mutate": return try parseMutate(args)
        case "/mutations": return .mutations
        default:
            throw .unknownCommand(name, suggestion: suggestion(for: name))
        }
    }

    /// The command a mistyped one most likely meant: a command it is a prefix of, else the nearest by edits —
    /// allowing fewer edits for short names, so `/logz` is not taken for `/as`.
    static func suggestion(for name: String) -> String? {
        let word = name.lowercased()
        if word.count >= 3, let prefixed = names.filter({ $0.hasPrefix(word) }).min(by: { $0.count < $1.count }) { return prefixed }
        return closestMatch(to: word, in: names, maxDistance: min(3, max(1, (word.count - 1) / 2)))
    }

    static func usage(of name: String) -> String { catalog.first { $0.name == name }?.usage ?? name }

    /// Removes `--flag VALUE` from `args` and returns VALUE.
    /// Refuses a `--word` that is not one of `known` (a typo like `--budegt` became part of an ahoy's text, and
    /// `--skill rust` posted an ahoy with no skills); a lone `--` ends the options, so text may start with one.
    static func rejectUnknownOptions(_ args: inout [String], known: [String], command: String) throws(ReplError) {
        if let end = args.firstIndex(of: "--") {
            if let unknown = args[..<end].first(where: { isOptionLike($0) && !known.contains($0) }) {
                throw unknownOption(unknown, known: known, command: command)
            }
            args.remove(at: end)
            return
        }
        if let unknown = args.first(where: { isOptionLike($0) && !known.contains($0) }) {
            throw unknownOption(unknown, known: known, command: command)
        }
    }

    private static func isOptionLike(_ word: String) -> Bool {
        word.hasPrefix("--") && word.count > 2 && word.dropFirst(2).allSatisfy { $0.isLetter || $0 == "-" }
    }

    private static func unknownOption(_ word: String, known: [String], command: String) -> ReplError {
        let hint = closestMatch(to: word, in: known).map { " — did you mean \($0)?" } ?? ""
        let listed = known.isEmpty ? "it takes none" : "it takes " + known.joined(separator: ", ")
        return .usage("\(command) has no option \(word)\(hint) (\(listed); put text that starts with -- after a lone --)")
    }

    /// A comma-separated list of names (`--skills rust,go`); empty items and an empty list are refused.
    static func names(_ text: String, flag: String) throws(ReplError) -> [String] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !items.isEmpty, items.allSatisfy({ !$0.isEmpty }) else {
            throw .usage("\(flag) takes names separated by commas, like rust,testing (got '\(text)')")
        }
        return items
    }

    static func option(_ flag: String, in args: inout [String]) throws(ReplError) -> String? {
        guard let index = args.firstIndex(of: flag) else { return nil }
        guard index + 1 < args.count else { throw .usage("\(flag) needs a value") }
        let value = args[index + 1]
        args.removeSubrange(index...(index + 1))
        return value
    }
}
