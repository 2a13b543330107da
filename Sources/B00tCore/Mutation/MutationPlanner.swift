import Foundation

/// A mutation ready to propose: the datum's file, its text now and after, and what goes on the bus.
public struct MutationPlan: Sendable {
    public var mutation: DatumMutation
    public var path: String
    public var old: [UInt8]
    public var new: [UInt8]
    /// What the change touches (`b00t.desires`), for messages.
    public var changedKeys: [String]
}

/// Builds mutation proposals: edits the datum's text in memory, checks the result against the strict loader and
/// the datum's `[b00t.self_mutate]` flags, and makes the diff. The same check runs again when a passed
/// proposal is applied (`MutationCheck`), against the file as it is then.
public enum MutationPlanner {
    /// `catalog`: the datums beside it, so a dependency that names nothing (or closes a cycle) is refused as
    /// `b00t datum check` would.
    public static func plan(_ edits: [DatumEdit], for datum: Datum, catalog: DatumCatalog? = nil) throws(MutationError) -> MutationPlan {
        guard !edits.isEmpty else { throw MutationError(.invalid, "nothing to change: give --set, --add-usage, --learn, --add-dep or --remove-dep") }
        let path = try DatumFile.path(of: datum)
        let old = try DatumFile.read(path)
        let new = try DatumEditor.apply(edits, to: old)
        return try plan(old: old, new: new, path: path, datum: datum, summary: edits.map(\.summary).joined(separator: "; "), catalog: catalog)
    }

    /// A plan for a new text made some other way (a datum script's output).
    public static func plan(old: [UInt8], new: [UInt8], path: String, datum: Datum, summary: String,
                            catalog: DatumCatalog? = nil) throws(MutationError) -> MutationPlan {
        let checked = try MutationCheck.check(old: old, new: new, path: path, expectedID: datum.id, catalog: catalog)
        let diff = UnifiedDiff.make(old: old, new: new, name: (path as NSString).lastPathComponent)
        guard diff.utf8.count <= UnifiedDiff.maximumBytes else {
            throw MutationError(.tooLarge, "the change is a \(diff.utf8.count)-byte diff; a mutation carries at most \(UnifiedDiff.maximumBytes) bytes")
        }
        // One line, control characters shown escaped: a value holding ESC (set from the command line) made the
        // summary fail the bus's check, and the refusal blamed a summary the person never wrote.
        var line = TerminalText.line(summary.replacingOccurrences(of: "\n", with: " "))
        if line.count > DatumMutation.maximumSummaryLength { line = String(line.prefix(DatumMutation.maximumSummaryLength - 1)) + "…" }
        let mutation = DatumMutation(datum: datum.id, baseHash: DatumMutation.hash(old), newHash: DatumMutation.hash(new),
                                     diff: diff, summary: line, approval: checked.spec.approval)
        return MutationPlan(mutation: mutation, path: path, old: old, new: new, changedKeys: checked.changed)
    }
}

/// The rules a new text must meet to replace a datum's file: the strict loader accepts it, it is still the same
/// datum, and the datum's flags (as the current file says them) allow every key that changes.
public enum MutationCheck {
    public struct Checked: Sendable {
        public var spec: SelfMutateSpec
        public var changed: [String]
    }

    public static func check(old: [UInt8], new: [UInt8], path: String, expectedID: String,
                             catalog: DatumCatalog? = nil) throws(MutationError) -> Checked {
        let (name, type) = DatumLoader.nameAndType(ofFile: path)
        let (before, oldDiagnostics) = DatumDecoder.decode(source: String(decoding: old, as: UTF8.self), file: path, fileName: name, fileType: type)
        guard let before else {
            let first = oldDiagnostics.first { $0.isError }.map(\.description) ?? "it does not load"
            throw MutationError(.invalid, "\(expectedID) does not load now (\(first)); fix it by hand first")
        }
        let (after, diagnostics) = DatumDecoder.decode(source: String(decoding: new, as: UTF8.self), file: path, fileName: name, fileType: type)
        let errors = diagnostics.filter(\.isError)
        guard let after, errors.isEmpty else {
            let shown = errors.prefix(3).map { "line \($0.line): \($0.key.map { "\($0): " } ?? "")\($0.message)" }.joined(separator: "; ")
            throw MutationError(.invalidResult, "the changed \(expectedID) would not pass `b00t datum check`: \(shown)")
        }
        guard before.id == expectedID, after.id == expectedID else {
            throw MutationError(.invalid, "the file holds \(before.id), not \(expectedID)")
        }
        if let catalog {
            // The dependency graph, as `b00t datum check` and `up` see it: only problems the change brings count.
            func graphProblems(_ datum: Datum) -> Set<String> {
                var all = BuiltinDatums.adding(to: catalog)
                all.insert(datum)
                return Set(DependencyGraph(catalog: all).problems().filter { $0.isError && $0.file == path }.map(\.message))
            }
            if let problem = graphProblems(after).subtracting(graphProblems(before)).sorted().first {
                throw MutationError(.invalidResult, "the changed \(expectedID) would not pass `b00t datum check`: \(problem)")
            }
        }
        let changed: [String]
        do {
            changed = MutationScope.changedKeys(from: try TOMLDocument.parse(String(decoding: old, as: UTF8.self)),
                                                to: try TOMLDocument.parse(String(decoding: new, as: UTF8.self)))
        } catch {
            throw MutationError(.invalidResult, "line \(error.line): \(error.message)")
        }
        guard !changed.isEmpty else { throw MutationError(.invalid, "nothing changes in \(expectedID)") }
        if let refusal = MutationScope.refusal(changed: changed, datum: expectedID, spec: before.selfMutate) { throw refusal }
        guard let spec = before.selfMutate else { throw MutationError(.notAllowed, "\(expectedID) takes no mutations") }
        return Checked(spec: spec, changed: changed)
    }
}
