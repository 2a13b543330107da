import Foundation

extension Datum: CustomStringConvertible {
    /// Markdown, as `b00t datum show` prints it: agents get their own card, everything else the
    /// name / type / hint / installation / usage layout of the original tool. Every field is escaped for the
    /// terminal (`TerminalText`): one-line fields may not break lines, multi-line ones keep only `\n`/`\t`.
    public var description: String { agent != nil && type == .agent ? agentCard : markdown }

    /// The general Markdown rendering of any datum.
    public var markdown: String {
        let line = TerminalText.line, block = TerminalText.block
        let name = line(self.name), hint = line(self.hint), type = line(self.type.rawValue)
        let desires = self.desires.map(line), category = self.category.map(line)
        let dependsOn = self.dependsOn.map(line), members = self.members.map(line)
        let dockerImage = self.dockerImage.map(line), ports = self.ports.map(line)
        let command = self.command.map(line), args = self.args.map(line)
        let install = self.install.map(block), learn = self.learn.map(block)
        let usage = self.usage.map { UsageExample(description: line($0.description), command: line($0.command)) }
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
        if let mcp { out += mcp.markdown }
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
        if let agent, self.type != .agent { out += "\n" + Self.agentLines(agent) }
        return out
    }

    /// `🤖 Agent: alpha` with role, skills and personality.
    public var agentCard: String {
        var out = "🤖 Agent: \(TerminalText.line(name))\n"
        if !hint.isEmpty { out += "Hint: \(TerminalText.line(hint))\n" }
        if let agent { out += Self.agentLines(agent) }
        return out
    }

    private static func agentLines(_ agent: AgentSpec) -> String {
        let line = TerminalText.line
        var out = "Role: \(line(agent.role ?? "unassigned"))\n"
        let skills = agent.rankedSkills.map { "\(line($0.name)) (\(String(format: "%.2f", $0.proficiency)))" }
        out += "Skills: \(skills.isEmpty ? "none" : skills.joined(separator: ", "))\n"
        out += "Personality: \(line(agent.personality ?? "unspecified"))\n"
        if let model = agent.model { out += "Model: \(line(model))\n" }
        if let crewRole = agent.crewRole { out += "Crew role: \(line(crewRole))\(agent.captain == true ? " (captain)" : "")\n" }
        if !agent.inherits.isEmpty { out += "Inherits: \(agent.inherits.map(line).joined(separator: ", "))\n" }
        return out
    }
}
