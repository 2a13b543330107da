import B00tCore
import Foundation

extension Session {
    /// Private messages and the original tool's crew commands: `/msg`, `/crew join`, `/delegate`, `/negotiate`,
    /// `/status`.
    func runChatCommand(_ command: ReplCommand) async throws -> CommandOutcome {
        var out = CommandOutcome()
        func say(_ line: StyledText) { out.lines.append(line) }
        let me = agent
        switch command {
        case .msg(let other, let text):
            guard other != me else { throw ReplError.usage("that is you: /msg another agent (/agents lists them)") }
            try await bus.say(from: me, text, to: other)
            say(StyledText("\(me) → \(other): \(text)", role: "event.message"))
        case .crewJoin(let name):
            try await bus.joinCrew(name, agent: me)
            setCrew(name)
            let members = try await bus.currentState().crews[name]?.members ?? []
            say(.ok("joined crew \(name): \(members.joined(separator: ", "))"))
        case .delegate(let other, let budget):
            guard let crew else { throw ReplError.usage("join or form a crew first (/crew form, /crew join, /crew use): the crown is a crew's") }
            try await bus.delegate(crew: crew, from: me, to: other, budget: budget)
            say(.ok("handed the crown of \(crew) to \(other) 👑 with budget \(budget)"))
        case .negotiate(let resource, let amount, let reason):
            let id = try await bus.negotiate(resource, amount: amount, reason: reason, from: me, crew: crew)
            var captain: String? = nil
            if let crew { captain = try await bus.currentState().crews[crew]?.captainID }
            say(.ok("asked \(crew.map { "crew \($0)" } ?? "everyone") for \(amount) \(resource) (\(id))"
                    + (captain.map { $0 == me ? "" : "; \($0) captains it" } ?? "")))
        case .status(let note):
            try await bus.announceStatus(of: me, note: note)
            let state = try await bus.currentState()
            let mine = state.agents[me]
            say(.ok("announced: \(me) — \(mine?.role ?? "member"), \(Self.skillList(mine?.skills ?? [:]))"
                    + (note.isEmpty ? "" : " — \(note)")))
            for c in state.crews.values.filter({ $0.members.contains(me) }).sorted(by: { $0.name < $1.name }) {
                let crown = c.captainID == me ? " 👑 captain" + (c.budget.map { ", budget \($0)" } ?? "") : " (captain \(c.captainID))"
                say(StyledText("  crew \(c.name)\(crown)"))
            }
        default:
            throw ReplError.failed("internal: \(command) is not a crew command")
        }
        return out
    }
}
