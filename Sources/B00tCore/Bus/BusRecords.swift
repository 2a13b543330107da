import Foundation

/// A crew: agents working together on a purpose. Named by its founder; names are unique among live crews.
public struct Crew: Codable, Sendable, Hashable {
    public var name: String
    public var initiator: String
    public var members: [String]
    public var purpose: String
    public var formedAt: Date
    /// Who wears the crown after a `/delegate` (nil: the initiator, as in logs written before delegation).
    public var captain: String? = nil
    /// The budget the captain holds for the crew, set by the last delegation (nil: never delegated, no cap).
    public var budget: Int? = nil

    /// The crew's captain: the last one delegated to, else who formed it.
    public var captainID: String { captain ?? initiator }
}

/// A request for a resource put to a crew (`/negotiate RESOURCE AMOUNT REASON`), kept by its id `neg-N`.
public struct Negotiation: Codable, Sendable, Hashable {
    public var id: String
    public var from: String
    public var crew: String?
    public var resource: String
    public var amount: Int
    public var reason: String
    public var seq: UInt64
}

/// A handshake between two agents, answered once.
public struct Handshake: Codable, Sendable, Hashable {
    public var id: String
    public var from: String
    public var to: String
    public var proposal: String
    public var accepted: Bool?
    /// Sequence number of the request event (replies point at it).
    public var seq: UInt64
    /// Replies after this are refused.
    public var expiresAt: Date?
    /// Set when the requester stopped waiting (`handshakeExpired`).
    public var expired: Bool?

    /// Still waiting for an answer (not answered, not expired).
    public var isOpen: Bool { accepted == nil && expired != true }
}

/// A request to learn a skill from a teacher, answered by teaching or by a declined event.
public struct LearningRequest: Codable, Sendable, Hashable {
    public enum Status: String, Codable, Sendable { case pending, taught, declined }
    public var id: String
    public var learner: String
    public var teacher: String
    public var skill: String
    public var status: Status
    public var reason: String?
    public var seq: UInt64
}

/// A proposal put to a vote. The electorate is fixed when it is created (the crew's members, or every
/// registered agent), so later joiners cannot change an open vote's arithmetic.
public struct Proposal: Codable, Sendable, Hashable {
    public enum Status: String, Codable, Sendable { case open, passed, rejected, withdrawn }

    public var id: String
    public var text: String
    public var by: String
    public var crew: String?
    public var electorate: [String]
    /// Passes when yes votes exceed this share of the electorate (0.5 = strict majority).
    public var threshold: Double
    /// Minimum share of the electorate that must have voted before it can pass.
    public var quorum: Double
    public var votes: [String: VoteChoice]
    public var status: Status
    public var createdAt: Date
    public var seq: UInt64

    public var yes: Int { votes.values.filter { $0 == .yes }.count }
    public var no: Int { votes.values.filter { $0 == .no }.count }
    public var abstain: Int { votes.values.filter { $0 == .abstain }.count }

    /// `passed` when decided yes, `rejected` when it can no longer pass, nil while undecided.
    func decided() -> Status? {
        let n = Double(electorate.count)
        let needed = Int((threshold * n).rounded(.down)) + 1
        let turnoutOK = Double(votes.count) >= (quorum * n).rounded(.up)
        if yes >= needed && turnoutOK { return .passed }
        let remaining = electorate.count - votes.count
        if yes + remaining < needed { return .rejected }
        if remaining == 0 { return turnoutOK && yes >= needed ? .passed : .rejected }
        return nil
    }
}

/// An application to an ahoy.
public struct Application: Codable, Sendable, Hashable {
    public enum Status: String, Codable, Sendable { case pending, accepted, rejected, withdrawn }

    public var from: String
    public var pitch: String
    public var relevantSkills: [String]
    public var appliedAt: Date
    public var status: Status
}

/// An `ahoy`: a job announcement (FIPA Contract Net's call for proposals) with a budget for the winner.
public struct Ahoy: Codable, Sendable, Hashable {
    public enum Status: String, Codable, Sendable { case open, awarded, withdrawn }

    public var id: String
    public var from: String
    public var role: String
    public var description: String
    public var requiredSkills: [String]
    public var budget: Int
    public var replyBy: Date?
    public var applications: [Application]
    public var awardedTo: String?
    public var status: Status
    public var createdAt: Date
    public var seq: UInt64

    public func application(from agent: String) -> Application? { applications.first { $0.from == agent } }
}

/// What `list_ahoys` keeps.
public enum AhoyFilter: Sendable, Hashable {
    case all
    case open
    case awarded
    /// Posted by, or applied to by, this agent.
    case mine(String)
    /// Requiring this skill.
    case skill(String)
}
