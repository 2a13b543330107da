import B00tCore
import Foundation
import MCP

/// An event addressed to one agent, as it is pushed to that agent's assistant: why it concerns the agent, how
/// urgent it is, one line saying what happened and what to do about it, and the event itself.
public struct AgentNotice: Sendable, Equatable {
    /// `award`, `rejected`, `handshake`, `handshake_reply`, `proposal`, `teach`, `message`…
    public var reason: String
    public var level: LogLevel
    public var text: String
    public var event: BusEvent

    /// The logging notification's `data`.
    public var data: Value {
        ["reason": .string(reason), "seq": .int(Int(clamping: event.seq)), "text": .string(text),
         "event": MCPCrewView.event(event)]
    }
}

/// Decides which events concern an agent. Pure: the event and the state folded up to and including it (what
/// `CrewBus.follow` delivers) are all it looks at, so the mapping is tested without a server.
public enum AgentInbox {
    public static func notice(for event: BusEvent, agent me: String, state: BusState) -> AgentNotice? {
        let from = event.from
        let line = TerminalText.line
        let summary = BusEventFormatter.summary(event)
        func notice(_ reason: String, _ level: LogLevel, _ hint: String = "") -> AgentNotice {
            AgentNotice(reason: reason, level: level, text: summary + (hint.isEmpty ? "" : " — \(hint)"), event: event)
        }
        func inCrew(_ crew: String?) -> Bool { crew.flatMap { state.crews[$0] }?.members.contains(me) ?? false }

        switch event.body {
        case .handshakeRequested(let id, let to, _, _) where to == me && from != me:
            return notice("handshake", .notice, "answer with handshake {id: \"\(line(id))\", accept: true|false}")
        case .handshakeReplied(let id, let accept, _) where from != me && state.handshakes[id]?.from == me:
            return notice("handshake_reply", .notice, accept ? "you can work together" : "")
        case .handshakeExpired(let id) where from != me && state.handshakes[id]?.to == me:
            return notice("handshake_expired", .info)
        case .crewFormed(_, let members, _) where from != me && members.contains(me):
            return notice("crew", .notice)
        case .crewLeft(let crew, let agent) where agent != me && inCrew(crew):
            return notice("crew", .info)
        case .proposalCreated(let id, _, _, let electorate, _, _) where from != me && electorate.contains(me):
            return notice("proposal", .notice, "vote with vote {id: \"\(line(id))\", choice: yes|no|abstain}")
        case .proposalClosed(let id, _) where from != me:
            guard let proposal = state.proposals[id], proposal.by == me || proposal.electorate.contains(me) else { return nil }
            return notice("proposal_closed", .info)
        case .ahoyPosted(let id, _, _, let skills, _, _) where from != me:
            let mine = state.agents[me]?.skills ?? [:]
            let matching = skills.filter { (mine[$0] ?? 0) > 0 }
            guard !matching.isEmpty else { return nil }
            return notice("ahoy", .info, "it needs your \(matching.map(line).joined(separator: ", ")); apply with ahoy_apply {id: \"\(line(id))\"}")
        case .ahoyApplied(let ahoy, _, _) where from != me && state.ahoys[ahoy]?.from == me:
            return notice("application", .info, "award it with ahoy_award {id: \"\(line(ahoy))\", winner}")
        case .ahoyAwarded(_, let winner, _) where winner == me:
            return notice("award", .notice, "you won it")
        case .applicationRejected(_, let agent) where agent == me:
            return notice("rejected", .notice)
        case .ahoyWithdrawn(let ahoy) where from != me && state.ahoys[ahoy]?.application(from: me) != nil:
            return notice("ahoy_withdrawn", .info)
        case .skillTaught(let to, _, _, _) where to == me && from != me:
            return notice("teach", .notice)
        case .learningRequested(let skill, let teacher) where teacher == me && from != me:
            return notice("learn_request", .notice, "teach with teach {to: \"\(line(from))\", skill: \"\(line(skill))\", method}")
        case .learningDeclined(let request, _) where from != me && state.learningRequests[request]?.learner == me:
            return notice("learn_declined", .info)
        case .knowledgeShared(let crew, _, _, _) where from != me && inCrew(crew):
            return notice("share", .info)
        case .captainDelegated(_, let to, _) where to == me && from != me:
            return notice("delegate", .notice, "you are the captain now")
        case .crewJoined(let crew, let agent) where agent != me && inCrew(crew):
            return notice("crew", .info)
        case .resourceNegotiated(_, let crew, _, _, _) where from != me && crew.map({ state.crews[$0]?.captainID == me }) ?? false:
            return notice("negotiate", .notice, "you captain that crew")
        case .message(let crew, let to, _) where from != me && (to == me || (to == nil && inCrew(crew))):
            return notice("message", to == me ? .notice : .info)
        default:
            return nil
        }
    }
}

/// The notices kept for the `b00t://events/AGENT` resource: the most recent ones, oldest first.
public struct NoticeRing: Sendable {
    public let capacity: Int
    public private(set) var notices: [AgentNotice] = []

    public init(capacity: Int = 200) { self.capacity = max(1, capacity) }

    public mutating func append(_ notice: AgentNotice) {
        notices.append(notice)
        if notices.count > capacity { notices.removeFirst(notices.count - capacity) }
    }

    /// The resource's JSON text.
    public func json(agent: String, lastSeq: UInt64) -> String {
        let document: Value = ["agent": .string(agent), "last_seq": .int(Int(clamping: lastSeq)),
                               "notices": .array(notices.map(\.data))]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(document), as: UTF8.self)) ?? "{}"
    }
}
