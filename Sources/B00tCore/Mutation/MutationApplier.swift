import Foundation

/// What became of one attempt to apply a passed mutation.
public struct MutationOutcome: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case applied(commit: String?, note: String)
        case rejected(String)
        /// Not ours to apply: someone else claimed it, the vote is not over, or the datum is not on this machine.
        case skipped(String)
    }

    public var proposal: String
    public var datum: String
    public var kind: Kind

    /// One line for a reply: `applied prop-5 to redis.process: commit 1a2b3c4d5e6f`.
    public var line: String {
        switch kind {
        case .applied(let commit, let note):
            return "applied \(proposal) to \(datum): " + (commit.map { "commit \($0.prefix(12))" + (note == "committed" ? "" : " (\(note))") } ?? note)
        case .rejected(let reason): return "\(proposal) not applied to \(datum): \(reason)"
        case .skipped(let reason): return "\(proposal): \(reason)"
        }
    }
}

/// Applies passed mutations for whichever process sees the pass — a k0mmand3r session, an agent, a CLI. It
/// claims the mutation on the bus first (the log decides who applies: one claimant, one write, one commit), does
/// the file and git work off the async threads, and records the outcome (`datumMutated` or `mutationRejected`).
/// A datum this machine does not have is left alone, unclaimed, for a machine that has it.
public actor MutationApplier {
    let bus: any CrewBus
    let catalog: @Sendable () -> DatumCatalog
    let lease: Duration
    /// Applies under way in this process: a second call for the same proposal (the watcher and a command at
    /// once) waits for the first and gets its outcome, instead of claiming again as the same agent.
    private var inFlight: [String: Task<MutationOutcome, Never>] = [:]

    public init(bus: any CrewBus, catalog: @escaping @Sendable () -> DatumCatalog, lease: Duration = .seconds(30)) {
        self.bus = bus
        self.catalog = catalog
        self.lease = lease
    }

    /// Applies `proposal` as `agent` if it passed and nobody else is applying it.
    public func apply(_ proposal: String, as agent: String) async -> MutationOutcome {
        if let running = inFlight[proposal] { return await running.value }
        let task = Task { await applyOnce(proposal, as: agent) }
        inFlight[proposal] = task
        let outcome = await task.value
        inFlight[proposal] = nil
        return outcome
    }

    private func applyOnce(_ proposal: String, as agent: String) async -> MutationOutcome {
        let state: BusState
        do { state = try await bus.currentState() } catch {
            return MutationOutcome(proposal: proposal, datum: "?", kind: .skipped("cannot read the bus: \(error)"))
        }
        guard let record = state.mutations[proposal] else {
            return MutationOutcome(proposal: proposal, datum: "?", kind: .skipped("no mutation \(proposal) on this bus"))
        }
        let datumID = record.mutation.datum
        func outcome(_ kind: MutationOutcome.Kind) -> MutationOutcome { MutationOutcome(proposal: proposal, datum: datumID, kind: kind) }
        if let why = Self.notApplicable(record, state: state, agent: agent, now: Date()) { return outcome(.skipped(why)) }
        // Found by name on this machine, never through anything the proposal says about paths.
        let datum: Datum
        let catalog = self.catalog()
        do { datum = try catalog.lookup(datumID) } catch {
            return outcome(.skipped("\(datumID) is not on this machine's datum search path; a crew member who has it will apply it"))
        }
        do {
            let until = Date().addingTimeInterval(lease.seconds)
            try await bus.submit(.claimMutation(from: agent, proposal: proposal, leaseUntil: until))
        } catch {
            return outcome(.skipped("not applied by \(agent): \(error)"))
        }
        let voters = state.proposals[proposal]?.votes ?? [:]
        let result = await Self.offThread { MutationWriter.apply(record, datum: datum, voters: voters, appliedBy: agent, catalog: catalog) }
        do {
            switch result {
            case .applied(let commit, let note):
                try await bus.submit(.completeMutation(from: agent, proposal: proposal, commit: commit, note: note))
                return outcome(.applied(commit: commit, note: note))
            case .rejected(let reason):
                let bounded = reason.utf8.count > 1000 ? String(reason.prefix(900)) + "…" : reason
                try await bus.submit(.rejectMutation(from: agent, proposal: proposal, reason: bounded))
                return outcome(.rejected(bounded))
            }
        } catch {
            // The file work is done; the next applier (this one again, or another after the lease) finds the file
            // already holding the proposed content and records it.
            return outcome(.skipped("done on disk but not recorded on the bus (\(error)); `b00t datum apply \(proposal)` records it"))
        }
    }

    /// Every passed mutation not yet applied that this process could apply, in proposal order.
    public func settle(as agent: String) async -> [MutationOutcome] {
        guard let state = try? await bus.currentState() else { return [] }
        var outcomes: [MutationOutcome] = []
        for record in state.mutationList where Self.notApplicable(record, state: state, agent: agent, now: Date()) == nil {
            outcomes.append(await apply(record.proposal, as: agent))
        }
        return outcomes
    }

    /// Why `agent` should not try to apply `record` now, or nil.
    static func notApplicable(_ record: MutationRecord, state: BusState, agent: String, now: Date) -> String? {
        switch state.proposals[record.proposal]?.status {
        case .passed?: break
        case .open?: return "the vote on \(record.proposal) is still open"
        case let status?: return "\(record.proposal) was \(status.rawValue)"
        case nil: return "no proposal \(record.proposal)"
        }
        if record.mutation.approval == .none, record.by != agent {
            return "\(record.proposal) needed no vote; \(record.by), who proposed it, applies it"
        }
        switch record.status {
        case .pending: return nil
        case .claimed:
            if record.claimedBy == agent { return nil }
            if let until = record.leaseUntil, until >= now { return "\(record.claimedBy ?? "someone") is applying it" }
            return nil
        case .applied: return "already applied" + (record.commit.map { " (commit \($0.prefix(12)))" } ?? "")
        case .rejected: return "already rejected: \(record.note ?? "")"
        }
    }

    /// Follows the bus and applies each mutation whose vote passes, as whoever `agent()` says is speaking at
    /// that moment; `report` hears every outcome that is not a skip. Cancel the task to stop.
    public nonisolated func watch(as agent: @escaping @Sendable () async -> String,
                                  report: @escaping @Sendable (MutationOutcome) async -> Void = { _ in }) -> Task<Void, Never> {
        Task {
            let after: UInt64
            do { after = try await bus.currentState().lastSeq } catch { return }
            for outcome in await settle(as: await agent()) where !outcome.isSkip { await report(outcome) }
            do {
                for try await event in bus.follow(after: after) {
                    if Task.isCancelled { return }
                    guard case .proposalClosed(let id, .passed) = event.body else { continue }
                    let known = await bus.state.mutations[id] != nil
                    if !known, (try? await bus.currentState())?.mutations[id] == nil { continue }
                    let outcome = await apply(id, as: await agent())
                    if !outcome.isSkip { await report(outcome) }
                }
            } catch {}
        }
    }

    /// Blocking work (a file lock, the file, git) on a thread of its own.
    static func offThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: work()) }
        }
    }
}

extension MutationOutcome {
    public var isSkip: Bool {
        if case .skipped = kind { return true }
        return false
    }
}
