#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Reads one datum file as UTF-8 text without trusting what sits at the path: a FIFO would block a plain
/// read forever and a huge file would be read whole, so only regular files up to `TOMLLimits.maximumBytes`
/// are read, and bad bytes are reported with their line and column.
enum DatumFileReader {
    static func read(_ path: String) -> Result<String, DatumDiagnostic> {
        func problem(_ message: String, hint: String, line: Int = 1, column: Int = 1) -> Result<String, DatumDiagnostic> {
            .failure(DatumDiagnostic(severity: .error, file: path, line: line, column: column, key: nil,
                                     message: message, hint: hint))
        }
        // O_NONBLOCK: opening a FIFO must not wait for a writer.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            return problem("cannot read file: \(String(cString: strerror(errno)))", hint: "check that it exists and is readable")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            return problem("cannot read file: \(String(cString: strerror(errno)))", hint: "check that it exists and is readable")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            return problem("not a regular file", hint: "a datum is a plain .toml file; remove or rename this entry")
        }
        guard info.st_size <= TOMLLimits.maximumBytes else {
            return problem("the file is \(info.st_size) bytes; datum files are limited to \(TOMLLimits.maximumBytes) bytes",
                           hint: "a datum describes one service or agent in a few lines")
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size) + 1)
        var count = 0
        while count < bytes.count {
            let n = bytes.withUnsafeMutableBytes { raw in Glibc.read(fd, raw.baseAddress! + count, raw.count - count) }
            if n < 0 {
                if errno == EINTR { continue }
                return problem("cannot read file: \(String(cString: strerror(errno)))", hint: "check that it is readable")
            }
            if n == 0 { break }
            count += n
            guard count <= TOMLLimits.maximumBytes else {
                return problem("the file grew past \(TOMLLimits.maximumBytes) bytes while it was read",
                               hint: "a datum describes one service or agent in a few lines")
            }
        }
        bytes.removeLast(bytes.count - count)
        if let bad = firstInvalidUTF8(bytes) {
            return problem("not valid UTF-8 (byte 0x\(String(bytes[bad.offset], radix: 16, uppercase: true)))",
                           hint: "save the file as UTF-8", line: bad.line, column: bad.column)
        }
        return .success(String(decoding: bytes, as: UTF8.self))
    }

    /// Where the first byte that is not part of valid UTF-8 sits, if any.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> (offset: Int, line: Int, column: Int)? {
        var line = 1, column = 1, i = 0
        while i < bytes.count {
            let b = bytes[i]
            let length: Int
            switch b {
            case 0x00...0x7F: length = 1
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: return (i, line, column)
            }
            guard i + length <= bytes.count else { return (i, line, column) }
            if length > 1 {
                let rest = bytes[(i + 1)..<(i + length)]
                guard rest.allSatisfy({ $0 & 0xC0 == 0x80 }) else { return (i, line, column) }
                // Overlong forms, surrogates and values past U+10FFFF.
                let second = bytes[i + 1]
                if (b == 0xE0 && second < 0xA0) || (b == 0xED && second > 0x9F) || (b == 0xF0 && second < 0x90)
                    || (b == 0xF4 && second > 0x8F) {
                    return (i, line, column)
                }
            }
            if b == 0x0A { line += 1; column = 1 } else { column += 1 }
            i += length
        }
        return nil
    }
}
