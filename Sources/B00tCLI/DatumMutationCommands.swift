import ArgumentParser
import B00tCore
import Foundation
import K0mmand3rKit

/// Who speaks and on which bus, for the datum commands that go through the crew.
struct CrewOptions: ParsableArguments {
    @Option(name: .customLong("as"), help: "Agent to speak as (default $B00T_AGENT, else your login name).") var agent: String?
    @Option(help: "The bus: socket (the daemon, default), sqlite[:PATH], memory or redis://host:port/db (also $B00T_BUS_URL).") var bus: String?

    var me: String { agent ?? Session.defaultAgent() }

    func connect() async throws -> any CrewBus {
        do { try BusState.checkName(me, what: "--as") } catch { throw ValidationError(error.description) }
        return try await connectBus(agent: me, url: bus)
    }
}

extension MutationError {
    var cli: CLIError { CLIError(message) }
}

/// Looks a datum up by name on the search path, as a clean CLI error when it is not there.
func lookupDatum(_ name: String, options: DatumOptions) throws -> Datum {
    do { return try options.loadCatalog().lookup(name) } catch { throw CLIError(error.description) }
}

/// The applier for this process: datums from the search path.
func mutationApplier(bus: any CrewBus, options: DatumOptions, lease: Duration = .seconds(30)) -> MutationApplier {
    let source = CatalogSource(searchPath: options.searchPath)
    return MutationApplier(bus: bus, catalog: { source.catalog() }, lease: lease)
}

/// Proposes `plan`, prints it, and — when it passed at once (approval "none") or `wait` is given and the vote
/// ends in time — applies it here.
func proposeAndReport(_ plan: MutationPlan, datum: Datum, datums: DatumOptions, crew: CrewOptions, crewName: String?,
                      wait: Int?) async throws {
    let bus = try await crew.connect()
    defer { if let remote = bus as? RemoteBus { Task { await remote.close() } } }
    let proposed: MutationProposer.Proposed
    do {
        proposed = try await MutationProposer.submit(plan, datum: datum, as: crew.me, crew: crewName, on: bus)
    } catch let error as MutationError {
        throw error.cli
    } catch let error as BusError {
        throw CLIError(error.description)
    }
    if proposed.passed {
        printLine("proposed \(proposed.proposal) (approval = \"none\": passed at once): \(plan.mutation.summary)")
    } else {
        let who = plan.mutation.approval.crew.map { "crew \($0)" } ?? "everyone"
        printLine("proposed \(proposed.proposal) to \(who) (\(proposed.electorate.count) voters): \(plan.mutation.summary)")
    }
    for line in plan.mutation.diff.split(separator: "\n", omittingEmptySubsequences: false).dropLast() { printLine(String(line)) }
    let applier = mutationApplier(bus: bus, options: datums)
    if proposed.passed {
        try report(await applier.apply(proposed.proposal, as: crew.me))
        return
    }
    guard let wait else {
        printLine("vote: /vote \(proposed.proposal) yes in k0mmand3r (or agents vote by policy); whoever sees it pass applies it")
        return
    }
    let deadline = ContinuousClock.now + .seconds(max(1, min(wait, 3600)))
    while ContinuousClock.now < deadline {
        let state = try await bus.currentState()
        switch state.proposals[proposed.proposal]?.status {
        case .passed?:
            let outcome = await applier.apply(proposed.proposal, as: crew.me)
            if case .skipped = outcome.kind, let record = try await bus.currentState().mutations[proposed.proposal],
               record.status == .claimed {
                try await Task.sleep(for: .milliseconds(100))  // another applier has it; wait for its outcome
                continue
            }
            if case .skipped = outcome.kind, let record = try await bus.currentState().mutations[proposed.proposal] {
                try reportRecord(record, state: try await bus.currentState())
                return
            }
            try report(outcome)
            return
        case .rejected?, .withdrawn?:
            throw CLIError("\(proposed.proposal) was \(state.proposals[proposed.proposal]?.status.rawValue ?? "closed"); the datum is unchanged")
        default:
            try await Task.sleep(for: .milliseconds(100))
        }
    }
    throw CLIError("\(proposed.proposal) is still open after \(wait) s; it is applied when it passes")
}

func report(_ outcome: MutationOutcome) throws {
    switch outcome.kind {
    case .applied: printLine(outcome.line)
    case .rejected, .skipped: throw CLIError(outcome.line)
    }
}

/// What another applier recorded, as this command's answer.
func reportRecord(_ record: MutationRecord, state: BusState) throws {
    switch record.status {
    case .applied:
        printLine("applied \(record.proposal) to \(record.mutation.datum): " + (record.commit.map { "commit \($0.prefix(12))" } ?? record.note ?? ""))
    case .rejected: throw CLIError("\(record.proposal) not applied to \(record.mutation.datum): \(record.note ?? "")")
    case .pending, .claimed: throw CLIError("\(record.proposal) is \(state.mutationStatus(record))")
    }
}

struct DatumMutate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mutate",
        abstract: "Propose a change to a datum; the crew votes, and the change is applied in place and committed once it passes.",
        discussion: """
            The datum's [b00t.self_mutate] says what may change (allow_install_updates, allow_learn_updates, \
            allow_usage_updates, allow_dependency_updates) and who approves (approval = "crew:NAME", "everyone" or "none").
            """)
    @OptionGroup var datums: DatumOptions
    @OptionGroup var crew: CrewOptions
    @Argument(help: "The datum: name.type, or a name that is unique.") var name: String
    @Option(name: .customLong("set"), help: ArgumentHelp("A key of the datum: desires (or version), install, docker_image/image, learn, env.NAME.", valueName: "KEY=VALUE")) var sets: [String] = []
    @Option(name: .customLong("add-usage"), help: ArgumentHelp("A usage example (a listed command gets the new description).", valueName: "command # description")) var usages: [String] = []
    @Option(help: ArgumentHelp("A file whose text becomes the learn text.", valueName: "file")) var learn: String?
    @Option(name: .customLong("append-learn"), help: ArgumentHelp("A file whose text is added to the learn text.", valueName: "file")) var appendLearn: String?
    @Option(name: .customLong("add-dep"), help: ArgumentHelp("A dependency to add to depends_on.", valueName: "name.type")) var addDeps: [String] = []
    @Option(name: .customLong("remove-dep"), help: ArgumentHelp("A dependency to remove from depends_on.", valueName: "name.type")) var removeDeps: [String] = []
    @Option(help: "Run this [b00t.scripts] entry on a copy of the datum's folder and propose what it changed.") var script: String?
    @Option(name: .customLong("crew"), help: "The crew that votes (must be the one the datum's approval names).") var crewName: String?
    @Option(help: "Wait up to this many seconds for the vote, then apply it here.") var wait: Int?

    func run() async throws {
        let datum = try lookupDatum(name, options: datums)
        let plan: MutationPlan
        do {
            if let script {
                guard sets.isEmpty, usages.isEmpty, learn == nil, appendLearn == nil, addDeps.isEmpty, removeDeps.isEmpty else {
                    throw ValidationError("--script proposes what the script changed; give no other change with it")
                }
                let run = try MutationScript.run(script, of: datum, catalog: datums.loadCatalog())
                if !run.output.isEmpty { printLine(run.output.trimmingCharacters(in: .newlines)) }
                plan = run.plan
            } else {
                var edits: [DatumEdit] = []
                for item in sets { edits.append(try DatumEdit.parseSet(item)) }
                for item in usages { edits.append(try DatumEdit.parseUsage(item)) }
                if let learn { edits.append(.setLearn(try Self.readText(learn))) }
                if let appendLearn { edits.append(.appendLearn(try Self.readText(appendLearn))) }
                edits += addDeps.map { .addDependency($0) } + removeDeps.map { .removeDependency($0) }
                plan = try MutationPlanner.plan(edits, for: datum, catalog: datums.loadCatalog())
            }
        } catch let error as MutationError {
            throw error.cli
        }
        try await proposeAndReport(plan, datum: datum, datums: datums, crew: crew, crewName: crewName, wait: wait)
    }

    /// A learn file: a regular file of UTF-8 text, at most the size a mutation carries.
    static func readText(_ path: String) throws -> String {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { throw CLIError("\(path): not a readable file") }
        guard info.st_size <= DatumEdit.maximumValueBytes else {
            throw CLIError("\(path) is \(info.st_size) bytes; learn text in a mutation is limited to \(DatumEdit.maximumValueBytes)")
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw CLIError("\(path): not UTF-8 text")
        }
        return text
    }
}

struct DatumScript: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "script",
        abstract: "Run a [b00t.scripts] entry on a copy of the datum's folder and propose what it changed in the datum.")
    @OptionGroup var datums: DatumOptions
    @OptionGroup var crew: CrewOptions
    @Argument(help: "The datum.") var name: String
    @Argument(help: "The script's name under [b00t.scripts].") var script: String
    @Option(help: "Stop the script after this many seconds (1–3600).") var timeout = 60
    @Option(name: .customLong("crew"), help: "The crew that votes (must be the one the datum's approval names).") var crewName: String?
    @Option(help: "Wait up to this many seconds for the vote, then apply it here.") var wait: Int?

    func run() async throws {
        guard (1...3600).contains(timeout) else { throw ValidationError("--timeout must be 1–3600 seconds") }
        let datum = try lookupDatum(name, options: datums)
        let run: MutationScript.Run
        do { run = try MutationScript.run(script, of: datum, timeout: .seconds(timeout), catalog: datums.loadCatalog()) } catch { throw error.cli }
        if !run.output.isEmpty { printLine(run.output.trimmingCharacters(in: .newlines)) }
        try await proposeAndReport(run.plan, datum: datum, datums: datums, crew: crew, crewName: crewName, wait: wait)
    }
}

struct DatumMutations: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mutations", abstract: "Mutations on the bus: voting, passed, applied, rejected — with their diffs.")
    @OptionGroup var crew: CrewOptions
    @Flag(help: "Print JSON.") var json = false

    struct Row: Encodable {
        var proposal: String
        var datum: String
        var status: String
        var by: String
        var summary: String
        var yes: Int
        var no: Int
        var voters: Int
        var commit: String?
        var note: String?
        var diff: String
    }

    func run() async throws {
        let bus = try await crew.connect()
        let state = try await bus.currentState()
        if let remote = bus as? RemoteBus { await remote.close() }
        let rows = state.mutationList.map { record -> Row in
            let proposal = state.proposals[record.proposal]
            return Row(proposal: record.proposal, datum: record.mutation.datum, status: state.mutationStatus(record), by: record.by,
                       summary: record.mutation.summary, yes: proposal?.yes ?? 0, no: proposal?.no ?? 0,
                       voters: proposal?.electorate.count ?? 0, commit: record.commit, note: record.note, diff: record.mutation.diff)
        }
        if json {
            print(try jsonText(rows))
            return
        }
        if rows.isEmpty { printLine("no mutations on \(bus.label)") }
        for row in rows {
            let result = row.commit.map { " — commit \($0.prefix(12))" } ?? (row.status == "rejected" ? " — \(row.note ?? "")" : "")
            printLine("\(row.proposal) \(row.datum) [\(row.status)] by \(row.by), yes \(row.yes) no \(row.no) of \(row.voters): \(row.summary)\(result)")
            for line in row.diff.split(separator: "\n").dropFirst(2) { printLine("    " + line) }
        }
    }
}

struct DatumHistory: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "The git log of one datum's file, with the proposal and voters behind each mutation.")
    @OptionGroup var datums: DatumOptions
    @Argument(help: "The datum.") var name: String
    @Option(help: "At most this many commits.") var limit = 50
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let datum = try lookupDatum(name, options: datums)
        let path: String
        do { path = try DatumFile.path(of: datum) } catch { throw error.cli }
        guard let repository = GitWorkTree.containing((path as NSString).deletingLastPathComponent) else {
            throw CLIError("\(path) is not inside a git work tree; there is no history to show")
        }
        let commits: [GitWorkTree.Commit]
        do { commits = try repository.history(of: path, limit: limit) } catch { throw error.cli }
        if json {
            print(try jsonText(commits))
            return
        }
        if commits.isEmpty { printLine("\(datum.id) has no commits yet") }
        for commit in commits {
            let date = String(commit.date.prefix(10))
            let by = commit.proposal.map { "  [\($0)" + (commit.voters.map { ": \($0)" } ?? "") + "]" } ?? ""
            printLine("\(commit.id.prefix(12)) \(date) \(commit.author): \(commit.subject)\(by)")
        }
    }
}

struct DatumApply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Apply mutations whose vote passed and that nobody has applied (one, or all); --watch keeps at it.")
    @OptionGroup var datums: DatumOptions
    @OptionGroup var crew: CrewOptions
    @Argument(help: "A proposal (prop-N); default: every passed mutation not yet applied.") var proposal: String?
    @Flag(help: "Keep following the bus and apply each mutation as its vote passes (until interrupted).") var watch = false
    @Option(help: "Seconds a claim holds before another applier may take over (1–900).") var lease = 30

    func run() async throws {
        guard (1...900).contains(lease) else { throw ValidationError("--lease must be 1–900 seconds") }
        let bus = try await crew.connect()
        let applier = mutationApplier(bus: bus, options: datums, lease: .seconds(lease))
        let me = crew.me
        if try await bus.currentState().agents[me] == nil {
            do { try await bus.submit(.register(agent: BusAgent(id: me, role: "human"))) } catch let error as BusError { throw CLIError(error.description) }
        }
        if let proposal {
            let outcome = await applier.apply(proposal, as: me)
            if case .skipped = outcome.kind, let record = try await bus.currentState().mutations[proposal],
               record.status == .applied || record.status == .rejected {
                printLine("\(proposal): \(try await bus.currentState().mutationStatus(record)) by another applier")
                return
            }
            try report(outcome)
        } else {
            let outcomes = await applier.settle(as: me)
            if outcomes.isEmpty && !watch { printLine("nothing to apply") }
            for outcome in outcomes { printLine(outcome.line) }
        }
        guard watch else {
            if let remote = bus as? RemoteBus { await remote.close() }
            return
        }
        let task = applier.watch(as: { me }, report: { printLine($0.line) })
        await SignalWaiter(signals: [SIGTERM, SIGINT]).wait()
        task.cancel()
        if let remote = bus as? RemoteBus { await remote.close() }
    }
}
