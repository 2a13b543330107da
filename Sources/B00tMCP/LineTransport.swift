#if canImport(Glibc)
import Glibc
#endif
import B00tCore
import Foundation
import Logging
import MCP

/// MCP's stdio framing (one JSON-RPC message a line) over two file descriptors: stdin/stdout for
/// `b00t mcp serve`, a child's pipes for `b00t mcp execute`. It plugs into the SDK's `Transport` seam.
///
/// Why not the SDK's `StdioTransport`: it puts the descriptors in non-blocking mode and, when nothing is there
/// to read, sleeps 10 ms before looking again, so every message that arrives on an idle connection waits up to
/// 10 ms on each side (measured by `b00t-bench`, section `mcp`). Here a thread of its own blocks in `read`, and
/// writes go through a serial queue, so a message is handed on as soon as it arrives and a peer that stops
/// reading never parks a cooperative thread. A line longer than `maximumMessage` ends the stream with an error
/// instead of growing the buffer without bound.
public actor LineTransport: Transport {
    public nonisolated let logger: Logger
    private let input: Int32
    private let output: Int32
    private let ownsDescriptors: Bool
    private let stream: AsyncThrowingStream<Data, Swift.Error>
    private let continuation: AsyncThrowingStream<Data, Swift.Error>.Continuation
    private let writes = DispatchQueue(label: "b00t.mcp.line-transport.write")
    private var connected = false
    private var outputClosed = false

    /// Large tool results are fine; a peer streaming a line without end is not.
    public static let maximumMessage = 32 << 20

    /// `ownsDescriptors`: close them when done (the input when its reader reaches the end, the output on
    /// `disconnect`) — for pipes this process created, not for stdin/stdout.
    public init(input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO, ownsDescriptors: Bool = false, logger: Logger? = nil) {
        self.input = input
        self.output = output
        self.ownsDescriptors = ownsDescriptors
        self.logger = logger ?? Logger(label: "b00t.mcp.transport", factory: { _ in SwiftLogNoOpLogHandler() })
        (stream, continuation) = AsyncThrowingStream.makeStream(bufferingPolicy: .unbounded)
    }

    /// Signalled when the peer's side ends (end of file, a read error, a line too long).
    public nonisolated let ended = EndSignal()

    public func connect() async throws {
        guard !connected else { return }
        connected = true
        // A peer that exits while we write must give EPIPE here, not kill the process.
        signal(SIGPIPE, SIG_IGN)
        let fd = input, owns = ownsDescriptors, sink = continuation, ended = self.ended
        Thread.detachNewThread {
            Self.readLines(fd, into: sink, closeWhenDone: owns)
            ended.fire()
        }
    }

    public func disconnect() async {
        guard connected else { return }
        connected = false
        continuation.finish()
        if ownsDescriptors, !outputClosed {
            outputClosed = true
            let fd = output
            writes.async { _ = close(fd) }
        }
    }

    public func send(_ data: Data) async throws {
        guard connected, !outputClosed else { throw MCPError.connectionClosed }
        var framed = data
        framed.append(UInt8(ascii: "\n"))
        let line = framed, fd = output
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, Swift.Error>) in
            writes.async { done.resume(with: Result { try Self.writeAll(line, to: fd) }) }
        }
    }

    public func receive() -> AsyncThrowingStream<Data, Swift.Error> { stream }

    // MARK: Blocking I/O, off the cooperative pool

    static func readLines(_ fd: Int32, into sink: AsyncThrowingStream<Data, Swift.Error>.Continuation, closeWhenDone: Bool) {
        defer { if closeWhenDone { close(fd) } }
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0, flags & O_NONBLOCK != 0 { _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var pending: [UInt8] = []
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK {
                    var waiting = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    _ = poll(&waiting, 1, -1)
                    continue
                }
                sink.finish(throwing: LineTransportError.read(String(cString: strerror(errno))))
                return
            }
            if n == 0 { break }
            var start = 0
            for index in 0..<n where buffer[index] == UInt8(ascii: "\n") {
                pending.append(contentsOf: buffer[start..<index])
                start = index + 1
                if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
                if !pending.isEmpty { sink.yield(Data(pending)) }
                pending.removeAll(keepingCapacity: true)
            }
            pending.append(contentsOf: buffer[start..<n])
            if pending.count > maximumMessage {
                sink.finish(throwing: LineTransportError.tooLong(maximumMessage))
                return
            }
        }
        if !pending.isEmpty { sink.yield(Data(pending)) }
        // Ended with an error, not quietly: the SDK's client loop reads a quietly finished stream again and
        // again (a busy loop) until it is disconnected; an error ends it.
        sink.finish(throwing: MCPError.connectionClosed)
    }

    static func writeAll(_ data: Data, to fd: Int32) throws {
        try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            guard let base = bytes.baseAddress else { return }
            var offset = 0
            while offset < bytes.count {
                let n = write(fd, base + offset, bytes.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    if errno == EAGAIN || errno == EWOULDBLOCK {
                        var waiting = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                        _ = poll(&waiting, 1, 1000)
                        continue
                    }
                    throw LineTransportError.write(String(cString: strerror(errno)))
                }
                offset += n
            }
        }
    }
}

/// What ended a `LineTransport`.
public enum LineTransportError: Error, Equatable, Sendable, CustomStringConvertible {
    case read(String)
    case write(String)
    case tooLong(Int)

    public var description: String {
        switch self {
        case .read(let why): return "reading from the MCP peer failed: \(why)"
        case .write(let why): return "writing to the MCP peer failed: \(why) (did it exit?)"
        case .tooLong(let limit): return "the MCP peer sent a line longer than \(limit) bytes; the connection was closed"
        }
    }
}

/// A one-shot event several tasks can wait for.
public final class EndSignal: @unchecked Sendable {
    public init() {}
    private let lock = NSLock()
    private var fired = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public var hasFired: Bool { lock.withLock { fired } }

    public func fire() {
        let waiting = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
            fired = true
            defer { waiters.removeAll() }
            return waiters
        }
        for waiter in waiting { waiter.resume() }
    }

    public func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = lock.withLock { () -> Bool in
                if fired { return true }
                waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }
}
