#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Reads what `grok learn` is given: text files streamed in 64 KiB blocks (bounded memory, whatever the
/// size), folders walked (hidden entries and build folders skipped), binaries recognised (NUL bytes or invalid
/// UTF-8) and topics inferred from a file's extension or a folder's name.
public enum TextSource {
    static let blockSize = 64 * 1024
    /// A "line" longer than this is handed on in pieces, so one 50 MB line costs no more memory than many.
    static let maxLine = 8 * 1024
    static let skippedFolders: Set<String> = [".build", "node_modules", "target", "__pycache__", ".venv", "DerivedData"]

    /// Calls `body` with each line of the UTF-8 file at `path`. Throws `binaryFile` at the first NUL byte or
    /// invalid sequence, `unreadable`/`noSuchPath` when it cannot be opened.
    public static func forEachLine(path: String, _ body: (String) throws -> Void) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw openError(path, errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw GrokError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw GrokError.unreadable(path: path, reason: "not a regular file (a pipe, socket or device is never read)")
        }
        let block = UnsafeMutablePointer<UInt8>.allocate(capacity: blockSize)
        defer { block.deallocate() }
        var pending: [UInt8] = []
        while true {
            let n = read(fd, block, blockSize)
            if n < 0 {
                if errno == EINTR { continue }
                throw GrokError.unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            let bytes = UnsafeBufferPointer(start: block, count: n)
            if bytes.contains(0) { throw GrokError.binaryFile(path: path) }
            pending.append(contentsOf: bytes)
            var start = 0
            while let newline = pending[start...].firstIndex(of: 10) {
                try emitLine(pending[start..<newline], path: path, body)
                start = newline + 1
            }
            // No newline for a long stretch: hand on a piece that ends on a character boundary.
            while pending.count - start > maxLine {
                var end = start + maxLine
                while end > start, pending[end] & 0xC0 == 0x80 { end -= 1 }
                try emitLine(pending[start..<end], path: path, body)
                start = end
            }
            pending.removeSubrange(0..<start)
        }
        if !pending.isEmpty { try emitLine(pending[...], path: path, body) }
    }

    private static func emitLine(_ bytes: ArraySlice<UInt8>, path: String, _ body: (String) throws -> Void) throws {
        guard let line = String(validating: bytes, as: UTF8.self) else { throw GrokError.binaryFile(path: path) }
        try body(line)
    }

    static func openError(_ path: String, _ code: Int32) -> GrokError {
        code == ENOENT ? .noSuchPath(path: path) : .unreadable(path: path, reason: String(cString: strerror(code)))
    }

    /// Regular files under `folder` (sorted, so learning is repeatable), and the entries passed over with why.
    public static func files(under folder: String) throws -> (files: [String], skipped: [String]) {
        var files: [String] = []
        var skipped: [String] = []
        var stack = [folder]
        var visited = 0
        while let directory = stack.popLast() {
            visited += 1
            guard visited <= 100_000 else { throw GrokError.badArgument("\(folder): more than 100,000 folders; learn a smaller tree") }
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
            } catch {
                if directory == folder { throw GrokError.unreadable(path: folder, reason: "cannot list the folder") }
                skipped.append("\(directory): cannot list the folder")
                continue
            }
            for name in names where !name.hasPrefix(".") {
                let path = directory + "/" + name
                var info = stat()
                // lstat: symbolic links are not followed (no loops, nothing outside the tree).
                guard lstat(path, &info) == 0 else {
                    skipped.append("\(path): \(String(cString: strerror(errno)))")
                    continue
                }
                switch info.st_mode & S_IFMT {
                case S_IFDIR:
                    if !skippedFolders.contains(name) { stack.append(path) }
                case S_IFREG: files.append(path)
                case S_IFLNK: skipped.append("\(path): symbolic link, not followed")
                default: skipped.append("\(path): not a regular file")
                }
            }
        }
        return (files.sorted(), skipped)
    }

    /// The topic a source suggests: a folder's name, a file's extension (language), else its folder's name.
    public static func inferredTopic(for path: String, isDirectory: Bool) -> (topic: String, reason: String) {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        if isDirectory {
            let name = url.lastPathComponent
            return (sanitizedTopic(name.isEmpty || name == "/" ? "general" : name), "the folder's name")
        }
        let ext = url.pathExtension.lowercased()
        if let language = extensionTopics[ext] { return (language, "the file extension .\(ext)") }
        if !ext.isEmpty { return (sanitizedTopic(ext), "the file extension .\(ext)") }
        let parent = url.deletingLastPathComponent().lastPathComponent
        return (sanitizedTopic(parent.isEmpty || parent == "/" ? "general" : parent), "the folder's name")
    }

    static let extensionTopics: [String: String] = [
        "md": "markdown", "markdown": "markdown", "txt": "text", "swift": "swift", "rs": "rust", "py": "python",
        "js": "javascript", "ts": "typescript", "go": "go", "c": "c", "h": "c", "cpp": "cpp", "toml": "toml",
        "yaml": "yaml", "yml": "yaml", "json": "json", "sh": "shell", "rb": "ruby", "java": "java",
    ]

    static func sanitizedTopic(_ name: String) -> String {
        let cleaned = name.lowercased().map { $0.isLetter || $0.isNumber || "-_.:".contains($0) ? $0 : "-" }
        return String(cleaned.prefix(64))
    }
}
