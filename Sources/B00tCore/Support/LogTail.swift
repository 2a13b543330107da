#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The end of a log file, read backwards from its end: `b00t logs` on a 200 MB log reads kilobytes, not the
/// whole file. Symlinks are not followed (a log is a file b00t created in its private state dir).
public enum LogTail {
    /// The last `lines` lines of `path` (without the final newline), reading at most `maximumBytes` from
    /// its end; nil when the file cannot be read.
    public static func read(_ path: String, lines: Int, maximumBytes: Int = 8 << 20) -> String? {
        guard lines > 0 else { return "" }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        let size = Int(info.st_size)
        let chunk = 64 * 1024
        var end = size
        var tail: [UInt8] = []
        var newlines = 0
        // lines + 1 newlines (the file's own last newline, then one before each wanted line) are enough.
        while end > 0, newlines <= lines, size - end < maximumBytes {
            let start = max(0, end - min(chunk, maximumBytes - (size - end)))
            var block = [UInt8](repeating: 0, count: end - start)
            var got = 0
            while got < block.count {
                let n = block.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + got, $0.count - got, off_t(start + got)) }
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { break }
                got += n
            }
            guard got == block.count else { break }
            newlines += block.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            tail = block + tail
            end = start
        }
        let text = String(decoding: tail, as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines + 1)
            .joined(separator: "\n").trimmingCharacters(in: .newlines)
    }
}
