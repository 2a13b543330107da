import Foundation
import ArgumentParser
import B00tCore

/// Options shared by every command that reads datums.
struct DatumOptions: ParsableArguments {
    @Option(name: .customLong("path"), help: "Datum folder(s), colon-separated; overrides $B00T_PATH.")
    var path: String?

    var searchPath: DatumSearchPath {
        var environment = ProcessInfo.processInfo.environment
        if let path { environment["B00T_PATH"] = path }
        return .standard(environment: environment)
    }

    func loadCatalog() -> DatumCatalog { DatumLoader(searchPath: searchPath).load() }
}
