import Foundation

/// Puts a planned mutation to the vote its datum asks for: the crew named by `approval = "crew:NAME"`, every
/// registered agent, or — for `approval = "none"` — nobody (it passes at once, on the record). Used by the CLI,
/// k0mmand3r and the MCP tool alike.
public enum MutationProposer {
    public struct Proposed: Sendable {
        public var proposal: String
        public var electorate: [String]
        public var passed: Bool
    }

    /// The crew that votes: the one the datum names; `requested` (`--crew`) must agree with it.
    public static func crew(for approval: MutationApproval, requested: String?, datum: String) throws(MutationError) -> String? {
        switch approval {
        case .crew(let name):
            if let requested, requested != name {
                throw MutationError(.invalid, "\(datum) is approved by crew \(name) (approval = \"crew:\(name)\"), not by crew \(requested)")
            }
            return name
        case .everyone, .none:
            if let requested {
                throw MutationError(.invalid, "\(datum) is approved by \(approval), not by a crew; leave out --crew \(requested)")
            }
            return nil
        }
    }

    /// Refuses early what the applier would refuse later: a datum file with uncommitted edits under
    /// `version_control`.
    public static func checkWorkTree(_ plan: MutationPlan, datum: Datum) throws(MutationError) {
        guard datum.selfMutate?.versionControl == true,
              let repository = GitWorkTree.containing((plan.path as NSString).deletingLastPathComponent)
        else { return }
        switch try repository.state(of: plan.path) {
        case .clean: return
        case .modified:
            throw MutationError(.dirty, "\(datum.id) has uncommitted changes in \(plan.path); commit or discard them before proposing a mutation")
        case .untracked:
            throw MutationError(.dirty, "\(plan.path) is not tracked by git; commit it first (or set version_control = false)")
        }
    }

    /// Submits the proposal as `agent` (registering it as a human crew member if the bus does not know it).
    public static func submit(_ plan: MutationPlan, datum: Datum, as agent: String, crew requested: String?,
                              on bus: any CrewBus) async throws -> Proposed {
        try checkWorkTree(plan, datum: datum)
        let crew = try crew(for: plan.mutation.approval, requested: requested, datum: datum.id)
        if try await bus.currentState().agents[agent] == nil {
            try await bus.submit(.register(agent: BusAgent(id: agent, role: "human")))
        }
        let events = try await bus.submit(.proposeMutation(from: agent, crew: crew, mutation: plan.mutation))
        guard let first = events.first else { throw BusError.storage("the proposal produced no event") }
        let id = first.conversationID
        var electorate: [String] = []
        var passed = false
        for event in events {
            if case .proposalCreated(_, _, _, let voters, _, _) = event.body { electorate = voters }
            if case .proposalClosed(_, .passed) = event.body { passed = true }
        }
        return Proposed(proposal: id, electorate: electorate, passed: passed)
    }
}
