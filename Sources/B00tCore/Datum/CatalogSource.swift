#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The datum catalog of this process, loaded once and loaded again only when a datum folder or file changed
/// (a stat of each, no parsing) — so a REPL that asks for it on every Tab, every `/up` and every second for the
/// services pane parses nothing twice. Built-in datums are added.
public final class CatalogSource: @unchecked Sendable {
    /// The standard search path's (`$B00T_PATH`, `./_b00t_`, `~/.b00t/_b00t_`), shared by the whole process.
    public static let standard = CatalogSource()

    private let loader: DatumLoader
    private let lock = NSLock()
    private var cached: (catalog: DatumCatalog, fingerprint: [String])?

    public init(searchPath: DatumSearchPath = .standard()) { loader = DatumLoader(searchPath: searchPath) }

    /// The catalog as the files are now.
    public func catalog() -> DatumCatalog {
        let now = fingerprint()
        if let cached = lock.withLock({ cached }), cached.fingerprint == now { return cached.catalog }
        let fresh = BuiltinDatums.adding(to: loader.load())
        lock.withLock { cached = (fresh, now) }
        return fresh
    }

    /// Each folder's and file's identity and modification time: any edit, addition or removal changes it.
    func fingerprint() -> [String] {
        var parts: [String] = []
        for folder in loader.searchPath.folders {
            parts.append(Self.stamp(folder))
            for file in DatumLoader.datumFiles(in: folder).files { parts.append(Self.stamp(file)) }
        }
        return parts
    }

    static func stamp(_ path: String) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { return "\(path):-" }
        return "\(path):\(info.st_ino):\(info.st_size):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
    }
}
