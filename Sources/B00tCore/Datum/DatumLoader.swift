import Foundation

/// Loads every `<name>.<type>.toml` on a search path. One bad file never hides the others: each file's
/// problems become diagnostics and the rest still load. A datum found in two folders keeps the first and
/// reports the second as an error naming both files.
public struct DatumLoader: Sendable {
    public var searchPath: DatumSearchPath

    public init(searchPath: DatumSearchPath = .standard()) { self.searchPath = searchPath }

    public func load() -> DatumCatalog {
        var datums: [Datum] = []
        var diagnostics: [DatumDiagnostic] = []
        var firstSeen: [String: String] = [:]
        for folder in searchPath.folders {
            for file in Self.datumFiles(in: folder) {
                let (datum, found) = Self.loadFile(file)
                diagnostics += found
                guard let datum else { continue }
                if let earlier = firstSeen[datum.id] {
                    diagnostics.append(DatumDiagnostic(
                        severity: .error, file: file, line: 1, column: 1, key: "b00t.name",
                        message: "duplicate datum '\(datum.id)', already loaded from \(earlier)",
                        hint: "the first one on the search path is used; rename or remove one of them"))
                    continue
                }
                firstSeen[datum.id] = file
                datums.append(datum)
            }
        }
        return DatumCatalog(datums: datums, diagnostics: diagnostics)
    }

    /// `*.toml` files in `folder`, sorted for deterministic order (not recursive).
    static func datumFiles(in folder: String) -> [String] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        return entries.filter { $0.hasSuffix(".toml") }.sorted().map { (folder as NSString).appendingPathComponent($0) }
    }

    /// Splits `qdrant.docker.toml` into ("qdrant", "docker"); `b00t-bus.process.toml` into ("b00t-bus", "process").
    public static func nameAndType(ofFile path: String) -> (name: String, type: String?) {
        var base = (path as NSString).lastPathComponent
        if base.hasSuffix(".toml") { base.removeLast(5) }
        guard let dot = base.lastIndex(of: ".") else { return (base, nil) }
        return (String(base[..<dot]), String(base[base.index(after: dot)...]))
    }

    public static func loadFile(_ path: String) -> (Datum?, [DatumDiagnostic]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            return (nil, [DatumDiagnostic(severity: .error, file: path, line: 1, column: 1, key: nil,
                                          message: "cannot read file", hint: "check that it exists and is readable")])
        }
        guard let source = String(data: data, encoding: .utf8) else {
            return (nil, [DatumDiagnostic(severity: .error, file: path, line: 1, column: 1, key: nil,
                                          message: "not valid UTF-8", hint: "save the file as UTF-8")])
        }
        let (name, type) = nameAndType(ofFile: path)
        var diagnostics: [DatumDiagnostic] = []
        if type == nil {
            diagnostics.append(DatumDiagnostic(
                severity: .warning, file: path, line: 1, column: 1, key: nil,
                message: "file name has no type", hint: "name it <name>.<type>.toml, e.g. \(name).cli.toml"))
        }
        let (datum, found) = DatumDecoder.decode(source: source, file: path, fileName: name, fileType: type)
        return (datum, diagnostics + found)
    }
}
