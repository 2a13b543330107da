#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Files only this user may read: written to a temp file in the same directory, fsynced, then renamed over
/// the target, so a reader never sees half a file and a crash never leaves one.
public enum PrivateFile {
    public static func writeAtomically(_ data: Data, to path: String, sync: Bool = false) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let temp = "\(directory)/.\((path as NSString).lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemError.call("open \(temp)", errno) }
        let ok = data.withUnsafeBytes { DescriptorWrite.all(fd, $0) }
        let writeErrno = errno
        if ok && sync { fsync(fd) }
        close(fd)
        guard ok else {
            unlink(temp)
            throw SystemError.call("write \(temp)", writeErrno)
        }
        guard rename(temp, path) == 0 else {
            let code = errno
            unlink(temp)
            throw SystemError.call("rename \(temp) → \(path)", code)
        }
        if sync {
            let dfd = open(directory, O_RDONLY | O_CLOEXEC)
            if dfd >= 0 { fsync(dfd); close(dfd) }
        }
    }
}
