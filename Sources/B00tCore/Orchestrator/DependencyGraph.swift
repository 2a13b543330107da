/// The services a request needs, in start order: `depends_on` edges plus stack `members`, resolved against
/// the catalog. A reference to nothing names who asked; a cycle prints its path.
public struct DependencyGraph: Sendable {
    public let catalog: DatumCatalog

    public init(catalog: DatumCatalog) { self.catalog = catalog }

    /// Datums this one needs directly, with the key that asked for each.
    public func edges(of datum: Datum) -> [(reference: String, key: String)] {
        datum.dependsOn.map { ($0, "depends_on") } + (datum.type == .stack ? datum.members.map { ($0, "members") } : [])
    }

    /// Topological order (dependencies first) of everything `roots` need, roots included. Stacks appear too;
    /// the orchestrator treats them as groups. Iterative (an explicit stack, not recursion), so a chain of
    /// ten thousand `depends_on` cannot overflow the call stack.
    public func order(_ roots: [String]) throws(OrchestratorError) -> [Datum] {
        var ordered: [Datum] = []
        var done = Set<String>()
        var onPath: [String: Int] = [:]
        // Each frame: a datum on the current path and the edges of it still to visit.
        var frames: [(datum: Datum, edges: [(reference: String, key: String)], next: Int)] = []
        for root in roots {
            let start = try resolve(root, neededBy: nil)
            guard !done.contains(start.id) else { continue }
            onPath[start.id] = 0
            frames.append((start, edges(of: start), 0))
            while let top = frames.last {
                if top.next == top.edges.count {
                    frames.removeLast()
                    onPath[top.datum.id] = nil
                    done.insert(top.datum.id)
                    ordered.append(top.datum)
                    continue
                }
                frames[frames.count - 1].next += 1
                let (reference, key) = top.edges[top.next]
                let dependency = try resolve(reference, neededBy: "\(top.datum.id) \(key)")
                if done.contains(dependency.id) { continue }
                if let position = onPath[dependency.id] {
                    throw .cycle(frames[position...].map(\.datum.id) + [dependency.id])
                }
                onPath[dependency.id] = frames.count
                frames.append((dependency, edges(of: dependency), 0))
            }
        }
        return ordered
    }

    public func resolve(_ reference: String, neededBy: String?) throws(OrchestratorError) -> Datum {
        do {
            return try catalog.lookup(reference)
        } catch {
            switch error {
            case .notFound(_, let suggestion): throw .missingDatum(reference, neededBy: neededBy, suggestion: suggestion)
            case .ambiguous(_, let candidates):
                throw .ambiguous(reference, candidates: candidates)
            }
        }
    }

    /// Datums in the catalog that need `id` directly (for stop refusals and `restart --with-dependents`).
    public func dependents(of id: String) -> [Datum] {
        catalog.all.filter { datum in
            edges(of: datum).contains { (try? catalog.lookup($0.reference).id) == id }
        }
    }
}
