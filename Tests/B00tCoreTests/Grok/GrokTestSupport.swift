import Foundation
import B00tTestSupport
@testable import B00tCore

extension TempDir {
    /// A grok on a new SQLite store in this folder; words only unless `model` (the real embedder when installed).
    func grok(model: Bool = false) throws -> Grok {
        Grok(backend: try SQLiteGrokStore(path: path + "/grok.sqlite"), embedder: model ? GrokFixtures.embedder : nil,
             modelProblem: .modelMissing(directory: "/nonexistent", file: "model.safetensors"))
    }
}
