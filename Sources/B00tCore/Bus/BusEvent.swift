import Foundation

/// One entry of the bus log. The log is the truth; every piece of state is `log.reduce(BusState(), apply)`.
public struct BusEvent: Codable, Sendable, Hashable {
    /// 1, 2, 3… with no gaps: a reader that remembers the last one it saw misses nothing.
    public var seq: UInt64
    public var timestamp: Date
    /// The agent that caused it (the bus's own events use "b00t").
    public var from: String
    /// Groups a thread: an ahoy with its applications and award, a proposal with its votes.
    public var conversationID: String
    /// The event this one answers, if any.
    public var replyTo: UInt64?
    public var body: BusEventBody

    public init(seq: UInt64, timestamp: Date, from: String, conversationID: String, replyTo: UInt64? = nil,
                body: BusEventBody) {
        self.seq = seq
        self.timestamp = timestamp
        self.from = from
        self.conversationID = conversationID
        self.replyTo = replyTo
        self.body = body
    }

    enum CodingKeys: String, CodingKey {
        case seq, timestamp = "ts", from, conversationID = "conversation_id", replyTo = "reply_to", body
    }
}

/// What happened. Each case carries everything the reducer needs, so folding never consults anything else.
public enum BusEventBody: Codable, Sendable, Hashable {
    case agentRegistered(agent: BusAgent)
    case agentDeregistered(id: String)
    /// `expiresAt`: replies after it are refused (nil in logs written before deadlines existed).
    case handshakeRequested(id: String, to: String, proposal: String, expiresAt: Date? = nil)
    case handshakeReplied(id: String, accept: Bool, reason: String?)
    /// The requester stopped waiting (its deadline passed, or it gave up): a later reply is refused.
    case handshakeExpired(id: String)
    case crewFormed(name: String, members: [String], purpose: String)
    case crewLeft(crew: String, agent: String)
    case crewDisbanded(crew: String)
    case proposalCreated(id: String, text: String, crew: String?, electorate: [String], threshold: Double, quorum: Double)
    case voteCast(proposal: String, choice: VoteChoice)
    case proposalClosed(id: String, outcome: Proposal.Status)
    case ahoyPosted(id: String, role: String, description: String, requiredSkills: [String], budget: Int, replyBy: Date?)
    case ahoyApplied(ahoy: String, pitch: String, relevantSkills: [String])
    case ahoyAwarded(ahoy: String, winner: String, budget: Int)
    case applicationRejected(ahoy: String, agent: String)
    case ahoyWithdrawn(ahoy: String)
    case applicationWithdrawn(ahoy: String)
    case skillTaught(to: String, skill: String, method: TeachingMethod, teacherProficiency: Double)
    case skillLearned(agent: String, skill: String, before: Double, after: Double, teacher: String?)
    case learningRequested(skill: String, teacher: String)
    /// The teacher will not teach: the request (its conversation id, `learn-N`) is answered with a reason.
    case learningDeclined(request: String, reason: String)
    case knowledgeShared(crew: String, topic: String, content: String, skillImpact: [String: Double])
    case message(crew: String?, to: String?, text: String)
    /// Presence, written by whoever hosts connections (the bus daemon) or by a process on a direct backend:
    /// an agent came online, or went away (connection closed, process killed, daemon restarted).
    case agentJoined(agent: String)
    case agentLeft(agent: String, reason: String)
    case crewJoined(crew: String, agent: String)
    /// The captain of `crew` handed the crown to `to`, with `budget` to spend for the crew.
    case captainDelegated(crew: String, to: String, budget: Int)
    /// A request for a resource (`neg-N`), put to the crew (or everyone when `crew` is nil).
    case resourceNegotiated(id: String, crew: String?, resource: String, amount: Int, reason: String)
    /// The sender's role and skills when it announced them, and what it said it is doing.
    case statusAnnounced(role: String, skills: [String: Double], note: String)
    /// The change a mutation proposal carries (written just before its `proposalCreated`).
    case mutationProposed(proposal: String, mutation: DatumMutation)
    /// `from` is applying the passed mutation, until `leaseUntil`.
    case mutationClaimed(proposal: String, leaseUntil: Date)
    /// The datum's file was changed (and committed, when `commit` is set).
    case datumMutated(proposal: String, datum: String, commit: String?, note: String)
    case mutationRejected(proposal: String, datum: String, reason: String)

    /// Short kind name: for colouring in k0mmand3r, `bus tail`, and the SQLite `kind` column.
    public var kind: String {
        switch self {
        case .agentRegistered: return "agent_registered"
        case .agentDeregistered: return "agent_deregistered"
        case .handshakeRequested: return "handshake"
        case .handshakeReplied: return "handshake_reply"
        case .handshakeExpired: return "handshake_expired"
        case .crewFormed: return "crew_formed"
        case .crewLeft: return "crew_left"
        case .crewDisbanded: return "crew_disbanded"
        case .proposalCreated: return "proposal"
        case .voteCast: return "vote"
        case .proposalClosed: return "proposal_closed"
        case .ahoyPosted: return "ahoy"
        case .ahoyApplied: return "ahoy_apply"
        case .ahoyAwarded: return "ahoy_award"
        case .applicationRejected: return "ahoy_reject"
        case .ahoyWithdrawn: return "ahoy_withdrawn"
        case .applicationWithdrawn: return "application_withdrawn"
        case .skillTaught: return "teach"
        case .skillLearned: return "skill_learned"
        case .learningRequested: return "learn_request"
        case .learningDeclined: return "learn_declined"
        case .knowledgeShared: return "share"
        case .message: return "message"
        case .agentJoined: return "joined"
        case .agentLeft: return "left"
        case .crewJoined: return "crew_joined"
        case .captainDelegated: return "delegate"
        case .resourceNegotiated: return "negotiate"
        case .statusAnnounced: return "status"
        case .mutationProposed: return "mutation"
        case .mutationClaimed: return "mutation_claimed"
        case .datumMutated: return "datum_mutated"
        case .mutationRejected: return "mutation_rejected"
        }
    }
}
