import B00tCore
import FuzzSupport

/// TOML text → datum, the way the loader reads a file: UTF-8 check, the TOML parser, the decoder, then
/// everything the orchestrator and `datum show` do with a loaded datum (expansion, display, dependency check).
runFuzzer { bytes in
    guard let text = String(validating: bytes, as: UTF8.self) else { return }
    let (datum, diagnostics) = DatumDecoder.decode(source: text, file: "fuzz.process.toml", fileName: "fuzz", fileType: "process")
    for diagnostic in diagnostics { _ = TerminalText.line(diagnostic.description) }
    guard let datum else { return }
    _ = datum.description
    let service = ResolvedService(datum, environment: ["HOME": "/home/fuzz", "PORT": "6379"])
    _ = service.portText
    let graph = DependencyGraph(catalog: DatumCatalog(datums: [datum]))
    _ = try? graph.order([datum.id])
    _ = graph.problems()
}
