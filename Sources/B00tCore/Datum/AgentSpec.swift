/// The agent part of an `.agent.toml` datum. Accepts both this tool's flat keys and the original tool's
/// `[b00t.agent]` sub-table, so agent folders from either load unchanged.
public struct AgentSpec: Hashable, Sendable, Codable {
    /// skill → proficiency in 0.0…1.0 (a skill listed without one has 0.5).
    public var skills: [String: Double]
    public var role: String?
    public var personality: String?
    public var model: String?
    public var crewRole: String?
    public var captain: Bool?
    public var ipc: [String: DatumValue]
    public var inherits: [String]
    /// Policy tables (`policy`, `bouncer`, …) kept as written; `b00t agent run` reads `policy`.
    public var policies: [String: DatumValue]

    public init(
        skills: [String: Double] = [:], role: String? = nil, personality: String? = nil, model: String? = nil,
        crewRole: String? = nil, captain: Bool? = nil, ipc: [String: DatumValue] = [:], inherits: [String] = [],
        policies: [String: DatumValue] = [:]
    ) {
        self.skills = skills
        self.role = role
        self.personality = personality
        self.model = model
        self.crewRole = crewRole
        self.captain = captain
        self.ipc = ipc
        self.inherits = inherits
        self.policies = policies
    }

    /// Skills ordered by proficiency, best first (ties by name), for display and ranking.
    public var rankedSkills: [(name: String, proficiency: Double)] {
        skills.map { ($0.key, $0.value) }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
    }

    enum CodingKeys: String, CodingKey {
        case skills, role, personality, model, crewRole = "crew_role", captain, ipc, inherits, policies
    }
}
