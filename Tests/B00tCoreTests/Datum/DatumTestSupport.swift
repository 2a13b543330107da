import Foundation
@testable import B00tCore

/// A throwaway folder of datum files, removed when the test's value goes away.
final class DatumFolder {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "b00t-test-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func write(_ file: String, _ text: String) -> String {
        let full = path + "/" + file
        _ = FileManager.default.createFile(atPath: full, contents: Data(text.utf8))
        return full
    }

    func load() -> DatumCatalog { DatumLoader(searchPath: DatumSearchPath(folders: [path])).load() }
}

func decode(_ text: String, file: String = "x.process.toml") -> (datum: Datum?, diagnostics: [DatumDiagnostic]) {
    let (name, type) = DatumLoader.nameAndType(ofFile: file)
    return DatumDecoder.decode(source: text, file: file, fileName: name, fileType: type)
}
