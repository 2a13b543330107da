import Foundation

/// An agent as the bus knows it: who it is, what it can do (skill → proficiency 0.0…1.0) and how it
/// answers handshakes when it has no live process to ask.
public struct BusAgent: Codable, Sendable, Hashable {
    public var id: String
    public var role: String
    public var skills: [String: Double]
    public var personality: String
    /// When true the bus answers handshakes from registered agents with "accept" on the agent's behalf;
    /// when false the handshake waits for the agent's own reply.
    public var autoAcceptHandshakes: Bool

    public init(id: String, role: String = "member", skills: [String: Double] = [:], personality: String = "",
                autoAcceptHandshakes: Bool = true) {
        self.id = id
        self.role = role
        self.skills = skills
        self.personality = personality
        self.autoAcceptHandshakes = autoAcceptHandshakes
    }

    /// An agent whose skills are listed by name only, each at proficiency 0.5.
    public init(id: String, skillNames: [String], role: String = "member") {
        self.init(id: id, role: role, skills: Dictionary(skillNames.map { ($0, 0.5) }, uniquingKeysWith: max))
    }

    public func withSkill(_ skill: String, proficiency: Double) -> BusAgent {
        var copy = self
        copy.skills[skill] = min(max(proficiency, 0), 1)
        return copy
    }

    public func proficiency(_ skill: String) -> Double { skills[skill] ?? 0 }

    /// The role of an agent that reads and chats but neither votes nor applies (the original tool's Observer).
    public static let observerRole = "observer"

    /// Observers read and chat; the bus refuses their votes and applications and leaves them out of electorates.
    public var isObserver: Bool { role.lowercased() == Self.observerRole }

    /// Teaching needs real command of the skill.
    public func canTeach(_ skill: String) -> Bool { proficiency(skill) >= SkillRules.teachThreshold }

    /// From an `.agent` datum (this tool's or the original tool's layout).
    public init(datum: Datum) throws(BusError) {
        guard let agent = datum.agent else {
            throw .invalid("datum \(datum.id) has no agent fields; add a [b00t.agent] table with skills")
        }
        self.init(id: datum.name, role: agent.role ?? "member", skills: agent.skills,
                  personality: agent.personality ?? "")
    }

    /// `Agent.from_toml`: loads an `.agent.toml` file, with the file's own error text on failure.
    public static func fromTOML(_ path: String) throws(BusError) -> BusAgent {
        let (datum, diagnostics) = DatumLoader.loadFile(path)
        guard let datum else {
            throw .invalid(diagnostics.filter(\.isError).map(\.description).joined(separator: "\n"))
        }
        return try BusAgent(datum: datum)
    }
}

/// Proficiency arithmetic shared by teaching and knowledge sharing.
public enum SkillRules {
    public static let teachThreshold = 0.7

    /// Current + gain, capped at 1.0 (and never below 0).
    public static func raise(_ current: Double, by gain: Double) -> Double { min(1.0, max(0, current + gain)) }
}

/// How a skill is taught; each passes on a share of the teacher's proficiency.
public enum TeachingMethod: String, Codable, Sendable, CaseIterable {
    case pairProgramming = "pair"
    case demonstration = "demo"
    case documentation = "doc"
    case practice

    public var factor: Double {
        switch self {
        case .pairProgramming: return 0.6
        case .demonstration: return 0.4
        case .documentation: return 0.2
        case .practice: return 0.1
        }
    }

    /// Accepts the short names and the long ones (`pair`, `pair-programming`, `demonstration`, `docs`…).
    public init?(parsing text: String) {
        switch text.lowercased() {
        case "pair", "pair-programming", "pairprogramming", "pair_programming": self = .pairProgramming
        case "demo", "demonstration": self = .demonstration
        case "doc", "docs", "documentation": self = .documentation
        case "practice": self = .practice
        default: return nil
        }
    }
}

public enum VoteChoice: String, Codable, Sendable, CaseIterable {
    case yes, no, abstain
}
