import Foundation

extension Datum: CustomStringConvertible {
    /// Markdown, as `b00t datum show` prints it: agents get their own card, everything else the
    /// name / type / hint / installation / usage layout of the original tool.
    public var description: String { agent != nil && type == .agent ? agentCard : markdown }

    /// The general Markdown rendering of any datum.
    public var markdown: String {
        var out = "# \(name)\n"
        out += "**Type**: \(type)\n"
        out += "**Hint**: \(hint)\n"
        if let desires { out += "**Desires**: \(desires)\n" }
        if let category { out += "**Category**: \(category)\n" }
        if !dependsOn.isEmpty { out += "**Depends on**: \(dependsOn.joined(separator: ", "))\n" }
        if !members.isEmpty { out += "**Members**: \(members.joined(separator: ", "))\n" }
        if let dockerImage { out += "**Image**: \(dockerImage)\n" }
        if let command { out += "**Command**: `\(([command] + args).joined(separator: " "))`\n" }
        if !ports.isEmpty { out += "**Ports**: \(ports.joined(separator: ", "))\n" }
        if let install, !install.isEmpty {
            out += "\n## Installation\n```bash\n\(install.trimmingCharacters(in: .newlines))\n```\n"
        }
        if !usage.isEmpty {
            out += "\n## Usage\n"
            for example in usage {
                out += example.description.isEmpty
                    ? "- `\(example.command)`\n" : "- **\(example.description)**: `\(example.command)`\n"
            }
        }
        if let learn, !learn.isEmpty { out += "\n## Learn\n\(learn.trimmingCharacters(in: .newlines))\n" }
        if let agent, type != .agent { out += "\n" + Self.agentLines(agent) }
        return out
    }

    /// `🤖 Agent: alpha` with role, skills and personality.
    public var agentCard: String {
        var out = "🤖 Agent: \(name)\n"
        if !hint.isEmpty { out += "Hint: \(hint)\n" }
        if let agent { out += Self.agentLines(agent) }
        return out
    }

    private static func agentLines(_ agent: AgentSpec) -> String {
        var out = "Role: \(agent.role ?? "unassigned")\n"
        let skills = agent.rankedSkills.map { "\($0.name) (\(String(format: "%.2f", $0.proficiency)))" }
        out += "Skills: \(skills.isEmpty ? "none" : skills.joined(separator: ", "))\n"
        out += "Personality: \(agent.personality ?? "unspecified")\n"
        if let model = agent.model { out += "Model: \(model)\n" }
        if let crewRole = agent.crewRole { out += "Crew role: \(crewRole)\(agent.captain == true ? " (captain)" : "")\n" }
        if !agent.inherits.isEmpty { out += "Inherits: \(agent.inherits.joined(separator: ", "))\n" }
        return out
    }
}
