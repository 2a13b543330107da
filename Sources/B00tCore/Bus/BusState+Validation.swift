import Foundation

extension BusState {
    /// Checks `command` against this state and returns the events it becomes, numbered from `lastSeq + 1`.
    /// Throws (and nothing is written) when a rule refuses it. `now` is the time the events will carry.
    public func validate(_ command: BusCommand, now: Date) throws(BusError) -> [EventDraft] {
        let next = lastSeq + 1
        switch command {
        case .register(let agent):
            try Self.checkName(agent.id, what: "agent id")
            for skill in agent.skills.keys { try Self.checkSkillName(skill) }
            for (skill, level) in agent.skills where !(0...1).contains(level) || skill.isEmpty {
                throw .invalid("skill '\(skill)' proficiency \(level) is outside 0.0–1.0")
            }
            return [EventDraft(from: agent.id, body: .agentRegistered(agent: agent))]

        case .deregister(let id):
            try requireAgent(id)
            return [EventDraft(from: id, body: .agentDeregistered(id: id))]

        case .handshake(let from, let to, let proposal, let expiresAt):
            try requireAgent(from)
            let target = try requireAgent(to)
            guard from != to else { throw .invalid("an agent cannot handshake itself") }
            if let expiresAt, expiresAt <= now { throw .invalid("the handshake's deadline is already past") }
            let id = "hs-\(next)"
            var drafts = [EventDraft(from: from, body: .handshakeRequested(id: id, to: to, proposal: proposal,
                                                                           expiresAt: expiresAt.map(BusTime.quantize)),
                                     conversationID: id)]
            if target.autoAcceptHandshakes {
                drafts.append(EventDraft(from: to, body: .handshakeReplied(id: id, accept: true, reason: "auto-accepted: \(from) is registered"),
                                         conversationID: id, replyTo: next))
            }
            return drafts

        case .replyHandshake(let from, let id, let accept, let reason):
            guard let handshake = handshakes[id] else { throw .notFound("handshake", id) }
            guard handshake.to == from else { throw .notAllowed("only \(handshake.to) can answer \(id)") }
            guard handshake.accepted == nil else { throw .closed("\(id) was already answered") }
            if handshake.expired == true { throw .closed("\(id) expired: \(handshake.from) stopped waiting; ask again") }
            if let deadline = handshake.expiresAt, now > deadline {
                throw .closed("\(id) expired at \(BusEventFormatter.clock(deadline)); \(handshake.from) stopped waiting")
            }
            return [EventDraft(from: from, body: .handshakeReplied(id: id, accept: accept, reason: reason),
                               conversationID: id, replyTo: handshake.seq)]

        case .expireHandshake(let from, let id):
            guard let handshake = handshakes[id] else { throw .notFound("handshake", id) }
            // The asker may give up any time; once the deadline has passed, the bus itself ("b00t": the daemon's
            // sweep) closes it, so a request whose asker vanished still ends on the record.
            let overdue = handshake.expiresAt.map { now > $0 } ?? false
            guard handshake.from == from || (from == "b00t" && overdue) else {
                throw .notAllowed("only \(handshake.from), who asked, can expire \(id)")
            }
            guard handshake.accepted == nil else { throw .closed("\(id) was already answered") }
            guard handshake.expired != true else { throw .closed("\(id) already expired") }
            return [EventDraft(from: from, body: .handshakeExpired(id: id), conversationID: id, replyTo: handshake.seq)]

        case .formCrew(let from, let name, let members, let purpose):
            try requireAgent(from)
            try Self.checkName(name, what: "crew name")
            guard crews[name] == nil else { throw .duplicate("a crew named '\(name)' already exists") }
            var roster = [from]
            for member in members where !roster.contains(member) {
                try requireAgent(member)
                roster.append(member)
            }
            guard roster.count >= 2 else { throw .invalid("a crew needs at least one member besides \(from)") }
            return [EventDraft(from: from, body: .crewFormed(name: name, members: roster, purpose: purpose),
                               conversationID: "crew-\(name)")]

        case .leaveCrew(let from, let crew):
            let c = try requireCrew(crew)
            guard c.members.contains(from) else { throw .notAllowed("\(from) is not in crew \(crew)") }
            return [EventDraft(from: from, body: .crewLeft(crew: crew, agent: from), conversationID: "crew-\(crew)")]

        case .disbandCrew(let from, let crew):
            let c = try requireCrew(crew)
            guard c.captainID == from else {
                throw .notAllowed(c.captain == nil ? "only \(c.initiator), who formed \(crew), can disband it"
                                                   : "only \(c.captainID), the captain of \(crew), can disband it")
            }
            return [EventDraft(from: from, body: .crewDisbanded(crew: crew), conversationID: "crew-\(crew)")]

        case .propose(let from, let text, let crew, let threshold, let quorum):
            try requireAgent(from)
            guard !text.isBlank else { throw .invalid("a proposal needs text") }
            let t = threshold ?? 0.5, q = quorum ?? 0
            guard (0..<1).contains(t) else { throw .invalid("threshold \(t) must be in 0.0..<1.0 (0.5 = strict majority)") }
            guard (0...1).contains(q) else { throw .invalid("quorum \(q) must be in 0.0–1.0") }
            let electorate: [String]
            if let crew {
                let c = try requireCrew(crew)
                guard c.members.contains(from) else { throw .notAllowed("\(from) is not in crew \(crew)") }
                electorate = c.members.filter { agents[$0]?.isObserver != true }
            } else {
                electorate = agents.values.filter { !$0.isObserver }.map(\.id).sorted()
            }
            guard !electorate.isEmpty else { throw .invalid("nobody could vote on it: every member is an observer") }
            let id = "prop-\(next)"
            return [EventDraft(from: from, body: .proposalCreated(id: id, text: text, crew: crew, electorate: electorate,
                                                                  threshold: t, quorum: q), conversationID: id)]

        case .vote(let from, let id, let choice):
            try requireParticipant(from, "vote")
            guard var proposal = proposals[id] else { throw .notFound("proposal", id) }
            guard proposal.status == .open else { throw .closed("\(id) is \(proposal.status.rawValue); votes are no longer taken") }
            guard proposal.electorate.contains(from) else {
                throw .notAllowed("\(from) is not in the electorate of \(id)\(proposal.crew.map { " (crew \($0))" } ?? "")")
            }
            if let earlier = proposal.votes[from] {
                throw .duplicate("\(from) already voted \(earlier.rawValue) on \(id); one vote per voter")
            }
            var drafts = [EventDraft(from: from, body: .voteCast(proposal: id, choice: choice), conversationID: id,
                                     replyTo: proposal.seq)]
            proposal.votes[from] = choice
            if let outcome = proposal.decided() {
                drafts.append(EventDraft(from: "b00t", body: .proposalClosed(id: id, outcome: outcome),
                                         conversationID: id, replyTo: proposal.seq))
            }
            return drafts

        case .withdrawProposal(let from, let id):
            guard let proposal = proposals[id] else { throw .notFound("proposal", id) }
            guard proposal.by == from else { throw .notAllowed("only \(proposal.by), who proposed \(id), can withdraw it") }
            guard proposal.status == .open else { throw .closed("\(id) is already \(proposal.status.rawValue)") }
            return [EventDraft(from: from, body: .proposalClosed(id: id, outcome: .withdrawn), conversationID: id,
                               replyTo: proposal.seq)]

        case .postAhoy(let from, let role, let description, let skills, let budget, let replyBy):
            try requireAgent(from)
            guard !role.isBlank else { throw .invalid("an ahoy needs a role") }
            guard budget >= 0 else { throw .invalid("budget \(budget) must not be negative") }
            guard budget <= Self.maximumBudget else { throw .invalid("budget \(budget) is larger than the \(Self.maximumBudget) a bus accepts") }
            if let replyBy, replyBy <= now { throw .invalid("reply_by is in the past") }
            let id = "ahoy-\(next)"
            return [EventDraft(from: from, body: .ahoyPosted(id: id, role: role, description: description,
                                                             requiredSkills: skills, budget: budget,
                                                             replyBy: replyBy.map(BusTime.quantize)),
                               conversationID: id)]

        case .apply(let from, let id, let pitch, let skills):
            try requireParticipant(from, "apply to ahoys")
            let ahoy = try requireOpenAhoy(id)
            if let replyBy = ahoy.replyBy, now > replyBy { throw .closed("\(id) stopped taking applications at \(replyBy)") }
            guard ahoy.from != from else { throw .notAllowed("\(from) posted \(id) and cannot apply to it") }
            if ahoy.application(from: from) != nil { throw .duplicate("\(from) already applied to \(id); one application per agent") }
            return [EventDraft(from: from, body: .ahoyApplied(ahoy: id, pitch: pitch, relevantSkills: skills),
                               conversationID: id, replyTo: ahoy.seq)]

        case .award(let from, let id, let winner):
            let ahoy = try requireOpenAhoy(id)
            guard ahoy.from == from else { throw .notAllowed("only \(ahoy.from), who posted \(id), can award it") }
            guard let application = ahoy.application(from: winner), application.status == .pending else {
                throw .invalid("\(winner) has no open application to \(id); applicants: "
                               + (ahoy.applications.filter { $0.status == .pending }.map(\.from).joined(separator: ", ").nonEmpty ?? "none"))
            }
            var drafts = [EventDraft(from: from, body: .ahoyAwarded(ahoy: id, winner: winner, budget: ahoy.budget),
                                     conversationID: id, replyTo: ahoy.seq)]
            for loser in ahoy.applications where loser.from != winner && loser.status == .pending {
                drafts.append(EventDraft(from: from, body: .applicationRejected(ahoy: id, agent: loser.from),
                                         conversationID: id, replyTo: ahoy.seq))
            }
            return drafts

        case .withdrawAhoy(let from, let id):
            let ahoy = try requireOpenAhoy(id)
            guard ahoy.from == from else { throw .notAllowed("only \(ahoy.from), who posted \(id), can withdraw it") }
            return [EventDraft(from: from, body: .ahoyWithdrawn(ahoy: id), conversationID: id, replyTo: ahoy.seq)]

        case .withdrawApplication(let from, let id):
            let ahoy = try requireOpenAhoy(id)
            guard ahoy.application(from: from)?.status == .pending else {
                throw .invalid("\(from) has no open application to \(id)")
            }
            return [EventDraft(from: from, body: .applicationWithdrawn(ahoy: id), conversationID: id, replyTo: ahoy.seq)]

        case .teach(let from, let to, let skill, let method):
            let teacher = try requireAgent(from)
            let learner = try requireAgent(to)
            guard from != to else { throw .invalid("an agent cannot teach itself") }
            try Self.checkSkillName(skill)
            guard teacher.canTeach(skill) else {
                throw .notAllowed(String(format: "%@'s %@ is %.2f; teaching needs at least %.2f",
                                         from, skill, teacher.proficiency(skill), SkillRules.teachThreshold))
            }
            let level = teacher.proficiency(skill)
            let before = learner.proficiency(skill)
            let after = SkillRules.raise(before, by: level * method.factor)
            let conversation = "teach-\(next)"
            return [
                EventDraft(from: from, body: .skillTaught(to: to, skill: skill, method: method, teacherProficiency: level),
                           conversationID: conversation),
                EventDraft(from: to, body: .skillLearned(agent: to, skill: skill, before: before, after: after, teacher: from),
                           conversationID: conversation, replyTo: next),
            ]

        case .requestLearning(let from, let skill, let teacher):
            try requireAgent(from)
            try requireAgent(teacher)
            guard from != teacher else { throw .invalid("an agent cannot learn from itself") }
            guard !skill.isEmpty else { throw .invalid("name the skill to learn") }
            return [EventDraft(from: from, body: .learningRequested(skill: skill, teacher: teacher), conversationID: "learn-\(next)")]

        case .declineLearning(let from, let id, let reason):
            guard let request = learningRequests[id] else { throw .notFound("learning request", id) }
            guard request.teacher == from else { throw .notAllowed("only \(request.teacher) can answer \(id)") }
            guard request.status == .pending else { throw .closed("\(id) was already \(request.status.rawValue)") }
            return [EventDraft(from: from, body: .learningDeclined(request: id, reason: reason), conversationID: id,
                               replyTo: request.seq)]

        case .share(let from, let crew, let topic, let content, let impact):
            let c = try requireCrew(crew)
            guard c.members.contains(from) else { throw .notAllowed("\(from) is not in crew \(crew)") }
            guard !topic.isEmpty else { throw .invalid("knowledge needs a topic") }
            for skill in impact.keys { try Self.checkSkillName(skill) }
            for (skill, gain) in impact where !(0...1).contains(gain) || skill.isEmpty {
                throw .invalid("skill impact \(skill) = \(gain) must be in 0.0–1.0")
            }
            return [EventDraft(from: from, body: .knowledgeShared(crew: crew, topic: topic, content: content, skillImpact: impact),
                               conversationID: "crew-\(crew)")]

        case .say(let from, let crew, let to, let text):
            try requireAgent(from)
            guard !text.isBlank else { throw .invalid("nothing to say") }
            if let crew {
                let c = try requireCrew(crew)
                guard c.members.contains(from) else { throw .notAllowed("\(from) is not in crew \(crew)") }
            }
            if let to { try requireAgent(to) }
            return [EventDraft(from: from, body: .message(crew: crew, to: to, text: text),
                               conversationID: crew.map { "crew-\($0)" })]

        case .joinCrew(let from, let crew):
            try requireAgent(from)
            let c = try requireCrew(crew)
            guard !c.members.contains(from) else { throw .duplicate("\(from) is already in crew \(crew)") }
            return [EventDraft(from: from, body: .crewJoined(crew: crew, agent: from), conversationID: "crew-\(crew)")]

        case .delegate(let from, let crew, let to, let budget):
            try requireAgent(from)
            let c = try requireCrew(crew)
            guard c.captainID == from else { throw .notAllowed("only \(c.captainID), the captain of \(crew), can delegate its crown") }
            guard to != from else { throw .invalid("\(from) already wears the crown of \(crew)") }
            let target = try requireAgent(to)
            guard c.members.contains(to) else { throw .notAllowed("\(to) is not in crew \(crew); the crown stays in the crew") }
            guard !target.isObserver else { throw .notAllowed("\(to) is an observer: observers cannot captain a crew") }
            guard budget >= 0 else { throw .invalid("budget \(budget) must not be negative") }
            guard budget <= Self.maximumBudget else { throw .invalid("budget \(budget) is larger than the \(Self.maximumBudget) a bus accepts") }
            if let held = c.budget, budget > held {
                throw .invalid("budget \(budget) is more than the \(held) the captain of \(crew) holds")
            }
            return [EventDraft(from: from, body: .captainDelegated(crew: crew, to: to, budget: budget), conversationID: "crew-\(crew)")]

        case .negotiate(let from, let crew, let resource, let amount, let reason):
            try requireAgent(from)
            try Self.checkName(resource, what: "resource")
            guard amount > 0 else { throw .invalid("amount \(amount) must be at least 1") }
            guard amount <= Self.maximumBudget else { throw .invalid("amount \(amount) is larger than the \(Self.maximumBudget) a bus accepts") }
            guard !reason.isBlank else { throw .invalid("say why you need \(resource)") }
            if let crew {
                let c = try requireCrew(crew)
                guard c.members.contains(from) else { throw .notAllowed("\(from) is not in crew \(crew)") }
            }
            let id = "neg-\(next)"
            return [EventDraft(from: from, body: .resourceNegotiated(id: id, crew: crew, resource: resource, amount: amount, reason: reason),
                               conversationID: id)]

        case .announceStatus(let from, let note):
            let agent = try requireAgent(from)
            return [EventDraft(from: from, body: .statusAnnounced(role: agent.role, skills: agent.skills, note: note),
                               conversationID: "status-\(from)")]

        case .presence(let agent, let isOnline, let reason):
            try Self.checkName(agent, what: "agent id")
            guard online.contains(agent) != isOnline else {
                throw .duplicate("\(agent) is already \(isOnline ? "online" : "offline")")
            }
            let body: BusEventBody = isOnline ? .agentJoined(agent: agent) : .agentLeft(agent: agent, reason: reason ?? "went away")
            return [EventDraft(from: "b00t", body: body, conversationID: "presence-\(agent)")]

        case .proposeMutation, .claimMutation, .completeMutation, .rejectMutation:
            return try validateMutation(command, now: now)
        }
    }

    @discardableResult
    func requireAgent(_ id: String) throws(BusError) -> BusAgent {
        guard let agent = agents[id] else { throw .unknownAgent(id) }
        return agent
    }

    /// A registered agent that takes part in decisions: observers read and chat, but do not vote or apply.
    @discardableResult
    func requireParticipant(_ id: String, _ what: String) throws(BusError) -> BusAgent {
        let agent = try requireAgent(id)
        guard !agent.isObserver else { throw .notAllowed("\(id) is an observer: observers read and chat but do not \(what)") }
        return agent
    }

    func requireCrew(_ name: String) throws(BusError) -> Crew {
        guard let crew = crews[name] else { throw .notFound("crew", name) }
        return crew
    }

    func requireOpenAhoy(_ id: String) throws(BusError) -> Ahoy {
        guard let ahoy = ahoys[id] else { throw .notFound("ahoy", id) }
        switch ahoy.status {
        case .open: return ahoy
        case .awarded: throw .closed("\(id) was already awarded to \(ahoy.awardedTo ?? "someone")")
        case .withdrawn: throw .closed("\(id) was withdrawn by \(ahoy.from)")
        }
    }

    /// Skill names cross the bus to every crew member's screen: the character set of `IdentifierRules`.
    static func checkSkillName(_ skill: String) throws(BusError) {
        if let problem = IdentifierRules.skillNameProblem(skill) { throw .invalid("skill '\(skill)': \(problem)") }
    }

    /// Budgets are counted in whole units; a trillion is far beyond any crew and keeps sums exact.
    public static let maximumBudget = 1_000_000_000_000

    /// Agent ids, crew and bus names: 1–64 ASCII letters, digits, '-', '_' or '.'. ASCII only, so an id cannot
    /// look like another (a Cyrillic "е" in "dеv1") or carry controls; events already in a log keep whatever
    /// they hold — only new commands are checked.
    public static func checkName(_ name: String, what: String) throws(BusError) {
        guard !name.isEmpty, name.utf8.count <= 64,
              name.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A)
                                     || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E })
        else { throw .invalid("\(what) '\(TerminalText.line(String(name.prefix(80))))' must be 1–64 ASCII letters, digits, '-', '_' or '.'") }
    }

    /// Applicants of an ahoy ordered by how well their skills match its required skills (sum of the registered
    /// proficiencies), then by how many required skills they claim, then by who applied first.
    public func rankedApplicants(_ ahoyID: String) -> [Application] {
        guard let ahoy = ahoys[ahoyID] else { return [] }
        func score(_ application: Application) -> (Double, Int) {
            let agent = agents[application.from]
            let proficiency = ahoy.requiredSkills.reduce(0.0) { $0 + (agent?.proficiency($1) ?? 0) }
            let claimed = Set(application.relevantSkills).intersection(ahoy.requiredSkills).count
            return (proficiency, claimed)
        }
        return ahoy.applications.enumerated().sorted { a, b in
            let sa = score(a.element), sb = score(b.element)
            if sa.0 != sb.0 { return sa.0 > sb.0 }
            if sa.1 != sb.1 { return sa.1 > sb.1 }
            return a.offset < b.offset
        }.map(\.element)
    }

    public func listAhoys(_ filter: AhoyFilter) -> [Ahoy] {
        ahoys.values.filter { ahoy in
            switch filter {
            case .all: return true
            case .open: return ahoy.status == .open
            case .awarded: return ahoy.status == .awarded
            case .mine(let agent): return ahoy.from == agent || ahoy.application(from: agent) != nil
            case .skill(let skill): return ahoy.requiredSkills.contains(skill)
            }
        }.sorted { $0.seq < $1.seq }
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }

    /// Empty, or only spaces, tabs and line breaks: a text that says nothing (a say, a proposal, an ahoy's role,
    /// a reason). One test for all of them: proposals checked spaces only, so a proposal of "\n" passed.
    var isBlank: Bool { allSatisfy(\.isWhitespace) }
}
