#if canImport(Glibc)
import Glibc
#endif
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
            let (files, problem) = Self.datumFiles(in: folder)
            if let problem { diagnostics.append(problem) }
            for file in files {
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

    /// `*.toml` files in `folder`, sorted for deterministic order (not recursive). A folder that does not
    /// exist is skipped silently (the standard search path names folders most people never create); one that
    /// exists but cannot be read is a warning, so its datums do not vanish without a word.
    static func datumFiles(in folder: String) -> (files: [String], problem: DatumDiagnostic?) {
        guard let directory = opendir(folder) else {
            let code = errno
            if code == ENOENT { return ([], nil) }
            let reason = code == ENOTDIR ? "it is not a folder" : String(cString: strerror(code))
            return ([], DatumDiagnostic(
                severity: .warning, file: folder, line: 1, column: 1, key: nil,
                message: "cannot read this datum folder: \(reason); its datums are skipped",
                hint: "fix its permissions, or take it off the search path (B00T_PATH, --path)"))
        }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasSuffix(".toml") { names.append(name) }
        }
        return (names.sorted().map { (folder as NSString).appendingPathComponent($0) }, nil)
    }

    /// Splits `qdrant.docker.toml` into ("qdrant", "docker"); `b00t-bus.process.toml` into ("b00t-bus", "process").
    public static func nameAndType(ofFile path: String) -> (name: String, type: String?) {
        var base = (path as NSString).lastPathComponent
        if base.hasSuffix(".toml") { base.removeLast(5) }
        guard let dot = base.lastIndex(of: ".") else { return (base, nil) }
        return (String(base[..<dot]), String(base[base.index(after: dot)...]))
    }

    public static func loadFile(_ path: String) -> (Datum?, [DatumDiagnostic]) {
        let source: String
        switch DatumFileReader.read(path) {
        case .success(let text): source = text
        case .failure(let problem): return (nil, [problem])
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
