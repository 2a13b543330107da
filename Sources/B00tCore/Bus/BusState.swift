import Foundation

/// Everything the bus knows, derived only from the log: `state = log.reduce(BusState(), apply)`.
/// A value type: every replica that folds the same events holds an equal state.
public struct BusState: Codable, Sendable, Equatable {
    public var lastSeq: UInt64 = 0
    public var agents: [String: BusAgent] = [:]
    public var crews: [String: Crew] = [:]
    public var handshakes: [String: Handshake] = [:]
    public var proposals: [String: Proposal] = [:]
    public var ahoys: [String: Ahoy] = [:]
    public var messageCount: Int = 0
    /// Agents with a live connection (presence events); registered agents not in it are offline.
    public var online: Set<String> = []
    /// Learning requests by id (`learn-N`, the request's conversation id).
    public var learningRequests: [String: LearningRequest] = [:]
    /// Resource requests by id (`neg-N`).
    public var negotiations: [String: Negotiation] = [:]
    /// Datum mutations by proposal id.
    public var mutations: [String: MutationRecord] = [:]

    public init() {}

    enum CodingKeys: String, CodingKey {
        case lastSeq, agents, crews, handshakes, proposals, ahoys, messageCount, online, learningRequests, negotiations
        case mutations
    }

    /// Snapshots written before presence and learning requests existed still load.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        lastSeq = try c.decode(UInt64.self, forKey: .lastSeq)
        agents = try c.decode([String: BusAgent].self, forKey: .agents)
        crews = try c.decode([String: Crew].self, forKey: .crews)
        handshakes = try c.decode([String: Handshake].self, forKey: .handshakes)
        proposals = try c.decode([String: Proposal].self, forKey: .proposals)
        ahoys = try c.decode([String: Ahoy].self, forKey: .ahoys)
        messageCount = try c.decodeIfPresent(Int.self, forKey: .messageCount) ?? 0
        online = try c.decodeIfPresent(Set<String>.self, forKey: .online) ?? []
        learningRequests = try c.decodeIfPresent([String: LearningRequest].self, forKey: .learningRequests) ?? [:]
        negotiations = try c.decodeIfPresent([String: Negotiation].self, forKey: .negotiations) ?? [:]
        mutations = try c.decodeIfPresent([String: MutationRecord].self, forKey: .mutations) ?? [:]
    }

    public func isOnline(_ agent: String) -> Bool { online.contains(agent) }

    /// Folds one event. Events were validated before they were written, so applying never fails; an event
    /// that refers to something missing (only possible in a hand-edited log) is skipped for that part.
    public mutating func apply(_ event: BusEvent) {
        lastSeq = event.seq
        let from = event.from
        switch event.body {
        case .agentRegistered(var agent):
            if let existing = agents[agent.id] {
                agent.skills.merge(existing.skills) { new, old in max(new, old) }
            }
            agents[agent.id] = agent
        case .agentDeregistered(let id):
            agents[id] = nil
            online.remove(id)
            for name in crews.keys { removeMember(id, from: name) }
        case .handshakeRequested(let id, let to, let proposal, let expiresAt):
            handshakes[id] = Handshake(id: id, from: from, to: to, proposal: proposal, accepted: nil, seq: event.seq,
                                       expiresAt: expiresAt)
        case .handshakeReplied(let id, let accept, _):
            handshakes[id]?.accepted = accept
        case .handshakeExpired(let id):
            handshakes[id]?.expired = true
        case .crewFormed(let name, let members, let purpose):
            crews[name] = Crew(name: name, initiator: from, members: members, purpose: purpose, formedAt: event.timestamp)
        case .crewLeft(let crew, let agent):
            removeMember(agent, from: crew)
        case .crewDisbanded(let crew):
            crews[crew] = nil
        case .proposalCreated(let id, let text, let crew, let electorate, let threshold, let quorum):
            proposals[id] = Proposal(id: id, text: text, by: from, crew: crew, electorate: electorate,
                                     threshold: threshold, quorum: quorum, votes: [:], status: .open,
                                     createdAt: event.timestamp, seq: event.seq)
        case .voteCast(let proposal, let choice):
            proposals[proposal]?.votes[from] = choice
        case .proposalClosed(let id, let outcome):
            proposals[id]?.status = outcome
        case .ahoyPosted(let id, let role, let description, let skills, let budget, let replyBy):
            ahoys[id] = Ahoy(id: id, from: from, role: role, description: description, requiredSkills: skills,
                             budget: budget, replyBy: replyBy, applications: [], awardedTo: nil, status: .open,
                             createdAt: event.timestamp, seq: event.seq)
        case .ahoyApplied(let ahoy, let pitch, let skills):
            ahoys[ahoy]?.applications.append(Application(from: from, pitch: pitch, relevantSkills: skills,
                                                         appliedAt: event.timestamp, status: .pending))
        case .ahoyAwarded(let ahoy, let winner, _):
            ahoys[ahoy]?.status = .awarded
            ahoys[ahoy]?.awardedTo = winner
            setApplication(ahoy, winner, .accepted)
        case .applicationRejected(let ahoy, let agent):
            setApplication(ahoy, agent, .rejected)
        case .ahoyWithdrawn(let ahoy):
            ahoys[ahoy]?.status = .withdrawn
        case .applicationWithdrawn(let ahoy):
            setApplication(ahoy, from, .withdrawn)
        case .skillTaught(let to, let skill, _, _):
            // Teaching answers the learner's pending requests to this teacher for this skill.
            for (id, request) in learningRequests where request.status == .pending && request.learner == to
                && request.teacher == from && request.skill == skill {
                learningRequests[id]?.status = .taught
            }
        case .learningRequested(let skill, let teacher):
            let id = event.conversationID
            learningRequests[id] = LearningRequest(id: id, learner: from, teacher: teacher, skill: skill,
                                                   status: .pending, reason: nil, seq: event.seq)
        case .learningDeclined(let request, let reason):
            learningRequests[request]?.status = .declined
            learningRequests[request]?.reason = reason
        case .agentJoined(let agent):
            online.insert(agent)
        case .agentLeft(let agent, _):
            online.remove(agent)
        case .skillLearned(let agent, let skill, _, let after, _):
            agents[agent]?.skills[skill] = after
        case .knowledgeShared(let crew, _, _, let impact):
            for member in crews[crew]?.members ?? [] {
                for (skill, gain) in impact {
                    let current = agents[member]?.skills[skill] ?? 0
                    agents[member]?.skills[skill] = SkillRules.raise(current, by: gain)
                }
            }
        case .message:
            messageCount += 1
        case .crewJoined(let crew, let agent):
            if crews[crew]?.members.contains(agent) == false { crews[crew]?.members.append(agent) }
        case .captainDelegated(let crew, let to, let budget):
            crews[crew]?.captain = to
            crews[crew]?.budget = budget
        case .resourceNegotiated(let id, let crew, let resource, let amount, let reason):
            negotiations[id] = Negotiation(id: id, from: from, crew: crew, resource: resource, amount: amount,
                                           reason: reason, seq: event.seq)
        case .statusAnnounced:
            break
        case .mutationProposed, .mutationClaimed, .datumMutated, .mutationRejected:
            applyMutation(event)
        }
    }

    public func applying(_ events: some Sequence<BusEvent>) -> BusState {
        var copy = self
        for event in events { copy.apply(event) }
        return copy
    }

    private mutating func removeMember(_ agent: String, from crew: String) {
        guard var c = crews[crew] else { return }
        c.members.removeAll { $0 == agent }
        // A captain who leaves passes the crown to the longest-standing member left (the budget goes with it).
        if c.captainID == agent { c.captain = c.members.first }
        crews[crew] = c.members.isEmpty ? nil : c
    }

    private mutating func setApplication(_ ahoy: String, _ agent: String, _ status: Application.Status) {
        guard let index = ahoys[ahoy]?.applications.firstIndex(where: { $0.from == agent }) else { return }
        ahoys[ahoy]?.applications[index].status = status
    }
}
