import Foundation

/// A datum mutation put to the crew: the proposal it rides on (`prop-N`, voted like any other), the change it
/// carries, and what became of it once the vote passed. Applying is decided by the log: the first valid
/// `claimMutation` after the pass wins, and only its claimant may record the outcome — so however many
/// k0mmand3r sessions, agents and CLIs race to apply it, it is applied once.
public struct MutationRecord: Codable, Sendable, Hashable {
    public enum Status: String, Codable, Sendable {
        /// Not claimed yet (the vote may still be open: see the proposal).
        case pending
        /// Someone is applying it (until `leaseUntil`; after that another may take over).
        case claimed
        case applied
        case rejected
    }

    public var proposal: String
    public var by: String
    public var mutation: DatumMutation
    public var status: Status
    public var claimedBy: String?
    public var leaseUntil: Date?
    /// The git commit that carries the change (nil when it was applied without git).
    public var commit: String?
    /// What the applier said: "committed", "not committed: …", or why it was rejected.
    public var note: String?
    public var seq: UInt64
}

extension BusState {
    /// A claim lasts at most this long; an applier that dies mid-way is replaced after its lease.
    public static let maximumMutationLease: TimeInterval = 15 * 60

    /// Validation of the mutation commands (`validate` hands them here).
    func validateMutation(_ command: BusCommand, now: Date) throws(BusError) -> [EventDraft] {
        let next = lastSeq + 1
        switch command {
        case .proposeMutation(let from, let crew, let mutation):
            try requireAgent(from)
            if let problem = mutation.problem() { throw .invalid("mutation: \(problem)") }
            guard crew == mutation.approval.crew else {
                switch mutation.approval {
                case .crew(let name): throw .invalid("\(mutation.datum) is approved by crew \(name); propose it to that crew")
                case .everyone, .none: throw .invalid("\(mutation.datum) is approved by \(mutation.approval), not by a crew; propose it without one")
                }
            }
            let electorate: [String]
            if let crew {
                let c = try requireCrew(crew)
                guard c.members.contains(from) else { throw .notAllowed("\(from) is not in crew \(crew), which approves \(mutation.datum)") }
                electorate = c.members
            } else if mutation.approval == .none {
                electorate = [from]
            } else {
                electorate = agents.keys.sorted()
            }
            // The mutation comes first, so whoever reacts to the proposal already sees what it changes.
            let id = "prop-\(next)"
            var drafts = [
                EventDraft(from: from, body: .mutationProposed(proposal: id, mutation: mutation), conversationID: id),
                EventDraft(from: from, body: .proposalCreated(id: id, text: mutation.proposalText, crew: crew, electorate: electorate,
                                                              threshold: 0.5, quorum: 0), conversationID: id, replyTo: next),
            ]
            if mutation.approval == .none {
                // Solo use: the proposer's word is the vote, on the record like any other.
                drafts.append(EventDraft(from: from, body: .voteCast(proposal: id, choice: .yes), conversationID: id, replyTo: next + 1))
                drafts.append(EventDraft(from: "b00t", body: .proposalClosed(id: id, outcome: .passed), conversationID: id, replyTo: next + 1))
            }
            return drafts

        case .claimMutation(let from, let id, let leaseUntil):
            try requireAgent(from)
            let record = try requireMutation(id)
            switch proposals[id]?.status {
            case .passed?: break
            case .open?:
                let p = proposals[id]
                throw .invalid("\(id) has not passed yet (yes \(p?.yes ?? 0) of \(p?.electorate.count ?? 0)); it is applied once the vote passes")
            case let status?: throw .closed("\(id) was \(status.rawValue); there is nothing to apply")
            case nil: throw .notFound("proposal", id)
            }
            // A change that needed nobody's vote is applied by the one who made it, not by whoever else is watching.
            if record.mutation.approval == .none, record.by != from {
                throw .notAllowed("\(id) needed no vote (approval \"none\"), so only \(record.by), who proposed it, applies it")
            }
            guard leaseUntil > now, leaseUntil.timeIntervalSince(now) <= Self.maximumMutationLease else {
                throw .invalid("a claim's lease must end within \(Int(Self.maximumMutationLease / 60)) minutes from now")
            }
            switch record.status {
            case .pending: break
            case .claimed:
                if let holder = record.claimedBy, holder != from, let until = record.leaseUntil, until >= now {
                    throw .closed("\(id) is being applied by \(holder) until \(BusEventFormatter.clock(until))")
                }
            case .applied: throw .closed("\(id) was already applied" + (record.commit.map { " (commit \($0.prefix(12)))" } ?? ""))
            case .rejected: throw .closed("\(id) was already rejected: \(record.note ?? "")")
            }
            return [EventDraft(from: from, body: .mutationClaimed(proposal: id, leaseUntil: BusTime.quantize(leaseUntil)),
                               conversationID: id, replyTo: record.seq)]

        case .completeMutation(let from, let id, let commit, let note):
            let record = try requireClaim(id, by: from)
            if let commit {
                guard (7...64).contains(commit.utf8.count), commit.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
                    throw .invalid("commit must be a git object id (7–64 lower-case hex digits)")
                }
            }
            guard note.utf8.count <= 500 else { throw .invalid("the note is limited to 500 bytes") }
            return [EventDraft(from: from, body: .datumMutated(proposal: id, datum: record.mutation.datum, commit: commit, note: note),
                               conversationID: id, replyTo: record.seq)]

        case .rejectMutation(let from, let id, let reason):
            let record = try requireClaim(id, by: from)
            guard !reason.isEmpty, reason.utf8.count <= 1000 else { throw .invalid("a rejection needs a reason of 1–1000 bytes") }
            return [EventDraft(from: from, body: .mutationRejected(proposal: id, datum: record.mutation.datum, reason: reason),
                               conversationID: id, replyTo: record.seq)]

        default:
            throw .invalid("internal: \(command.actor)'s command is not a mutation command")
        }
    }

    func requireMutation(_ id: String) throws(BusError) -> MutationRecord {
        guard let record = mutations[id] else { throw .notFound("mutation", id) }
        return record
    }

    /// The mutation, claimed by `agent` and not finished.
    private func requireClaim(_ id: String, by agent: String) throws(BusError) -> MutationRecord {
        let record = try requireMutation(id)
        switch record.status {
        case .claimed where record.claimedBy == agent: return record
        case .claimed: throw .notAllowed("\(id) is being applied by \(record.claimedBy ?? "someone else"), not \(agent)")
        case .pending: throw .invalid("\(id) is not claimed; claim it before recording its outcome")
        case .applied, .rejected: throw .closed("\(id) was already \(record.status.rawValue)")
        }
    }

    /// Folding of the mutation events (`apply` hands them here).
    mutating func applyMutation(_ event: BusEvent) {
        switch event.body {
        case .mutationProposed(let id, let mutation):
            mutations[id] = MutationRecord(proposal: id, by: event.from, mutation: mutation, status: .pending, claimedBy: nil,
                                           leaseUntil: nil, commit: nil, note: nil, seq: event.seq)
        case .mutationClaimed(let id, let leaseUntil):
            mutations[id]?.status = .claimed
            mutations[id]?.claimedBy = event.from
            mutations[id]?.leaseUntil = leaseUntil
        case .datumMutated(let id, _, let commit, let note):
            mutations[id]?.status = .applied
            mutations[id]?.commit = commit
            mutations[id]?.note = note
        case .mutationRejected(let id, _, let reason):
            mutations[id]?.status = .rejected
            mutations[id]?.note = reason
        default:
            break
        }
    }

    /// Mutations in the order they were proposed.
    public var mutationList: [MutationRecord] { mutations.values.sorted { $0.seq < $1.seq } }
}

extension BusState {
    /// Where a mutation stands, in one word a person reads: `voting`, `passed` (waiting for an applier),
    /// `applying`, `applied`, `rejected` (by the applier), `voted-down`, `withdrawn`.
    public func mutationStatus(_ record: MutationRecord) -> String {
        switch record.status {
        case .applied: return "applied"
        case .rejected: return "rejected"
        case .claimed: return "applying"
        case .pending:
            switch proposals[record.proposal]?.status {
            case .open?, nil: return "voting"
            case .passed?: return "passed"
            case .rejected?: return "voted-down"
            case .withdrawn?: return "withdrawn"
            }
        }
    }
}
