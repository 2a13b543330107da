import B00tCore
import Foundation

extension Session {
    /// The crew on the bus: identities, handshakes, crews, votes, ahoys, skills and chat.
    func runCrewCommand(_ command: ReplCommand) async throws -> CommandOutcome {
        var out = CommandOutcome()
        func say(_ line: StyledText) { out.lines.append(line) }
        let me = agent
        _ = me
        switch command {
        case .asAgent(let id, let role):
            try await setAgent(id, role: role)
            let adopted = try await bus.currentState().agents[id]
            if let datum = agentDatum(id), let adopted {
                say(.ok("now speaking as \(id) — \(adopted.role), " + Self.skillList(adopted.skills) + " (from \(datum.id))"))
            } else {
                say(.ok("now speaking as \(id)" + (role.map { " (\($0))" } ?? "")))
            }
        case .agents:
            let snapshot = try await bus.currentState()
            let agents = AgentOrder.sorted(Array(snapshot.agents.values), online: snapshot.online)
            if agents.isEmpty { say(.dim("no agents yet")) }
            for a in agents {
                let skills = a.skills.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(3)
                    .map { "\($0.key) \(String(format: "%.2f", $0.value))" }.joined(separator: ", ")
                let presence = snapshot.isOnline(a.id) ? "●" : "○"
                say(StyledText("\(a.id == me ? "*" : " ") \(presence) \(a.id) (\(a.role))" + (skills.isEmpty ? "" : ": \(skills)"),
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
            for c in crews { say(StyledText("\(c.name == crew ? "*" : " ") \(c.name): \(c.members.joined(separator: ", "))" + (c.purpose.isEmpty ? "" : " — \(c.purpose)"))) }
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
                say(StyledText("\(a.id) [\(a.status.rawValue)] \(a.role) by \(a.from), budget \(a.budget)"
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
                say(StyledText(String(format: "%@ %@ %.2f%@", skill.padding(toLength: max(12, skill.count), withPad: " ", startingAt: 0),
                                      Self.bar(level, width: 10), level, a.canTeach(skill) ? "  (can teach)" : "")))
            }
        case .say(let text):
            try await bus.say(from: me, text, crew: crew)
            say(StyledText("\(me)\(crew.map { " @\($0)" } ?? ""): \(text)", role: "event.message"))
        default:
            return try await runChatCommand(command)
        }
        return out
    }
}
