import B00tCore
import Foundation

extension Session {
    func execute(_ command: ReplCommand) async throws -> CommandOutcome {
        var out = CommandOutcome()
        func say(_ line: OutputLine) { out.lines.append(line) }
        let me = agent
        switch command {
        case .help(let name):
            if let name {
                let key = name.hasPrefix("/") ? name : "/" + name
                guard let entry = ReplCommand.catalog.first(where: { $0.name == key }) else {
                    throw ReplError.unknownCommand(key, suggestion: closestMatch(to: key, in: ReplCommand.names, maxDistance: 3))
                }
                say(.title(entry.usage))
                say(OutputLine("  " + entry.summary))
            } else {
                say(.title("commands (text without a slash is a chat message to your crew):"))
                for entry in ReplCommand.catalog {
                    say(OutputLine("  " + entry.usage.padding(toLength: max(entry.usage.count, 44), withPad: " ", startingAt: 0) + "  " + entry.summary))
                }
            }
        case .asAgent(let id):
            try await setAgent(id)
            say(.ok("now speaking as \(id)"))
        case .agents:
            let snapshot = try await bus.currentState()
            let agents = AgentOrder.sorted(Array(snapshot.agents.values), online: snapshot.online)
            if agents.isEmpty { say(.dim("no agents yet")) }
            for a in agents {
                let skills = a.skills.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(3)
                    .map { "\($0.key) \(String(format: "%.2f", $0.value))" }.joined(separator: ", ")
                let presence = snapshot.isOnline(a.id) ? "●" : "○"
                say(OutputLine("\(a.id == me ? "*" : " ") \(presence) \(a.id) (\(a.role))" + (skills.isEmpty ? "" : ": \(skills)"),
                               role: snapshot.isOnline(a.id) ? "text" : "dim"))
            }
        case .handshake(let other, let text):
            let reply = try await bus.handshake(from: me, to: other, proposal: text, timeout: .seconds(10))
            say(reply.accept ? .ok("\(other) accepted \(reply.handshake)") : .warn("\(other) declined \(reply.handshake)" + (reply.reason.map { ": \($0)" } ?? "")))
        case .crewForm(let name, let members, let purpose):
            let crew = try await bus.formCrew(initiator: me, members: members, purpose: purpose, name: name)
            setCrew(name)
            say(.ok("formed crew \(name): \(crew.members.joined(separator: ", "))"))
        case .crewLeave(let name):
            guard let target = name ?? crew else { throw ReplError.usage("usage: /crew leave NAME (you are in no crew)") }
            try await bus.leaveCrew(target, agent: me)
            if crew == target { setCrew(nil) }
            say(.ok("left crew \(target)"))
        case .crewDisband(let name):
            guard let target = name ?? crew else { throw ReplError.usage("usage: /crew disband NAME") }
            try await bus.disbandCrew(target, by: me)
            if crew == target { setCrew(nil) }
            say(.ok("disbanded crew \(target)"))
        case .crewUse(let name):
            guard let c = try await bus.currentState().crews[name] else { throw BusError.notFound("crew", name) }
            guard c.members.contains(me) else { throw BusError.notAllowed("\(me) is not in crew \(name)") }
            setCrew(name)
            say(.ok("talking to crew \(name)"))
        case .crews:
            let crews = try await bus.currentState().crews.values.sorted { $0.name < $1.name }
            if crews.isEmpty { say(.dim("no crews")) }
            for c in crews { say(OutputLine("\(c.name == crew ? "*" : " ") \(c.name): \(c.members.joined(separator: ", "))" + (c.purpose.isEmpty ? "" : " — \(c.purpose)"))) }
        case .propose(let text):
            let id = try await bus.createProposal(text, by: me, crew: crew)
            let voters = try await bus.currentState().proposals[id]?.electorate.count ?? 0
            say(.ok("proposed \(id) to \(crew.map { "crew \($0)" } ?? "everyone") (\(voters) voters): \(text)"))
        case .vote(let id, let choice):
            try await bus.vote(id, voter: me, choice: choice)
            let p = try await bus.currentState().proposals[id]
            let tally = p.map { "yes \($0.yes), no \($0.no), abstain \($0.abstain) of \($0.electorate.count)" } ?? ""
            say(.ok("voted \(choice.rawValue) on \(id) (\(tally))" + (p.map { $0.status == .open ? "" : " — \(id) \($0.status.rawValue)" } ?? "")))
        case .ahoy(let role, let skills, let budget, let text):
            let id = try await bus.postAhoy(from: me, role: role, description: text, requiredSkills: skills, budget: budget)
            say(.ok("posted \(id): \(role)" + (skills.isEmpty ? "" : " [\(skills.joined(separator: ", "))]") + " budget \(budget)"))
        case .apply(let id, let pitch):
            let skills = try await bus.currentState().agents[me]?.skills.keys.sorted() ?? []
            let wanted = try await bus.currentState().ahoys[id]?.requiredSkills ?? []
            try await bus.applyToAhoy(id, from: me, pitch: pitch, relevantSkills: skills.filter { wanted.contains($0) })
            say(.ok("applied to \(id)"))
        case .award(let id, let winner):
            let budget = try await bus.awardAhoy(id, to: winner, by: me)
            say(.ok("awarded \(id) to \(winner) (budget \(budget))"))
        case .ahoys(let filter):
            let f: AhoyFilter
            switch filter {
            case nil, "open": f = .open
            case "mine": f = .mine(me)
            case "all": f = .all
            case "awarded": f = .awarded
            default: throw ReplError.usage("usage: /ahoys [open|mine|all|awarded]")
            }
            let snapshot = try await bus.currentState()
            let list = snapshot.listAhoys(f)
            if list.isEmpty { say(.dim("no \(filter ?? "open") ahoys")) }
            for a in list {
                let applicants = snapshot.rankedApplicants(a.id).map(\.from)
                say(OutputLine("\(a.id) [\(a.status.rawValue)] \(a.role) by \(a.from), budget \(a.budget)"
                    + (a.requiredSkills.isEmpty ? "" : ", needs \(a.requiredSkills.joined(separator: ", "))")
                    + (applicants.isEmpty ? "" : "; applicants: \(applicants.joined(separator: ", "))")
                    + (a.awardedTo.map { "; awarded to \($0)" } ?? "")))
            }
        case .teach(let other, let skill, let method):
            let level = try await bus.teachSkill(from: me, to: other, skill: skill, method: method)
            say(.ok(String(format: "taught %@ %@ by %@: now %.2f", other, skill, method.rawValue, level)))
        case .learn(let skill, let teacher):
            try await bus.requestLearning(skill, learner: me, teacher: teacher)
            say(.ok("asked \(teacher) to teach you \(skill)"))
        case .share(let topic, let text, let impact):
            guard let crew else { throw ReplError.usage("join or form a crew first (/crew form, /crew use)") }
            try await bus.shareKnowledge(from: me, crew: crew, topic: topic, content: text, skillImpact: impact)
            say(.ok("shared “\(topic)” with \(crew)"))
            out.lines += digestShared(crew: crew, topic: topic, text: text)
        case .skills(let who):
            let id = who ?? me
            guard let a = try await bus.currentState().agents[id] else { throw BusError.unknownAgent(id) }
            if a.skills.isEmpty { say(.dim("\(id) has no skills yet")) }
            for (skill, level) in a.skills.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
                say(OutputLine(String(format: "%@ %@ %.2f%@", skill.padding(toLength: max(12, skill.count), withPad: " ", startingAt: 0),
                                      Self.bar(level, width: 10), level, a.canTeach(skill) ? "  (can teach)" : "")))
            }
        case .up(let name):
            let orchestrator = self.orchestrator()
            let report = try await orchestrator.ensureDependencies(name)
            say(.ok(report.started.isEmpty ? "\(name) is already up" : "started \(report.started.joined(separator: ", "))"))
        case .ps:
            let statuses = try await self.orchestrator().status()
            let rows = statuses.map { s in
                [s.id, s.runtime, s.state.rawValue, s.health ?? "-", s.pid.map(String.init) ?? s.container ?? "-",
                 s.ports.isEmpty ? "-" : s.ports, s.uptime().map(formatUptime) ?? "-"]
            }
            for line in Table(headers: ["NAME", "RUNTIME", "STATE", "HEALTH", "PID", "PORTS", "UPTIME"], rows: rows).render().split(separator: "\n") {
                say(OutputLine(String(line)))
            }
        case .stop(let name, let confirmed):
            if name.hasPrefix("b00t-bus"), !confirmed, let remote = bus as? RemoteBus {
                let others = try await remote.currentState().online.subtracting([me]).sorted()
                if !others.isEmpty {
                    let question = "\(others.count) agent\(others.count == 1 ? " is" : "s are") connected (\(others.prefix(5).joined(separator: ", "))\(others.count > 5 ? ", …" : "")); they will reconnect and start it again. Stop the bus daemon?"
                    if confirmations {
                        out.confirm = Confirmation(question: question, command: "/stop \(name) --yes", shown: "/stop \(name)")
                        say(.warn(question + " [y/N]"))
                        return out
                    }
                    say(.warn("\(others.count) agent(s) connected; stopping the bus daemon anyway"))
                }
            }
            if name.hasPrefix("b00t-bus"), let remote = bus as? RemoteBus { await remote.holdOffDaemon() }
            let report = try await self.orchestrator().stop(name)
            say(.ok(report.stopped.isEmpty ? "\(name) was not running" : "stopped \(report.stopped.joined(separator: ", "))"))
        case .restart(let name):
            try await self.orchestrator().restart(name)
            say(.ok("restarted \(name)"))
        case .datum(let name):
            let datum = try catalog().lookup(name)
            for line in datum.description.split(separator: "\n", omittingEmptySubsequences: false) { say(OutputLine(String(line))) }
        case .query(let expression):
            let found = catalog().query(try DatumQueryParser.parse(expression))
            if found.isEmpty { say(.dim("no datums match")) }
            for d in found { say(OutputLine("\(d.id)  \(d.hint)")) }
        case .theme(let name):
            guard let name else {
                say(OutputLine("theme: \(theme); available: \(Theme.available().joined(separator: ", "))"))
                break
            }
            _ = try Theme.load(named: name)
            setTheme(name)
            out.theme = name
            say(.ok("theme \(name)"))
        case .pane(let name):
            out.pane = name ?? "cycle"
            say(.ok("pane \(name ?? "layout") toggled"))
        case .record(let path, let force):
            say(.ok(try toggleRecording(path, force: force)))
        case .clear:
            out.clear = true
        case .quit:
            out.quit = true
        case .grok(let request):
            return try await executeGrok(request)
        case .say(let text):
            try await bus.say(from: me, text, crew: crew)
            say(OutputLine("\(me)\(crew.map { " @\($0)" } ?? ""): \(text)", role: "event.message"))
        }
        return out
    }

    /// `██████░░░░` for a proficiency.
    static func bar(_ level: Double, width: Int) -> String {
        let filled = Int((level * Double(width)).rounded())
        return String(repeating: "█", count: max(0, min(width, filled))) + String(repeating: "░", count: max(0, width - filled))
    }
}
