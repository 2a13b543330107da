import Foundation

/// The one temporary-folder helper of every test target: a private (0700) folder under the system's temporary
/// directory, removed when the value goes away — unless `keep`, for stores a test hands to something that may
/// outlive it (those go under one root per run, cleared when the next run starts).
public final class TempDir: @unchecked Sendable {
    public let path: String

    private let keep: Bool
    private static let runRoot: String = {
        let root = NSTemporaryDirectory() + "b00t-tests-kept"
        try? FileManager.default.removeItem(atPath: root)
        return root
    }()

    public init(_ label: String = "b00t", keep: Bool = false) {
        self.keep = keep
        let parent = keep ? Self.runRoot : NSTemporaryDirectory()
        path = parent + (parent.hasSuffix("/") ? "" : "/") + "\(label)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o700])
    }

    deinit { if !keep { try? FileManager.default.removeItem(atPath: path) } }

    /// Writes `text` to `name` (folders made as needed) and returns its full path.
    @discardableResult
    public func write(_ name: String, _ text: String) -> String {
        let full = path + "/" + name
        try? FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: full, contents: Data(text.utf8))
        return full
    }
}
