/// A table while a document is being parsed. TOML's redefinition rules depend on how a table came to be,
/// so each one remembers its origin until the document is done and it becomes a plain `DatumValue`.
final class TOMLTableNode {
    enum Origin {
        /// Created as the parent of a `[a.b]` header; may still be defined once by its own header.
        case implicit
        /// Defined by its own `[header]` (or as an element of `[[array]]`).
        case header
        /// Created by a dotted key (`a.b = 1`); only more dotted keys of the same table may add to it.
        case dotted
    }

    enum Entry {
        case value(DatumValue)
        case table(TOMLTableNode)
        case tables([TOMLTableNode])
    }

    var origin: Origin
    let depth: Int
    var entries: [String: Entry] = [:]

    init(origin: Origin, depth: Int) {
        self.origin = origin
        self.depth = depth
    }

    /// Plain values. Recursion is bounded: no node is deeper than `TOMLLimits.maximumDepth`.
    func value() -> [String: DatumValue] {
        var result: [String: DatumValue] = [:]
        result.reserveCapacity(entries.count)
        for (key, entry) in entries {
            switch entry {
            case .value(let value): result[key] = value
            case .table(let node): result[key] = .table(node.value())
            case .tables(let nodes): result[key] = .array(nodes.map { .table($0.value()) })
            }
        }
        return result
    }
}
