import B00tCore
import Foundation

/// `--skills` of `agent run` and `mcp serve`: one parser, so both refuse the same entries the same way.
package enum SkillsOption {
    /// `rust:0.9,testing:0.7` (a bare name means 0.5). Strict: an empty entry or name, a missing or
    /// non-numeric proficiency, one outside 0.0–1.0, a name outside the skill character set or a name given
    /// twice is an error naming the entry.
    package static func parse(_ text: String) throws(BusError) -> [String: Double] {
        let usage = "write name:proficiency pairs separated by commas, like rust:0.9,testing:0.7"
        var skills: [String: Double] = [:]
        for (position, raw) in text.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            let item = raw.trimmingCharacters(in: .whitespaces)
            guard !item.isEmpty else { throw .invalid("--skills: entry \(position + 1) is empty; \(usage)") }
            let name: String
            let level: Double
            if let colon = item.firstIndex(of: ":") {
                name = item[..<colon].trimmingCharacters(in: .whitespaces)
                let levelText = item[item.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                guard !levelText.isEmpty else {
                    throw .invalid("--skills: '\(item)' has no proficiency after ':'; give one in 0.0–1.0 (\(name.isEmpty ? "rust" : name):0.9) or drop the ':' for 0.5")
                }
                // '::' named no skill: say that, not that ':' is no number.
                guard !name.isEmpty else { throw .invalid("--skills: '\(item)': a skill name cannot be empty; \(usage)") }
                guard let parsed = Double(levelText), parsed.isFinite, (0...1).contains(parsed) else {
                    throw .invalid("--skills: '\(item)': proficiency '\(levelText)' must be a number in 0.0–1.0, like rust:0.9")
                }
                level = parsed
            } else {
                name = item
                level = 0.5
            }
            if let problem = IdentifierRules.skillNameProblem(name) {
                throw .invalid("--skills: '\(item)': \(problem)")
            }
            guard skills[name] == nil else { throw .invalid("--skills: '\(name)' is given twice") }
            skills[name] = level
        }
        return skills
    }
}
