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
    /// the orchestrator treats them as groups.
    public func order(_ roots: [String]) throws(OrchestratorError) -> [Datum] {
        var ordered: [Datum] = []
        var done = Set<String>()
        var path: [String] = []
        func visit(_ datum: Datum) throws(OrchestratorError) {
            if done.contains(datum.id) { return }
            if let start = path.firstIndex(of: datum.id) {
                throw .cycle(Array(path[start...]) + [datum.id])
            }
            path.append(datum.id)
            for (reference, key) in edges(of: datum) {
                let dependency = try resolve(reference, neededBy: "\(datum.id) \(key)")
                try visit(dependency)
            }
            path.removeLast()
            done.insert(datum.id)
            ordered.append(datum)
        }
        for root in roots { try visit(try resolve(root, neededBy: nil)) }
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
