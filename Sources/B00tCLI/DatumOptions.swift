import Foundation
import ArgumentParser
import B00tCore

/// Options shared by every command that reads datums.
package struct DatumOptions: ParsableArguments {
    package init() {}

    @Option(name: .customLong("path"), help: "Datum folder(s), colon-separated; replaces the whole search path.")
    var path: String?

    package var searchPath: DatumSearchPath {
        if let path {
            return DatumSearchPath(folders: path.split(separator: ":").map(String.init))
        }
        return .standard()
    }

    package func loadCatalog() -> DatumCatalog { DatumLoader(searchPath: searchPath).load() }
}
