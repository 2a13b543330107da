#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// Where finished log lines go. A line is written whole (one `write` under a lock), so lines from several
/// tasks never interleave.
public protocol LogSink: Sendable {
    func write(_ line: [UInt8])
}

/// A file descriptor (stderr by default). A failing write is dropped: logging must never stop the process
/// it describes.
public final class DescriptorLogSink: LogSink {
    private let descriptor: Int32
    private let lock = Mutex(())

    public init(descriptor: Int32 = STDERR_FILENO) { self.descriptor = descriptor }

    public func write(_ line: [UInt8]) {
        // A failing write drops the line (see above).
        _ = lock.withLock { _ in line.withUnsafeBytes { DescriptorWrite.all(descriptor, $0) } }
    }
}

/// Keeps lines in memory: tests, and anything that wants to show a process's recent log.
public final class MemoryLogSink: LogSink {
    private let lines = Mutex<[String]>([])

    public init() {}

    public func write(_ line: [UInt8]) {
        let text = String(decoding: line.last == 10 ? line.dropLast() : line[...], as: UTF8.self)
        lines.withLock { $0.append(text) }
    }

    public var written: [String] { lines.withLock { $0 } }
}
