import Foundation

/// A request to change the bus. It is validated against the current state: valid commands become events,
/// invalid ones are refused with a `BusError` and nothing is written. `from` is who asks; transports bind
/// it to the connection so an agent can only speak as itself.
public enum BusCommand: Codable, Sendable, Hashable {
    case register(agent: BusAgent)
    case deregister(agent: String)
    /// `expiresAt`: the deadline after which a reply is refused (the requester stops waiting then).
    case handshake(from: String, to: String, proposal: String, expiresAt: Date? = nil)
    case replyHandshake(from: String, handshake: String, accept: Bool, reason: String?)
    /// The requester gives up waiting: the handshake is closed and a late reply refused.
    case expireHandshake(from: String, handshake: String)
    case formCrew(from: String, name: String, members: [String], purpose: String)
    case leaveCrew(from: String, crew: String)
    case disbandCrew(from: String, crew: String)
    case propose(from: String, text: String, crew: String?, threshold: Double?, quorum: Double?)
    case vote(from: String, proposal: String, choice: VoteChoice)
    case withdrawProposal(from: String, proposal: String)
    case postAhoy(from: String, role: String, description: String, requiredSkills: [String], budget: Int, replyBy: Date?)
    case apply(from: String, ahoy: String, pitch: String, relevantSkills: [String])
    case award(from: String, ahoy: String, winner: String)
    case withdrawAhoy(from: String, ahoy: String)
    case withdrawApplication(from: String, ahoy: String)
    case teach(from: String, to: String, skill: String, method: TeachingMethod)
    case requestLearning(from: String, skill: String, teacher: String)
    /// The teacher answers a learning request (`learn-N`) with a refusal and its reason.
    case declineLearning(from: String, request: String, reason: String)
    case share(from: String, crew: String, topic: String, content: String, skillImpact: [String: Double])
    case say(from: String, crew: String?, to: String?, text: String)
    /// Joins an existing crew (the original tool's `/crew join`).
    case joinCrew(from: String, crew: String)
    /// The crew's captain hands the crown (captaincy) and a budget to another member (`/delegate`).
    case delegate(from: String, crew: String, to: String, budget: Int)
    /// Asks for `amount` of a resource, with the reason (`/negotiate`); `crew` nil: asks everyone.
    case negotiate(from: String, crew: String?, resource: String, amount: Int, reason: String)
    /// An agent announces its role and skills, with an optional note on what it is doing (`/status`).
    case announceStatus(from: String, note: String)
    /// Presence: only the process that hosts the agent's connection (the daemon, or the agent's own process on
    /// a direct backend) sends it; the socket never accepts it from a client.
    case presence(agent: String, online: Bool, reason: String?)
    /// A datum mutation put to a vote (`crew` must be the crew its approval names, nil otherwise).
    case proposeMutation(from: String, crew: String?, mutation: DatumMutation)
    /// "I apply it": the first claim after the pass wins; another is accepted only after `leaseUntil`.
    case claimMutation(from: String, proposal: String, leaseUntil: Date)
    /// The claimant applied it (`commit`: the git commit, if one was made).
    case completeMutation(from: String, proposal: String, commit: String?, note: String)
    /// The claimant could not apply it (stale hash, dirty file, refused flag…).
    case rejectMutation(from: String, proposal: String, reason: String)

    /// The agent the command speaks for.
    public var actor: String {
        switch self {
        case .register(let agent): return agent.id
        case .deregister(let agent): return agent
        case .presence: return "b00t"
        case .handshake(let from, _, _, _), .replyHandshake(let from, _, _, _), .expireHandshake(let from, _),
             .declineLearning(let from, _, _), .formCrew(let from, _, _, _),
             .leaveCrew(let from, _), .disbandCrew(let from, _), .propose(let from, _, _, _, _),
             .vote(let from, _, _), .withdrawProposal(let from, _), .postAhoy(let from, _, _, _, _, _),
             .apply(let from, _, _, _), .award(let from, _, _), .withdrawAhoy(let from, _),
             .withdrawApplication(let from, _), .teach(let from, _, _, _), .requestLearning(let from, _, _),
             .share(let from, _, _, _, _), .say(let from, _, _, _), .joinCrew(let from, _),
             .delegate(let from, _, _, _), .negotiate(let from, _, _, _, _), .announceStatus(let from, _),
             .proposeMutation(let from, _, _), .claimMutation(let from, _, _), .completeMutation(let from, _, _, _),
             .rejectMutation(let from, _, _):
            return from
        }
    }
}

/// An event before the log has numbered it.
public struct EventDraft: Sendable, Hashable {
    public var from: String
    public var body: BusEventBody
    /// nil: the event starts its own conversation, `evt-<seq>`.
    public var conversationID: String?
    public var replyTo: UInt64?

    public init(from: String, body: BusEventBody, conversationID: String? = nil, replyTo: UInt64? = nil) {
        self.from = from
        self.body = body
        self.conversationID = conversationID
        self.replyTo = replyTo
    }
}
