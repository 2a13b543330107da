import Foundation

/// Every datum found on a search path, with every problem found on the way. Lookups accept `name.type` or a
/// bare `name` when it is unambiguous.
public struct DatumCatalog: Sendable {
    public private(set) var datums: [String: Datum]
    public private(set) var diagnostics: [DatumDiagnostic]

    public init(datums: [Datum] = [], diagnostics: [DatumDiagnostic] = []) {
        self.datums = Dictionary(datums.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.diagnostics = diagnostics
    }

    /// All datums, sorted by id, for stable listings.
    public var all: [Datum] { datums.values.sorted { $0.id < $1.id } }

    public var errors: [DatumDiagnostic] { diagnostics.filter(\.isError) }
    public var warnings: [DatumDiagnostic] { diagnostics.filter { !$0.isError } }

    public mutating func insert(_ datum: Datum) { datums[datum.id] = datum }

    /// Resolves `redis.process`, or `redis` when exactly one datum has that name.
    public func lookup(_ reference: String) throws(DatumLookupError) -> Datum {
        if let exact = datums[reference] { return exact }
        let byName = datums.values.filter { $0.name == reference }
        if byName.count == 1 { return byName[0] }
        if byName.count > 1 {
            throw .ambiguous(reference, candidates: byName.map(\.id).sorted())
        }
        let ids = datums.keys.sorted()
        let suggestion = closestMatch(to: reference, in: ids, maxDistance: 3)
            ?? closestMatch(to: reference, in: ids.map { String($0.split(separator: ".").dropLast().joined(separator: ".")) })
                .flatMap { name in ids.first { $0.hasPrefix(name + ".") } }
        throw .notFound(reference, suggestion: suggestion)
    }

    public func query(_ query: DatumQuery) -> [Datum] { all.filter(query.matches) }
}

/// A reference that names no datum, or more than one.
public enum DatumLookupError: Error, Equatable, Sendable, CustomStringConvertible {
    case notFound(String, suggestion: String?)
    case ambiguous(String, candidates: [String])

    public var description: String {
        switch self {
        case .notFound(let name, let suggestion):
            return "no datum named '\(name)'" + (suggestion.map { " (did you mean '\($0)'?)" } ?? "")
                + "; `b00t datum list` shows what is on the search path"
        case .ambiguous(let name, let candidates):
            return "'\(name)' is ambiguous: \(candidates.joined(separator: ", ")); give the full name.type"
        }
    }
}
