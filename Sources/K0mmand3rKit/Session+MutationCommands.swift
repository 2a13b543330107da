import B00tCore
import Foundation

extension ReplCommand {
    /// `/mutate NAME KEY=VALUE… | --add-usage "cmd # desc" | --add-dep X | --remove-dep X | --script S`
    static func parseMutate(_ args: [String]) throws(ReplError) -> ReplCommand {
        let usageText = "usage: " + usage(of: "/mutate")
        guard let name = args.first else { throw .usage(usageText) }
        var edits: [DatumEdit] = []
        var script: String? = nil
        var rest = Array(args.dropFirst())
        do {
            while !rest.isEmpty {
                let word = rest.removeFirst()
                switch word {
                case "--add-usage", "--add-dep", "--remove-dep", "--script":
                    guard !rest.isEmpty else { throw ReplError.usage("\(word) needs a value") }
                    let value = rest.removeFirst()
                    switch word {
                    case "--add-usage": edits.append(try DatumEdit.parseUsage(value))
                    case "--add-dep": edits.append(.addDependency(value))
                    case "--remove-dep": edits.append(.removeDependency(value))
                    default: script = value
                    }
                default:
                    guard word.contains("=") else {
                        throw ReplError.usage("'\(TerminalText.line(word))' is not KEY=VALUE or a --flag; \(usageText)")
                    }
                    edits.append(try DatumEdit.parseSet(word))
                }
            }
            for edit in edits { try edit.check() }
        } catch let error as ReplError {
            throw error
        } catch {
            throw .usage("\(error)")
        }
        guard !edits.isEmpty || script != nil else { throw .usage(usageText) }
        guard edits.isEmpty || script == nil else { throw .usage("--script proposes what the script changed; give no other change with it") }
        return .mutate(datum: name, edits: edits, script: script)
    }
}

/// The datums a session reads, switchable while it runs (a replay's `@datum-sandbox` points it at a scratch copy).
public final class SwitchableCatalog: @unchecked Sendable {
    private let lock = NSLock()
    private var source: @Sendable () -> DatumCatalog

    public init(_ source: @escaping @Sendable () -> DatumCatalog) { self.source = source }

    public func current() -> DatumCatalog { lock.withLock { source }() }

    public func use(_ source: @escaping @Sendable () -> DatumCatalog) { lock.withLock { self.source = source } }
}

/// A unified diff as screen lines: additions and removals in their own roles, hunk headers dim, the file header
/// left out. Every line is escaped: the diff came from the bus.
public enum DiffLines {
    public static func styled(_ diff: String, indent: Int = 2) -> [StyledText] {
        diff.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(2).compactMap { raw in
            let line = TerminalText.line(String(raw))
            guard let first = raw.unicodeScalars.first else { return nil }
            switch first {
            case "+": return StyledText(line, role: "diff.add", indent: indent)
            case "-": return StyledText(line, role: "diff.remove", indent: indent)
            case "@": return StyledText(line, role: "dim", indent: indent)
            default: return StyledText(line, role: "text", indent: indent)
            }
        }
    }
}

extension Session {
    /// `/mutate` and `/mutations`.
    func runMutationCommand(_ command: ReplCommand) async throws -> CommandOutcome {
        var out = CommandOutcome()
        switch command {
        case .mutate(let name, let edits, let script):
            let datums = catalog()
            let datum = try datums.lookup(name)
            let plan: MutationPlan
            do {
                if let script {
                    let run = try await Self.offThread { try MutationScript.run(script, of: datum, catalog: datums) }
                    out.lines += run.output.split(separator: "\n").map { StyledText(TerminalText.line(String($0)), role: "dim") }
                    plan = run.plan
                } else {
                    plan = try MutationPlanner.plan(edits, for: datum, catalog: datums)
                }
            } catch let error as MutationError {
                throw ReplError.failed(error.message)
            }
            let proposed: MutationProposer.Proposed
            do {
                proposed = try await MutationProposer.submit(plan, datum: datum, as: agent, crew: nil, on: bus)
            } catch let error as MutationError {
                throw ReplError.failed(error.message)
            }
            let to = plan.mutation.approval.crew.map { "crew \($0)" } ?? "everyone"
            out.lines.append(.ok(TerminalText.line(proposed.passed
                ? "proposed \(proposed.proposal) (approval \"none\": passed at once): \(plan.mutation.summary)"
                : "proposed \(proposed.proposal) to \(to) (\(proposed.electorate.count) voters): \(plan.mutation.summary)")))
            out.lines += DiffLines.styled(plan.mutation.diff)
            if proposed.passed {
                let outcome = await mutationApplier.apply(proposed.proposal, as: agent)
                switch outcome.kind {
                case .applied: out.lines.append(.ok(TerminalText.line(outcome.line)))
                case .rejected: out.lines.append(.warn(TerminalText.line(outcome.line)))
                case .skipped: out.lines.append(.dim(TerminalText.line(outcome.line)))
                }
            }
        case .mutations:
            let state = try await bus.currentState()
            let list = state.mutationList
            if list.isEmpty { out.lines.append(.dim("no mutations")) }
            for record in list {
                let status = state.mutationStatus(record)
                let proposal = state.proposals[record.proposal]
                let tally = proposal.map { "yes \($0.yes), no \($0.no) of \($0.electorate.count)" } ?? ""
                let result = record.commit.map { " — commit \($0.prefix(12))" } ?? (status == "rejected" ? " — \(record.note ?? "")" : "")
                out.lines.append(StyledText(TerminalText.line("\(record.proposal) \(record.mutation.datum) [\(status)] \(tally): \(record.mutation.summary)\(result)"),
                                            role: status == "rejected" || status == "voted-down" ? "warn" : status == "applied" ? "ok" : "text"))
                if status == "voting" || status == "passed" { out.lines += DiffLines.styled(record.mutation.diff, indent: 4) }
            }
        default:
            throw ReplError.failed("internal: \(command) is not a mutation command")
        }
        return out
    }

    /// Follows the bus and applies each datum mutation whose vote passes, as whoever this session speaks as;
    /// the crew stream shows the outcome (`datum_mutated` with the commit, or `mutation_rejected` with why).
    func startMutationWatcher() {
        guard mutationWatcher == nil else { return }
        mutationWatcher = mutationApplier.watch(as: { [weak self] in await self?.agent ?? "" })
    }

    /// Reads datums from `folder` only from now on (a replay's `@datum-sandbox`).
    public func useDatumFolder(_ folder: String) {
        let source = CatalogSource(searchPath: DatumSearchPath(folders: [folder]))
        datumSource.use { source.catalog() }
    }

    static func offThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
        }
    }
}
