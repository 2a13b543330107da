/// An agent's review of a mutation proposal (`mutations = "review"`): it applies the proposed diff to its own
/// copy of the datum and approves only when the result loads and every key it changes is one the datum's
/// `[b00t.self_mutate]` allows. Nothing the proposal says about itself is taken on trust.
public enum MutationReview {
    public struct Verdict: Sendable, Equatable {
        public var approve: Bool
        public var reason: String
    }

    public static func review(_ mutation: DatumMutation, catalog: DatumCatalog) -> Verdict {
        let datum: Datum
        do { datum = try catalog.lookup(mutation.datum) } catch {
            return Verdict(approve: false, reason: "\(mutation.datum) is not on this agent's datum search path, so it cannot be reviewed")
        }
        do {
            let path = try DatumFile.path(of: datum)
            let current = try DatumFile.read(path)
            let currentHash = DatumMutation.hash(current)
            guard currentHash == mutation.baseHash else {
                return Verdict(approve: false, reason: "\(mutation.datum) changed since the proposal was made (its hash differs)")
            }
            let new = try UnifiedDiff.apply(mutation.diff, to: current)
            guard DatumMutation.hash(new) == mutation.newHash else {
                return Verdict(approve: false, reason: "the diff does not produce the content the proposal names")
            }
            let checked = try MutationCheck.check(old: current, new: new, path: path, expectedID: datum.id)
            let flags = Set(checked.changed.compactMap { try? MutationScope.flag(for: $0).get().rawValue }).sorted()
            return Verdict(approve: true, reason: "changes only \(checked.changed.joined(separator: ", ")), allowed by \(flags.joined(separator: ", "))")
        } catch {
            return Verdict(approve: false, reason: error.message)
        }
    }
}
