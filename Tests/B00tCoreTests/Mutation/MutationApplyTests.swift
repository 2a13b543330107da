import B00tTestSupport
import Foundation
import Testing
@testable import B00tCore

/// Self-mutating datums end to end inside one process: a real git repository, real files, a real bus, real
/// agents voting by policy. (Separate processes — a kill -9 mid-way, racing CLIs — are in IntegrationTests.)
@Suite(.serialized) struct MutationApplyTests {
    /// A bus with the crew `keepers` (alpha, beta, gamma) and delta outside it.
    func crewBus() async throws -> MessageBus {
        let bus = try await MessageBus(backend: MemoryBusBackend())
        for id in ["alpha", "beta", "gamma", "delta"] { try await bus.register(BusAgent(id: id)) }
        try await bus.formCrew(initiator: "alpha", members: ["beta", "gamma"], purpose: "keep datums", name: "keepers")
        return bus
    }

    func propose(_ edits: [DatumEdit], repo: GitDatumRepo, bus: MessageBus, as agent: String = "alpha") async throws -> String {
        let datum = try repo.datum()
        let plan = try MutationPlanner.plan(edits, for: datum)
        return try await MutationProposer.submit(plan, datum: datum, as: agent, crew: nil, on: bus).proposal
    }

    /// Waits (bounded) until the mutation is applied or rejected.
    func settled(_ bus: MessageBus, _ id: String) async throws -> MutationRecord {
        for _ in 0..<200 {
            if let record = await bus.state.mutations[id], record.status == .applied || record.status == .rejected { return record }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw MutationError(.invalid, "\(id) was not settled in 5 s: \(String(describing: await bus.state.mutations[id]))")
    }

    /// Walk-through: `--set 'desires=esc\e[31m'` was refused as "summary must be one line of 1–200 characters",
    /// though the person gave no summary (it is made from the edits). The made summary shows the escape.
    @Test func aSummaryMadeFromAnEditWithControlCharactersIsValid() throws {
        let repo = try GitDatumRepo()
        let plan = try MutationPlanner.plan([.set(key: "desires", value: "esc\u{1B}[31m")], for: try repo.datum())
        #expect(plan.mutation.problem() == nil, "\(plan.mutation.problem() ?? "")")
        #expect(plan.mutation.summary.contains("\\e[31m"), "\(plan.mutation.summary)")
    }

    @Test func proposeTwoAgentsVoteAppliedCommentsKeptOneCommitWithTrailers() async throws {
        let repo = try GitDatumRepo()
        let bus = try await crewBus()
        var policy = AgentPolicy()
        policy.mutations = .review
        let applier = MutationApplier(bus: bus, catalog: repo.catalog)
        var agents: [Task<Void, Error>] = []
        for id in ["beta", "gamma"] {
            let runner = AgentRunner(bus: bus, profile: BusAgent(id: id), policy: policy, mutationApplier: applier, log: { _ in })
            agents.append(Task { try await runner.run() })
        }
        defer { agents.forEach { $0.cancel() } }
        try await Task.sleep(for: .milliseconds(100))
        let before = repo.text
        let id = try await propose([.set(key: "desires", value: "1.2")], repo: repo, bus: bus)
        let record = try await settled(bus, id)
        #expect(record.status == .applied, "\(record)")
        let expected = before.replacingOccurrences(of: "desires = \"1.0\"   # the version we run", with: "desires = \"1.2\"   # the version we run")
        #expect(repo.text == expected)  // byte for byte: every comment, blank line and quote where it was
        #expect(repo.commits.count == 2)
        let message = try repo.run("log", "-1", "--format=%B")
        #expect(message.hasPrefix("chore(demo): set desires = \"1.2\"\n"))
        #expect(message.contains("B00t-Proposal: \(id)"))
        #expect(message.contains("B00t-Voters: beta (yes), gamma (yes)"))
        #expect(record.commit == repo.commits.first)
        #expect(try repo.run("show", "--name-only", "--format=", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines) == "_b00t_/demo.cli.toml")
        // The file's mode is kept.
        var info = stat()
        stat(repo.file, &info)
        #expect(info.st_mode & 0o777 == 0o640)
        #expect(try GitWorkTree(folder: repo.folder).state(of: repo.file) == .clean)
        let history = try GitWorkTree(folder: repo.folder).history(of: repo.file)
        #expect(history.first?.proposal == id)
        #expect(history.first?.voters == "beta (yes), gamma (yes)")
    }

    @Test func aFlagTheDatumDoesNotSetIsRefusedNamingIt() async throws {
        let repo = try GitDatumRepo()
        do {
            _ = try MutationPlanner.plan([.setLearn("notes")], for: try repo.datum())
            Issue.record("learn is not allowed")
        } catch let error as MutationError {
            #expect(error.code == .notAllowed)
            #expect(error.message.contains("set allow_learn_updates = true"), "\(error)")
        }
        // A key no flag covers, and the flags themselves, are out of reach for any mutation (a script's output too).
        let old = Array(repo.text.utf8)
        for (from, to) in [("hint = \"A demo tool\"", "hint = \"changed\""), ("allow_learn_updates = false", "allow_learn_updates = true")] {
            let new = Array(repo.text.replacingOccurrences(of: from, with: to).utf8)
            #expect(throws: MutationError.self) { try MutationPlanner.plan(old: old, new: new, path: repo.file, datum: try repo.datum(), summary: "x") }
        }
        // A dependency that names no datum (or closes a cycle) fails `datum check`, so it is never proposed.
        do {
            _ = try MutationPlanner.plan([.addDependency("nope.cli")], for: try repo.datum(), catalog: repo.catalog())
            Issue.record("a missing dependency must be refused")
        } catch let error as MutationError {
            #expect(error.code == .invalidResult && error.message.contains("nope.cli"), "\(error)")
        }
        #expect(try MutationPlanner.plan([.removeDependency("git.cli"), .addDependency("b00t-bus.process")],
                                         for: try repo.datum(), catalog: repo.catalog()).changedKeys == ["b00t.depends_on"])
        // A datum without [b00t.self_mutate] takes none at all.
        let plain = try GitDatumRepo(datum: "[b00t]\nname = \"demo\"\ntype = \"cli\"\ndesires = \"1\"\n")
        #expect(throws: MutationError.self) { try MutationPlanner.plan([.set(key: "desires", value: "2")], for: try plain.datum()) }
        // A result the strict loader refuses is never proposed.
        let bad = Array(repo.text.replacingOccurrences(of: "desires = \"1.0\"", with: "desires = 1.0").utf8)
        do {
            _ = try MutationPlanner.plan(old: old, new: bad, path: repo.file, datum: try repo.datum(), summary: "x")
            Issue.record("a wrong type must be refused")
        } catch let error as MutationError {
            #expect(error.code == .invalidResult, "\(error)")
        }
    }

    @Test func aFailedVoteLeavesTheFileUntouched() async throws {
        let repo = try GitDatumRepo()
        let bus = try await crewBus()
        let before = repo.text
        let id = try await propose([.set(key: "desires", value: "9")], repo: repo, bus: bus)
        try await bus.vote(id, voter: "beta", choice: .no)
        try await bus.vote(id, voter: "gamma", choice: .no)
        let outcome = await MutationApplier(bus: bus, catalog: repo.catalog).apply(id, as: "alpha")
        #expect(outcome.isSkip)
        #expect(outcome.line.contains("rejected"))
        #expect(repo.text == before)
        #expect(repo.commits.count == 1)
    }

    @Test func aStaleHashIsRejectedAndTheSecondOfTwoMutationsNeverMergesBlindly() async throws {
        let repo = try GitDatumRepo()
        let bus = try await crewBus()
        let first = try await propose([.set(key: "desires", value: "1.1")], repo: repo, bus: bus)
        let second = try await propose([.addUsage(UsageExample(description: "Version", command: "demo --version"))], repo: repo, bus: bus)
        for id in [first, second] {
            try await bus.vote(id, voter: "beta", choice: .yes)
            try await bus.vote(id, voter: "gamma", choice: .yes)
        }
        let applier = MutationApplier(bus: bus, catalog: repo.catalog)
        #expect(await applier.apply(first, as: "alpha").kind == .applied(commit: repo.commits.first, note: "committed"))
        let outcome = await applier.apply(second, as: "alpha")
        guard case .rejected(let reason) = outcome.kind else { Issue.record("\(outcome)"); return }
        #expect(reason.contains("changed since \(second) was proposed"), "\(reason)")
        #expect(await bus.state.mutations[second]?.status == .rejected)
        #expect(!repo.text.contains("demo --version"))
        #expect(repo.commits.count == 2)
    }

    @Test func aDirtyFileIsNeverOverwritten() async throws {
        let repo = try GitDatumRepo()
        let bus = try await crewBus()
        let id = try await propose([.set(key: "desires", value: "2.0")], repo: repo, bus: bus)
        // A person edits the file and does not commit.
        let edited = repo.text.replacingOccurrences(of: "A demo tool", with: "A demo tool (being edited)")
        try edited.write(toFile: repo.file, atomically: false, encoding: .utf8)
        // Proposing on top of uncommitted edits is refused at once.
        await #expect(throws: MutationError.self) { _ = try await propose([.set(key: "install", value: "x")], repo: repo, bus: bus) }
        try await bus.vote(id, voter: "beta", choice: .yes)
        try await bus.vote(id, voter: "gamma", choice: .yes)
        let outcome = await MutationApplier(bus: bus, catalog: repo.catalog).apply(id, as: "alpha")
        guard case .rejected(let reason) = outcome.kind else { Issue.record("\(outcome)"); return }
        #expect(reason.contains("uncommitted changes"), "\(reason)")
        #expect(repo.text == edited)
        #expect(repo.commits.count == 1)
    }

    @Test func aScriptRunsOnACopyAndItsChangeBecomesAProposal() async throws {
        let repo = try GitDatumRepo()
        let bus = try await crewBus()
        let before = repo.text
        let run = try MutationScript.run("bump", of: try repo.datum())
        #expect(run.output.contains("bumped"))
        #expect(repo.text == before)  // the script never touched the real file
        #expect(run.plan.changedKeys == ["b00t.desires"])
        #expect(run.plan.mutation.summary == "script bump")
        let proposed = try await MutationProposer.submit(run.plan, datum: try repo.datum(), as: "alpha", crew: "keepers", on: bus)
        try await bus.vote(proposed.proposal, voter: "beta", choice: .yes)
        try await bus.vote(proposed.proposal, voter: "gamma", choice: .yes)
        let outcome = await MutationApplier(bus: bus, catalog: repo.catalog).apply(proposed.proposal, as: "gamma")
        #expect(!outcome.isSkip, "\(outcome)")
        #expect(repo.text == before.replacingOccurrences(of: "desires = \"1.0\"   #", with: "desires = \"1.1\"   #"))
        // A failing or slow script proposes nothing.
        let failing = try GitDatumRepo(datum: GitDatumRepo.datum.replacingOccurrences(of: "echo bumped", with: "echo oops >&2; exit 3"))
        do {
            _ = try MutationScript.run("bump", of: try failing.datum())
            Issue.record("a failing script must not propose")
        } catch let error as MutationError {
            #expect(error.code == .script && error.message.contains("exit 3") && error.message.contains("oops"), "\(error)")
        }
        let slow = try GitDatumRepo(datum: GitDatumRepo.datum.replacingOccurrences(of: "echo bumped", with: "sleep 30"))
        let started = ContinuousClock.now
        #expect(throws: MutationError.self) { try MutationScript.run("bump", of: try slow.datum(), timeout: .milliseconds(500)) }
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(throws: MutationError.self) { try MutationScript.run("bumpp", of: try repo.datum()) }
    }

    @Test func afterACrashBetweenWriteAndCommitTheNextApplierCommitsOnce() async throws {
        let repo = try GitDatumRepo()
        let bus = try await crewBus()
        let id = try await propose([.set(key: "desires", value: "3.0")], repo: repo, bus: bus)
        try await bus.vote(id, voter: "beta", choice: .yes)
        try await bus.vote(id, voter: "gamma", choice: .yes)
        // The first applier claimed it with a short lease, wrote the file, and died before committing.
        try await bus.submit(.claimMutation(from: "beta", proposal: id, leaseUntil: Date().addingTimeInterval(1.5)))
        let record = try #require(await bus.state.mutations[id])
        try DatumFile.replace(repo.file, with: try UnifiedDiff.apply(record.mutation.diff, to: Array(repo.text.utf8)))
        let applier = MutationApplier(bus: bus, catalog: repo.catalog)
        #expect(await applier.apply(id, as: "gamma").isSkip)  // beta's lease still holds
        try await Task.sleep(for: .milliseconds(1_600))
        let outcome = await applier.apply(id, as: "gamma")
        guard case .applied(let commit?, let note) = outcome.kind else { Issue.record("\(outcome)"); return }
        #expect(note.contains("already held the proposed content"))
        #expect(repo.commits == [commit] + repo.commits.dropFirst())
        #expect(repo.commits.count == 2)
        // A commit made but not recorded (a crash after the commit) is found again, not made twice.
        var state = await bus.state
        state.mutations[id]?.status = .claimed
        let again = MutationWriter.apply(try #require(state.mutations[id]), datum: try repo.datum(), voters: [:], appliedBy: "gamma")
        #expect(again == .applied(commit: commit, note: "already committed"))
        #expect(repo.commits.count == 2)
    }

    @Test func threeAppliersRacingMakeOneCommit() async throws {
        let repo = try GitDatumRepo()
        let bus = try await crewBus()
        let id = try await propose([.addDependency("b00t-bus.process")], repo: repo, bus: bus)
        try await bus.vote(id, voter: "beta", choice: .yes)
        try await bus.vote(id, voter: "gamma", choice: .yes)
        let outcomes = await withTaskGroup(of: MutationOutcome.self) { group in
            for agent in ["alpha", "beta", "gamma"] {
                group.addTask { await MutationApplier(bus: bus, catalog: repo.catalog).apply(id, as: agent) }
            }
            var all: [MutationOutcome] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        #expect(outcomes.filter { !$0.isSkip }.count == 1, "\(outcomes)")
        #expect(repo.commits.count == 2)
        #expect(try await bus.events().filter { $0.body.kind == "datum_mutated" }.count == 1)
    }

    @Test func withoutGitTheChangeIsAppliedAndTheReplySaysNotCommitted() async throws {
        let repo = try GitDatumRepo(datum: GitDatumRepo.datum.replacingOccurrences(of: "approval = \"crew:keepers\"", with: "approval = \"none\""), git: false)
        let bus = try await crewBus()
        let datum = try repo.datum()
        let plan = try MutationPlanner.plan([.set(key: "env.DEMO_MODE", value: "fast")], for: datum)
        let proposed = try await MutationProposer.submit(plan, datum: datum, as: "delta", crew: nil, on: bus)
        #expect(proposed.passed && proposed.electorate == ["delta"])
        let outcome = await MutationApplier(bus: bus, catalog: repo.catalog).apply(proposed.proposal, as: "delta")
        #expect(outcome.kind == .applied(commit: nil, note: "applied, not committed: the datum is not inside a git work tree (or git is not installed)"))
        #expect(repo.text.hasSuffix("\n[b00t.env]\nDEMO_MODE = \"fast\"\n"))
        #expect(try repo.datum().env == ["DEMO_MODE": "fast"])
    }

    @Test func anApprovalChangedSinceTheProposalIsRejected() async throws {
        let repo = try GitDatumRepo()
        let bus = try await crewBus()
        let id = try await propose([.set(key: "desires", value: "5")], repo: repo, bus: bus)
        try await bus.vote(id, voter: "beta", choice: .yes)
        try await bus.vote(id, voter: "gamma", choice: .yes)
        // Someone commits a new approval rule (and the mutation's base still matches nothing else)…
        let changed = repo.text.replacingOccurrences(of: "approval = \"crew:keepers\"", with: "approval = \"everyone\"")
        try changed.write(toFile: repo.file, atomically: false, encoding: .utf8)
        try repo.run("commit", "-q", "-am", "everyone votes now")
        let outcome = await MutationApplier(bus: bus, catalog: repo.catalog).apply(id, as: "alpha")
        guard case .rejected = outcome.kind else { Issue.record("\(outcome)"); return }
        #expect(repo.text == changed)
    }

    @Test func aReviewingAgentVotesNoOnAChangeItsDatumDoesNotAllow() async throws {
        let repo = try GitDatumRepo()
        // A hand-made proposal that changes `hint` (no flag covers it) with a valid diff and hashes.
        let old = Array(repo.text.utf8)
        let new = Array(repo.text.replacingOccurrences(of: "A demo tool", with: "Evil").utf8)
        let mutation = DatumMutation(datum: "demo.cli", baseHash: DatumMutation.hash(old), newHash: DatumMutation.hash(new),
                                     diff: UnifiedDiff.make(old: old, new: new, name: "demo.cli.toml"), summary: "set desires = \"2\"",
                                     approval: .crew("keepers"))
        let verdict = MutationReview.review(mutation, catalog: repo.catalog())
        #expect(!verdict.approve)
        #expect(verdict.reason.contains("b00t.hint"), "\(verdict.reason)")
        let good = try MutationPlanner.plan([.set(key: "desires", value: "2")], for: try repo.datum()).mutation
        #expect(MutationReview.review(good, catalog: repo.catalog()) == .init(approve: true, reason: "changes only b00t.desires, allowed by allow_install_updates"))
        // And the bus carries the agent's no: the vote fails, the file stays.
        let bus = try await crewBus()
        var policy = AgentPolicy()
        policy.mutations = .review
        let lines = LogLines()
        let runner = AgentRunner(bus: bus, profile: BusAgent(id: "beta"), policy: policy,
                                 mutationApplier: MutationApplier(bus: bus, catalog: repo.catalog), log: { lines.add($0) })
        let task = Task { try await runner.run() }
        defer { task.cancel() }
        try await Task.sleep(for: .milliseconds(100))
        let id = try await bus.submit(.proposeMutation(from: "alpha", crew: "keepers", mutation: mutation))[0].conversationID
        for _ in 0..<100 where await bus.state.proposals[id]?.votes["beta"] == nil { try await Task.sleep(for: .milliseconds(20)) }
        #expect(await bus.state.proposals[id]?.votes["beta"] == .no)
        #expect(lines.all.contains { $0.contains("voted no on \(id) (review:") && $0.contains("b00t.hint") }, "\(lines.all)")
    }
}

final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func add(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}
