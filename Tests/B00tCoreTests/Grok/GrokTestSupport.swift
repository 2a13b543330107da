import Foundation
@testable import B00tCore

/// A private throwaway folder, removed when the value goes away.
final class TempFolder {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "b00t-grok-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let full = path + "/" + name
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: full))
        return full
    }

    /// A grok on a new SQLite store in this folder; words only unless `model` (the real embedder when installed).
    func grok(model: Bool = false) throws -> Grok {
        Grok(backend: try SQLiteGrokStore(path: path + "/grok.sqlite"), embedder: model ? GrokFixtures.embedder : nil,
             modelProblem: .modelMissing(directory: "/nonexistent", file: "model.safetensors"))
    }
}
