import B00tCore
import FuzzSupport

/// The datum query parser (`b00t datum query`, `/query`, replay files): never traps, and what it accepts
/// prints as canonical text that parses back to the same query.
let catalog = DatumCatalog(datums: [
    Datum(name: "alpha", type: .agent, category: "crew", agent: AgentSpec(skills: ["rust": 0.9, "go": 0.4])),
    Datum(name: "redis", type: .process, category: "database"),
])

runFuzzer { bytes in
    let text = String(decoding: bytes, as: UTF8.self)
    guard let query = try? DatumQueryParser.parse(text) else { return }
    _ = catalog.query(query)
    let canonical = query.description
    guard let again = try? DatumQueryParser.parse(canonical) else {
        fatalError("canonical text does not parse: \(canonical.debugDescription) from \(text.debugDescription)")
    }
    guard again == query else {
        fatalError("round trip changed the query: \(canonical.debugDescription) from \(text.debugDescription)")
    }
}
