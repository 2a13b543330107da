import Foundation

/// One-line human text for events: `bus tail`, k0mmand3r's crew stream and agents' logs say the same thing.
public enum BusEventFormatter {
    /// Escaped for the terminal (`TerminalText.line`): ids, roles and chat text come from other agents, and
    /// an escape sequence or newline in them must not rewrite the reader's screen or forge an event line.
    public static func summary(_ event: BusEvent) -> String { TerminalText.line(unescapedSummary(event)) }

    static func unescapedSummary(_ event: BusEvent) -> String {
        let from = event.from
        switch event.body {
        case .agentRegistered(let a):
            let skills = a.skills.sorted { $0.value > $1.value }.prefix(4).map { "\($0.key) \(String(format: "%.2f", $0.value))" }
            return "\(a.id) registered as \(a.role)" + (skills.isEmpty ? "" : " (\(skills.joined(separator: ", ")))")
        case .agentDeregistered(let id): return "\(id) deregistered"
        case .handshakeRequested(let id, let to, let proposal, _):
            return "\(from) → \(to): handshake \(id)" + (proposal.isEmpty ? "" : " “\(proposal)”")
        case .handshakeExpired(let id): return "\(id) expired: \(from) stopped waiting"
        case .handshakeReplied(let id, let accept, let reason):
            return "\(from) \(accept ? "accepted" : "declined") \(id)" + (reason.map { " (\($0))" } ?? "")
        case .crewFormed(let name, let members, let purpose):
            return "\(from) formed crew \(name): \(members.joined(separator: ", "))" + (purpose.isEmpty ? "" : " — \(purpose)")
        case .crewLeft(let crew, let agent): return "\(agent) left crew \(crew)"
        case .crewDisbanded(let crew): return "\(from) disbanded crew \(crew)"
        case .proposalCreated(let id, let text, let crew, let electorate, _, _):
            return "\(from) proposes \(id)" + (crew.map { " to \($0)" } ?? "") + ": “\(text)” (\(electorate.count) voters)"
        case .voteCast(let proposal, let choice): return "\(from) votes \(choice.rawValue) on \(proposal)"
        case .proposalClosed(let id, let outcome): return "\(id) \(outcome.rawValue)"
        case .ahoyPosted(let id, let role, let description, let skills, let budget, _):
            return "\(from) ahoy \(id): \(role)" + (skills.isEmpty ? "" : " [\(skills.joined(separator: ", "))]")
                + " budget \(budget)" + (description.isEmpty ? "" : " — \(description)")
        case .ahoyApplied(let ahoy, let pitch, _): return "\(from) applies to \(ahoy)" + (pitch.isEmpty ? "" : ": “\(pitch)”")
        case .ahoyAwarded(let ahoy, let winner, let budget): return "\(from) awards \(ahoy) to \(winner) (budget \(budget))"
        case .applicationRejected(let ahoy, let agent): return "\(agent)'s application to \(ahoy) was not chosen"
        case .ahoyWithdrawn(let ahoy): return "\(from) withdrew \(ahoy)"
        case .applicationWithdrawn(let ahoy): return "\(from) withdrew from \(ahoy)"
        case .skillTaught(let to, let skill, let method, _): return "\(from) teaches \(to) \(skill) (\(method.rawValue))"
        case .skillLearned(let agent, let skill, let before, let after, _):
            return String(format: "%@ learned %@: %.2f → %.2f", agent, skill, before, after)
        case .learningRequested(let skill, let teacher): return "\(from) asks \(teacher) to teach \(skill) (\(event.conversationID))"
        case .learningDeclined(let request, let reason): return "\(from) declined \(request): \(reason)"
        case .agentJoined(let agent): return "\(agent) is online"
        case .agentLeft(let agent, let reason): return "\(agent) left (\(reason))"
        case .knowledgeShared(let crew, let topic, let content, let impact):
            let gains = impact.sorted { $0.key < $1.key }.map { "\($0.key) +\(String(format: "%.2f", $0.value))" }
            return "\(from) shares “\(topic)” with \(crew)" + (gains.isEmpty ? "" : " (\(gains.joined(separator: ", ")))")
                + (content.isEmpty ? "" : ": \(content)")
        case .crewJoined(let crew, let agent): return "\(agent) joined crew \(crew)"
        case .captainDelegated(let crew, let to, let budget):
            return "\(from) hands the crown of \(crew) to \(to) 👑 (budget \(budget))"
        case .resourceNegotiated(let id, let crew, let resource, let amount, let reason):
            return "\(from) asks\(crew.map { " \($0)" } ?? "") for \(amount) \(resource) (\(id)): \(reason)"
        case .statusAnnounced(let role, let skills, let note):
            let top = skills.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(4)
                .map { "\($0.key) \(String(format: "%.2f", $0.value))" }
            return "\(from) status: \(role)" + (top.isEmpty ? "" : " (\(top.joined(separator: ", ")))") + (note.isEmpty ? "" : " — \(note)")
        case .mutationProposed(let proposal, let m):
            return "\(from) proposes to change \(m.datum) (\(proposal), approval \(m.approval)): \(m.summary)"
        case .mutationClaimed(let proposal, let until): return "\(from) is applying \(proposal) (until \(clock(until)))"
        case .datumMutated(let proposal, let datum, let commit, let note):
            return "\(from) applied \(proposal) to \(datum): " + (commit.map { "commit \($0.prefix(12))" } ?? note)
        case .mutationRejected(let proposal, let datum, let reason): return "\(proposal) not applied to \(datum): \(reason)"
        case .message(let crew, let to, let text):
            let target = to.map { " → \($0)" } ?? crew.map { " @\($0)" } ?? ""
            return "\(from)\(target): \(text)"
        }
    }

    /// `#12 14:03:07.123 ahoy  alpha ahoy ahoy-12: …`
    public static func line(_ event: BusEvent) -> String {
        "#\(event.seq) \(clock(event.timestamp)) \(event.body.kind.padding(toLength: 16, withPad: " ", startingAt: 0)) \(summary(event))"
    }

    public static func clock(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970)
        var parts = tm()
        localtime_r(&t, &parts)
        let ms = Int((date.timeIntervalSince1970 * 1000).truncatingRemainder(dividingBy: 1000))
        return String(format: "%02d:%02d:%02d.%03d", parts.tm_hour, parts.tm_min, parts.tm_sec, ms)
    }
}
