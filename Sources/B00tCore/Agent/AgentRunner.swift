import CoreMetrics
import Foundation
import Logging

/// The behaviour of `b00t agent run`: registers, then answers what happens on the bus according to its
/// policy — handshakes, ahoys that match its skills, votes, requests to teach — and logs each decision.
public actor AgentRunner {
    public let profile: BusAgent
    public let policy: AgentPolicy
    let bus: any CrewBus
    /// Each decision, one record (component `agent`, field `agent`; `seq` of the event it answers, `code` of
    /// a refusal).
    let logger: Logger
    /// Presence for a direct backend (nil on the socket, where the daemon keeps it).
    let heartbeat: PresenceHeartbeat?
    /// Applies datum mutations whose vote passed (and reviews them, with `mutations = "review"`); nil: leaves them
    /// to others.
    let mutationApplier: MutationApplier?

    /// Logs each decision as a message alone (tests, embedding): the closure gets the text.
    public init(bus: any CrewBus, profile: BusAgent, policy: AgentPolicy, mutationApplier: MutationApplier? = nil,
                log: @escaping @Sendable (String) -> Void) {
        self.init(bus: bus, profile: profile, policy: policy, mutationApplier: mutationApplier,
                  logger: Logger(label: "agent") { _ in CallbackLogHandler { _, message, _ in log(message) } })
    }

    public init(bus: any CrewBus, profile: BusAgent, policy: AgentPolicy, mutationApplier: MutationApplier? = nil,
                logger: Logger) {
        self.mutationApplier = mutationApplier
        var me = profile
        me.autoAcceptHandshakes = false  // this process answers its own handshakes
        self.profile = me
        self.policy = policy
        self.bus = bus
        var logger = logger
        logger[metadataKey: "agent"] = .string(profile.id)
        self.logger = logger
        self.heartbeat = PresenceHeartbeat(bus: bus)
    }

    /// A clean stop: on a direct backend, say we left and release our lease.
    public func finish(reason: String = "stopped") async {
        await heartbeat?.stop(reason: reason)
    }

    var id: String { profile.id }

    /// Registers and reacts until cancelled. Handles what was already open when it started, then follows the stream.
    public func run() async throws {
        // On a direct backend nobody hosts our connection: we hold a presence lease (refused when another process
        // already runs this id) and say ourselves that we are here; `finish` says we left.
        if let heartbeat { try await heartbeat.claim(id) }
        try await bus.submit(.register(agent: profile))
        log("registered \(id) (\(profile.skills.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))")
        let state = try await bus.currentState()
        for ahoy in state.listAhoys(.open) { await consider(ahoy) }
        for proposal in state.proposals.values.sorted(by: { $0.seq < $1.seq }) where proposal.status == .open {
            await considerVote(proposal.id)
        }
        for handshake in state.handshakes.values.sorted(by: { $0.seq < $1.seq }) where handshake.to == id && handshake.isOpen {
            await answer(handshake.id, from: handshake.from)
        }
        for request in state.learningRequests.values.sorted(by: { $0.seq < $1.seq }) where request.teacher == id && request.status == .pending {
            await teach(request.learner, request.skill, request: request.id)
        }
        if let mutationApplier {
            for outcome in await mutationApplier.settle(as: id) where !outcome.isSkip { log(outcome.line) }
        }
        let logger = self.logger
        let events = bus.follow(after: state.lastSeq) { trouble in
            switch trouble {
            case .retrying(let why, let attempt) where attempt == 1 || attempt % 10 == 0:
                logger.warning("bus unreachable (\(why)); retrying, will resume from the last event seen",
                               metadata: ["code": "unreachable", "attempt": .stringConvertible(attempt)])
            case .recovered: logger.info("bus reachable again; resuming")
            default: break
            }
        }
        for try await event in events {
            try Task.checkCancellation()
            currentSeq = event.seq
            eventsSeen.increment()
            await react(to: event)
            currentSeq = nil
        }
    }

    /// The event being answered, for the `seq` field of what that leads to.
    private var currentSeq: UInt64?

    /// One record; `seq` is the event this answers (when answering one).
    func log(_ message: String, _ level: Logger.Level = .info, _ metadata: Logger.Metadata = [:]) {
        var fields = metadata
        if let currentSeq, fields["seq"] == nil { fields["seq"] = .stringConvertible(currentSeq) }
        logger.log(level: level, "\(message)", metadata: fields)
    }

    func react(to event: BusEvent) async {
        switch event.body {
        case .handshakeRequested(let hid, let to, _, _) where to == id:
            await answer(hid, from: event.from)
        case .ahoyPosted(let ahoyID, _, _, _, _, _) where event.from != id:
            // The bus folds an event before handing it to us, so the ahoy is in the state we read.
            if let ahoy = await bus.state.ahoys[ahoyID] { await consider(ahoy) }
        case .proposalCreated(let pid, _, _, _, _, _):
            await considerVote(pid)
        case .voteCast(let pid, _):
            if case .follow(let leader) = policy.vote, event.from == leader { await considerVote(pid) }
        case .proposalClosed(let pid, .passed):
            if let mutationApplier, await bus.state.mutations[pid] != nil {
                let outcome = await mutationApplier.apply(pid, as: id)
                if !outcome.isSkip { log(outcome.line) }
            }
        case .learningRequested(let skill, let teacher) where teacher == id:
            await teach(event.from, skill, request: event.conversationID)
        case .skillLearned(let agent, let skill, let before, let after, let teacher) where agent == id:
            log(String(format: "learned %@ from %@: %.2f → %.2f", skill, teacher ?? "the crew", before, after))
        case .ahoyAwarded(let ahoy, let winner, let budget) where winner == id:
            log("won \(ahoy) (budget \(budget))")
        case .applicationRejected(let ahoy, let agent) where agent == id:
            log("not chosen for \(ahoy)")
        default:
            break
        }
    }

    private func answer(_ handshake: String, from: String) async {
        guard await bus.state.handshakes[handshake]?.isOpen ?? true else { return }
        let known = await bus.state.agents[from] != nil
        let accept: Bool
        switch policy.handshakes {
        case .all: accept = true
        case .none: accept = false
        case .known: accept = known
        }
        let reason = accept ? "\(id) accepts \(from)" : (known ? "\(id) accepts no handshakes" : "\(from) is not a known agent")
        await attempt("\(accept ? "accepted" : "declined") handshake \(handshake) from \(from)") {
            try await self.bus.submit(.replyHandshake(from: self.id, handshake: handshake, accept: accept, reason: reason))
        }
    }

    /// Mean proficiency over the ahoy's required skills (0 when it requires none: nothing to match on).
    func match(_ ahoy: Ahoy) -> Double {
        guard !ahoy.requiredSkills.isEmpty else { return 0 }
        return ahoy.requiredSkills.reduce(0) { $0 + profileSkill($1) } / Double(ahoy.requiredSkills.count)
    }

    private var learned: [String: Double] = [:]
    private func profileSkill(_ skill: String) -> Double { learned[skill] ?? profile.proficiency(skill) }

    private func consider(_ ahoy: Ahoy) async {
        guard ahoy.status == .open, ahoy.from != id, ahoy.application(from: id) == nil else { return }
        if let me = await bus.state.agents[id] { learned = me.skills }
        let score = match(ahoy)
        guard score >= policy.applyThreshold else {
            log(String(format: "skipped %@ (match %.2f < %.2f)", ahoy.id, score, policy.applyThreshold))
            return
        }
        let relevant = ahoy.requiredSkills.filter { profileSkill($0) > 0 }
        let pitch = relevant.map { String(format: "%@ %.2f", $0, profileSkill($0)) }.joined(separator: ", ")
        await attempt(String(format: "applied to %@ (match %.2f)", ahoy.id, score)) {
            try await self.bus.submit(.apply(from: self.id, ahoy: ahoy.id, pitch: "\(self.id): \(pitch)", relevantSkills: relevant))
        }
    }

    private func considerVote(_ proposalID: String) async {
        guard let proposal = await bus.state.proposals[proposalID], proposal.status == .open,
              proposal.electorate.contains(id), proposal.votes[id] == nil else { return }
        let choice: VoteChoice
        var reason = ""
        if let mutation = await bus.state.mutations[proposalID]?.mutation, let rule = policy.mutations {
            // A datum mutation: voted by the mutation policy, with its reason in the log.
            switch rule {
            case .yes: choice = .yes; reason = " (mutations = \"yes\")"
            case .no: choice = .no; reason = " (mutations = \"no\")"
            case .review:
                let catalog = mutationApplier?.catalog() ?? CatalogSource.standard.catalog()
                let verdict = await MutationApplier.offThread { MutationReview.review(mutation, catalog: catalog) }
                choice = verdict.approve ? .yes : .no
                reason = " (review: \(verdict.reason))"
            }
        } else {
            switch policy.vote {
            case .always(let c): choice = c
            case .follow(let leader):
                guard let theirs = proposal.votes[leader] else { return }  // wait for the leader
                choice = theirs
            }
        }
        await attempt("voted \(choice.rawValue) on \(proposalID)\(reason)") {
            try await self.bus.submit(.vote(from: self.id, proposal: proposalID, choice: choice))
        }
    }

    /// Teaches when it can; otherwise answers the request on the bus with the reason, so the learner (and the
    /// crew stream) hears it rather than only this agent's log.
    private func teach(_ learner: String, _ skill: String, request: String) async {
        if let me = await bus.state.agents[id] { learned = me.skills }
        let level = profileSkill(skill)
        guard level >= SkillRules.teachThreshold else {
            let reason = String(format: "%@'s %@ is %.2f, below the %.2f needed to teach", id, skill, level, SkillRules.teachThreshold)
            await attempt("declined \(request) (\(skill) for \(learner)): \(reason)") {
                try await self.bus.submit(.declineLearning(from: self.id, request: request, reason: reason))
            }
            return
        }
        await attempt("taught \(learner) \(skill) (\(policy.teachMethod.rawValue))") {
            try await self.bus.submit(.teach(from: self.id, to: learner, skill: skill, method: self.policy.teachMethod))
        }
    }

    /// Runs one action; a refusal (someone was faster, the ahoy closed) is logged, never fatal.
    private func attempt(_ what: String, _ action: @Sendable () async throws -> Void) async {
        let name = String(what.prefix { $0 != " " })
        do {
            try await action()
            log(what)
            count(name, outcome: "ok")
        } catch {
            let code = (error as? BusError)?.code ?? "internal"
            log("could not: \(what): \(error)", .warning, ["code": .string(code)])
            count(name, outcome: "refused")
        }
    }

    /// `b00t_agent_actions_total{action, outcome}` (applied, accepted, declined, voted, taught × ok, refused);
    /// no-ops unless the process serves metrics.
    private var actionCounters: [String: Counter] = [:]
    private let eventsSeen = Counter(label: "b00t_agent_events_seen_total")

    private func count(_ action: String, outcome: String) {
        let key = action + "/" + outcome
        if let known = actionCounters[key] { return known.increment() }
        let made = Counter(label: "b00t_agent_actions_total", dimensions: [("action", action), ("outcome", outcome)])
        actionCounters[key] = made
        made.increment()
    }
}
