#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Reading and replacing a datum's own file, and nothing else: the path comes from the datum the local
/// catalog loaded (never from a proposal), must be a regular file owned by this user, and is replaced
/// atomically (a temp file in the same folder, fsynced, renamed over it) with its permission bits kept.
public enum DatumFile {
    /// The file `datum` was loaded from, if it has one (built-in datums have none).
    public static func path(of datum: Datum) throws(MutationError) -> String {
        guard let source = datum.source, source.hasSuffix(".toml") else {
            throw MutationError(.notFound, "\(datum.id) is built in, not a file; only datums in a _b00t_ folder can change")
        }
        return source
    }

    public static func read(_ path: String) throws(MutationError) -> [UInt8] {
        try checkOwnFile(path)
        switch DatumFileReader.read(path) {
        case .success(let text): return Array(text.utf8)
        case .failure(let problem): throw MutationError(.io, problem.description)
        }
    }

    /// A regular file (not a link to somewhere else) owned by this user.
    static func checkOwnFile(_ path: String) throws(MutationError) {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            throw MutationError(.io, "\(path): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw MutationError(.io, "\(path) is not a regular file (a symbolic link?); mutations change only plain datum files")
        }
        guard info.st_uid == getuid() else {
            throw MutationError(.io, "\(path) belongs to uid \(info.st_uid), not to you (uid \(getuid())); mutations change only your own files")
        }
    }

    /// Replaces `path` with `bytes` atomically, keeping its mode.
    public static func replace(_ path: String, with bytes: [UInt8]) throws(MutationError) {
        try checkOwnFile(path)
        var info = stat()
        guard stat(path, &info) == 0 else { throw MutationError(.io, "\(path): \(String(cString: strerror(errno)))") }
        let mode = info.st_mode & 0o7777
        let directory = (path as NSString).deletingLastPathComponent
        let temp = "\(directory)/.\((path as NSString).lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).b00t-tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw MutationError(.io, "cannot write next to \(path): \(String(cString: strerror(errno)))") }
        var failure: String? = nil
        var offset = 0
        bytes.withUnsafeBytes { raw in
            while offset < raw.count, let base = raw.baseAddress {
                let n = write(fd, base + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = "write: \(String(cString: strerror(errno)))"
                    return
                }
                offset += n
            }
        }
        if failure == nil, fchmod(fd, mode) != 0 { failure = "chmod: \(String(cString: strerror(errno)))" }
        if failure == nil, fsync(fd) != 0 { failure = "fsync: \(String(cString: strerror(errno)))" }
        close(fd)
        if failure == nil, rename(temp, path) != 0 { failure = "rename: \(String(cString: strerror(errno)))" }
        if let failure {
            unlink(temp)
            throw MutationError(.io, "cannot replace \(path) (\(failure)); it is unchanged")
        }
        let dfd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }
}
