import Foundation

/// The answer to a handshake.
public struct HandshakeReply: Sendable, Equatable {
    public var handshake: String
    public var accept: Bool
    public var reason: String?
}

extension CrewBus {
    // MARK: Agents

    public func register(_ agent: BusAgent) async throws { try await submit(.register(agent: agent)) }

    public func deregister(_ id: String) async throws { try await submit(.deregister(agent: id)) }

    /// Registered agents sorted by id.
    public func listAgents() -> [BusAgent] { state.agents.values.sorted { $0.id < $1.id } }

    public func agent(_ id: String) -> BusAgent? { state.agents[id] }

    // MARK: Handshakes and crews

    /// Asks `to` to work with `from`. Agents that auto-accept answer at once; others are waited for (their
    /// process replies with `replyHandshake`) up to `timeout`. The deadline travels with the request, so a reply
    /// after it is refused by the bus; when the wait ends without an answer (timeout or cancellation) the
    /// requester also closes it with a `handshakeExpired` event the whole crew sees.
    public func handshake(from: String, to: String, proposal: String = "", timeout: Duration = .seconds(30))
        async throws -> HandshakeReply
    {
        let deadline = Date().addingTimeInterval(timeout.seconds)
        let events = try await submit(.handshake(from: from, to: to, proposal: proposal, expiresAt: deadline))
        guard case .handshakeRequested(let id, _, _, _) = events.first?.body, let first = events.first else {
            throw BusError.storage("unexpected event")
        }
        if let reply = Self.reply(in: events, to: id) { return reply }
        do {
            return try await withThrowingTaskGroup(of: HandshakeReply?.self) { group in
                group.addTask {
                    for try await event in self.subscribe(after: first.seq) {
                        if let reply = Self.reply(in: [event], to: id) { return reply }
                    }
                    return nil
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                let answer = try await group.next() ?? nil
                group.cancelAll()
                guard let reply = answer else {
                    // Cancelled (^C in k0mmand3r) ends the wait too: that is not the other agent's silence.
                    try Task.checkCancellation()
                    throw BusError.timeout("\(to) did not answer \(id) within \(Self.seconds(timeout)); the handshake expired")
                }
                return reply
            }
        } catch {
            // Close it on the bus (from an uncancelled task: this one may be cancelled). If the answer won the race,
            // the expiry is refused and a timeout returns that answer instead.
            let expiry = Task { try await self.submit(.expireHandshake(from: from, handshake: id)) }
            do {
                _ = try await expiry.value
            } catch BusError.closed {
                if !(error is CancellationError), let answered = try? await currentState().handshakes[id]?.accepted {
                    return HandshakeReply(handshake: id, accept: answered, reason: nil)
                }
            } catch {}
            throw error
        }
    }

    /// Closes, as the bus ("b00t"), every unanswered handshake whose deadline has passed: the asker may be gone,
    /// and the record should still say the request ended. Run by the daemon and by direct-store processes.
    public func expireOverdueHandshakes(now: Date = Date()) async {
        guard let state = try? await currentState() else { return }
        let overdue = state.handshakes.values.filter { $0.isOpen && ($0.expiresAt.map { now > $0 } ?? false) }.sorted { $0.seq < $1.seq }
        for handshake in overdue {
            _ = try? await submit(.expireHandshake(from: "b00t", handshake: handshake.id))
        }
    }

    static func seconds(_ duration: Duration) -> String {
        let s = duration.seconds
        return s == s.rounded() ? "\(Int(s)) s" : String(format: "%.1f s", s)
    }

    public func replyHandshake(_ id: String, from: String, accept: Bool, reason: String? = nil) async throws {
        try await submit(.replyHandshake(from: from, handshake: id, accept: accept, reason: reason))
    }

    private static func reply(in events: [BusEvent], to id: String) -> HandshakeReply? {
        for event in events {
            if case .handshakeReplied(let hid, let accept, let reason) = event.body, hid == id {
                return HandshakeReply(handshake: id, accept: accept, reason: reason)
            }
        }
        return nil
    }

    @discardableResult
    public func formCrew(initiator: String, members: [String], purpose: String, name: String? = nil) async throws -> Crew {
        let crewName = name ?? "crew-\(state.lastSeq + 1)"
        try await submit(.formCrew(from: initiator, name: crewName, members: members, purpose: purpose))
        guard let crew = state.crews[crewName] else { throw BusError.notFound("crew", crewName) }
        return crew
    }

    public func leaveCrew(_ crew: String, agent: String) async throws { try await submit(.leaveCrew(from: agent, crew: crew)) }

    public func disbandCrew(_ crew: String, by agent: String) async throws {
        try await submit(.disbandCrew(from: agent, crew: crew))
    }

    public func crews() -> [Crew] { state.crews.values.sorted { $0.name < $1.name } }

    public func joinCrew(_ crew: String, agent: String) async throws { try await submit(.joinCrew(from: agent, crew: crew)) }

    /// The captain of `crew` hands the crown and `budget` to `to` (a member who is not an observer).
    public func delegate(crew: String, from captain: String, to: String, budget: Int) async throws {
        try await submit(.delegate(from: captain, crew: crew, to: to, budget: budget))
    }

    /// Asks for `amount` of `resource` and returns the request's id (`neg-N`).
    @discardableResult
    public func negotiate(_ resource: String, amount: Int, reason: String, from: String, crew: String? = nil) async throws -> String {
        let events = try await submit(.negotiate(from: from, crew: crew, resource: resource, amount: amount, reason: reason))
        return events[0].conversationID
    }

    /// Announces `agent`'s role and skills to everyone, with a note on what it is doing.
    public func announceStatus(of agent: String, note: String = "") async throws {
        try await submit(.announceStatus(from: agent, note: note))
    }

    // MARK: Proposals

    /// Returns the proposal id (`prop-N`).
    @discardableResult
    public func createProposal(_ text: String, by: String, crew: String? = nil, threshold: Double? = nil,
                               quorum: Double? = nil) async throws -> String {
        let events = try await submit(.propose(from: by, text: text, crew: crew, threshold: threshold, quorum: quorum))
        return events[0].conversationID
    }

    public func vote(_ proposal: String, voter: String, choice: VoteChoice) async throws {
        try await submit(.vote(from: voter, proposal: proposal, choice: choice))
    }

    public func withdrawProposal(_ proposal: String, by: String) async throws {
        try await submit(.withdrawProposal(from: by, proposal: proposal))
    }

    public func isProposalPassed(_ id: String) throws -> Bool {
        guard let proposal = state.proposals[id] else { throw BusError.notFound("proposal", id) }
        return proposal.status == .passed
    }

    public func proposal(_ id: String) -> Proposal? { state.proposals[id] }

    public func listProposals() -> [Proposal] { state.proposals.values.sorted { $0.seq < $1.seq } }

    // MARK: Ahoy (Contract Net)

    /// Posts a call for proposals; returns its id (`ahoy-N`).
    @discardableResult
    public func postAhoy(from: String, role: String, description: String = "", requiredSkills: [String] = [],
                         budget: Int = 0, replyBy: Date? = nil) async throws -> String {
        let events = try await submit(.postAhoy(from: from, role: role, description: description,
                                                requiredSkills: requiredSkills, budget: budget, replyBy: replyBy))
        return events[0].conversationID
    }

    public func applyToAhoy(_ id: String, from: String, pitch: String = "", relevantSkills: [String] = []) async throws {
        try await submit(.apply(from: from, ahoy: id, pitch: pitch, relevantSkills: relevantSkills))
    }

    public func getAhoy(_ id: String) -> Ahoy? { state.ahoys[id] }

    public func listAhoys(_ filter: AhoyFilter = .all) -> [Ahoy] { state.listAhoys(filter) }

    /// Awards the ahoy to `winner` (only its poster may) and returns the budget; the other applicants get
    /// reject events.
    @discardableResult
    public func awardAhoy(_ id: String, to winner: String, by poster: String? = nil) async throws -> Int {
        let poster = poster ?? state.ahoys[id]?.from ?? ""
        let events = try await submit(.award(from: poster, ahoy: id, winner: winner))
        guard case .ahoyAwarded(_, _, let budget) = events[0].body else { throw BusError.storage("unexpected event") }
        return budget
    }

    public func withdrawAhoy(_ id: String, by poster: String) async throws {
        try await submit(.withdrawAhoy(from: poster, ahoy: id))
    }

    public func withdrawApplication(_ id: String, by agent: String) async throws {
        try await submit(.withdrawApplication(from: agent, ahoy: id))
    }

    /// Applicants best-matched first (skill proficiency against the ahoy's required skills).
    public func rankedApplicants(_ id: String) -> [Application] { state.rankedApplicants(id) }

    // MARK: Skills

    /// Teaches and returns the learner's new proficiency.
    @discardableResult
    public func teachSkill(from teacher: String, to learner: String, skill: String, method: TeachingMethod) async throws -> Double {
        let events = try await submit(.teach(from: teacher, to: learner, skill: skill, method: method))
        for event in events { if case .skillLearned(_, _, _, let after, _) = event.body { return after } }
        throw BusError.storage("teaching produced no skill_learned event")
    }

    public func requestLearning(_ skill: String, learner: String, teacher: String) async throws {
        try await submit(.requestLearning(from: learner, skill: skill, teacher: teacher))
    }

    public func shareKnowledge(from: String, crew: String, topic: String, content: String,
                               skillImpact: [String: Double]) async throws {
        try await submit(.share(from: from, crew: crew, topic: topic, content: content, skillImpact: skillImpact))
    }

    public func say(from: String, _ text: String, crew: String? = nil, to: String? = nil) async throws {
        try await submit(.say(from: from, crew: crew, to: to, text: text))
    }
}
