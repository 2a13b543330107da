import Foundation
import ArgumentParser
import B00tCore

/// Options shared by every command that reads datums.
struct DatumOptions: ParsableArguments {
    @Option(name: .customLong("path"), help: "Datum folder(s), colon-separated; replaces the whole search path.")
    var path: String?

    var searchPath: DatumSearchPath {
        if let path {
            return DatumSearchPath(folders: path.split(separator: ":").map(String.init))
        }
        return .standard()
    }

    func loadCatalog() -> DatumCatalog { DatumLoader(searchPath: searchPath).load() }
}
