import Foundation
import B00tTestSupport
@testable import B00tCore

extension TempDir {
    /// The datums written in this folder, loaded as the catalog would be.
    func load() -> DatumCatalog { DatumLoader(searchPath: DatumSearchPath(folders: [path])).load() }
}

func decode(_ text: String, file: String = "x.process.toml") -> (datum: Datum?, diagnostics: [DatumDiagnostic]) {
    let (name, type) = DatumLoader.nameAndType(ofFile: file)
    return DatumDecoder.decode(source: text, file: file, fileName: name, fileType: type)
}
