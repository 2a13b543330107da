import B00tCore
import Foundation
import MCP

/// The crew's state and events as tools show them: one escaped line of text per item for the reader, and the
/// same facts as structured content (snake_case keys, times in ms since 1970) for the program.
enum MCPCrewView {
    static let line = TerminalText.line

    static func agent(_ agent: BusAgent, online: Bool) -> Value {
        ["id": .string(agent.id), "role": .string(agent.role), "online": .bool(online),
         "skills": MCPValue.numbers(agent.skills), "personality": .string(agent.personality)]
    }

    static func agentLine(_ agent: BusAgent, online: Bool) -> String {
        let skills = agent.skills.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map { "\(line($0.key)) \(String(format: "%.2f", $0.value))" }
        return "\(line(agent.id)) [\(line(agent.role))] \(online ? "online" : "offline")"
            + (skills.isEmpty ? "" : " — \(skills.joined(separator: ", "))")
    }

    static func crew(_ crew: Crew) -> Value {
        ["name": .string(crew.name), "initiator": .string(crew.initiator), "members": MCPValue.strings(crew.members),
         "purpose": .string(crew.purpose)]
    }

    static func crewLine(_ crew: Crew) -> String {
        "\(line(crew.name)): \(crew.members.map(line).joined(separator: ", "))" + (crew.purpose.isEmpty ? "" : " — \(line(crew.purpose))")
    }

    static func ahoy(_ ahoy: Ahoy) -> Value {
        var object: [String: Value] = [
            "id": .string(ahoy.id), "from": .string(ahoy.from), "role": .string(ahoy.role),
            "description": .string(ahoy.description), "required_skills": MCPValue.strings(ahoy.requiredSkills),
            "budget": .int(ahoy.budget), "status": .string(ahoy.status.rawValue),
            "applications": .array(ahoy.applications.map { application in
                ["from": .string(application.from), "pitch": .string(application.pitch),
                 "relevant_skills": MCPValue.strings(application.relevantSkills),
                 "status": .string(application.status.rawValue)]
            }),
        ]
        if let winner = ahoy.awardedTo { object["awarded_to"] = .string(winner) }
        if let replyBy = ahoy.replyBy { object["reply_by"] = MCPValue.milliseconds(replyBy) }
        return .object(object)
    }

    static func ahoyLine(_ ahoy: Ahoy) -> String {
        let applicants = ahoy.applications.filter { $0.status == .pending }.map { line($0.from) }
        var text = "\(line(ahoy.id)) by \(line(ahoy.from)): \(line(ahoy.role))"
            + (ahoy.requiredSkills.isEmpty ? "" : " [\(ahoy.requiredSkills.map(line).joined(separator: ", "))]")
            + " budget \(ahoy.budget)"
        if !ahoy.description.isEmpty { text += " — \(line(ahoy.description))" }
        switch ahoy.status {
        case .open: text += applicants.isEmpty ? "; no applicants yet" : "; applicants: \(applicants.joined(separator: ", "))"
        case .awarded: text += "; awarded to \(line(ahoy.awardedTo ?? "?"))"
        case .withdrawn: text += "; withdrawn"
        }
        return text
    }

    static func proposal(_ proposal: Proposal, me: String) -> Value {
        var object: [String: Value] = [
            "id": .string(proposal.id), "text": .string(proposal.text), "by": .string(proposal.by),
            "electorate": MCPValue.strings(proposal.electorate), "threshold": .double(proposal.threshold),
            "quorum": .double(proposal.quorum), "yes": .int(proposal.yes), "no": .int(proposal.no),
            "abstain": .int(proposal.abstain), "status": .string(proposal.status.rawValue),
            "can_vote": .bool(proposal.status == .open && proposal.electorate.contains(me) && proposal.votes[me] == nil),
        ]
        if let crew = proposal.crew { object["crew"] = .string(crew) }
        if let mine = proposal.votes[me] { object["my_vote"] = .string(mine.rawValue) }
        return .object(object)
    }

    static func proposalLine(_ proposal: Proposal, me: String) -> String {
        var text = "\(line(proposal.id)) by \(line(proposal.by))" + (proposal.crew.map { " in \(line($0))" } ?? "")
            + ": “\(line(proposal.text))” — yes \(proposal.yes), no \(proposal.no), abstain \(proposal.abstain) of \(proposal.electorate.count)"
        if proposal.status != .open { text += " (\(proposal.status.rawValue))" }
        if let mine = proposal.votes[me] { text += "; you voted \(mine.rawValue)" }
        return text
    }

    static func handshake(_ handshake: Handshake) -> Value {
        var object: [String: Value] = ["id": .string(handshake.id), "from": .string(handshake.from), "to": .string(handshake.to),
                                       "proposal": .string(handshake.proposal)]
        if let accepted = handshake.accepted { object["accepted"] = .bool(accepted) }
        if let expiresAt = handshake.expiresAt { object["expires_at"] = MCPValue.milliseconds(expiresAt) }
        return .object(object)
    }

    /// An event with its one-line summary; `body` keeps every field the reducer folds.
    static func event(_ event: BusEvent) -> Value {
        var object: [String: Value] = [
            "seq": .int(Int(clamping: event.seq)), "ts": MCPValue.milliseconds(event.timestamp),
            "from": .string(event.from), "kind": .string(event.body.kind), "conversation_id": .string(event.conversationID),
            "summary": .string(BusEventFormatter.summary(event)), "body": MCPValue.from(event.body),
        ]
        if let replyTo = event.replyTo { object["reply_to"] = .int(Int(clamping: replyTo)) }
        return .object(object)
    }
}
