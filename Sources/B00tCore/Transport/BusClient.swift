import Foundation
import NIOCore
import NIOPosix

/// Why a request over the socket failed.
public enum BusClientError: Error, CustomStringConvertible, Equatable {
    case cannotConnect(String, String)
    /// The server answered no: `error` is exactly what it decided (a bus rule, or the transport's own refusal).
    case refused(BusError)
    case disconnected
    case badReply(String)
    case tooLarge(Int)
    /// A field the client was asked to send is not JSON (a Date, a nested value too deep).
    case badRequest(String)
    /// The connection closed after the request was sent and before its reply: it may have been applied.
    case lostReply(String)
    /// A lost connection did not come back in time.
    case unreachable(String, String)
    /// The daemon took the request and never answered (stopped, wedged).
    case noReply(String, seconds: Int)

    public var description: String {
        switch self {
        case .cannotConnect(let path, let why): return "cannot connect to the bus at \(path): \(why) (is `b00t bus serve` running?)"
        case .refused(let error): return error.description
        case .disconnected: return "the bus connection closed"
        case .badReply(let why): return "unexpected reply from the bus: \(why)"
        case .badRequest(let why): return "cannot send the request: \(why)"
        case .lostReply(let op):
            return "the bus connection closed before the reply to '\(op)'; it may have been applied — check the stream (reconnecting…)"
        case .unreachable(let path, let why): return "the bus at \(path) is unreachable: \(why)"
        case .noReply(let op, let seconds):
            return "the bus daemon did not answer '\(op)' within \(seconds) s; it may have been applied — is the daemon stopped or stuck? (b00t ps, b00t restart b00t-bus.process)"
        case .tooLarge(let size):
            return "a request of \(size) bytes is over the bus's \(WireProtocol.maximumLineLength / 1024) KiB line limit; shorten the text (or split a batch)"
        }
    }
}

/// A connection to `b00t bus serve`: request/reply matched by id, plus the stream of subscribed events.
public final class BusClient: Sendable {
    let channel: Channel
    let state: ClientState
    public let events: AsyncStream<BusEvent>
    public let endpoint: BusEndpoint

    /// Connects (no hello yet). Uses NIO's shared loop group unless given one.
    public static func connect(_ endpoint: BusEndpoint, group: EventLoopGroup? = nil) async throws -> BusClient {
        let loopGroup = group ?? MultiThreadedEventLoopGroup.singleton
        let made = AsyncStream<BusEvent>.makeStream(bufferingPolicy: .unbounded)
        let state = ClientState(events: made.continuation)
        let bootstrap = ClientBootstrap(group: loopGroup)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(BoundedLineDecoder(maximumLength: 64 * 1024 * 1024)))
                    try channel.pipeline.syncOperations.addHandler(ClientHandler(state: state))
                }
            }
        do {
            let channel = try await bootstrap.connect(unixDomainSocketPath: endpoint.socketPath).get()
            return BusClient(channel: channel, state: state, events: made.stream, endpoint: endpoint)
        } catch {
            throw BusClientError.cannotConnect(endpoint.socketPath, "\(error)")
        }
    }

    private init(channel: Channel, state: ClientState, events: AsyncStream<BusEvent>, endpoint: BusEndpoint) {
        self.channel = channel
        self.state = state
        self.events = events
        self.endpoint = endpoint
        // One sweep a second fails requests past their deadline: a timer per request cost more than the
        // rest of the client's work on a round trip.
        let sweep = channel.eventLoop.scheduleRepeatedTask(initialDelay: Self.sweepEvery, delay: Self.sweepEvery) { _ in
            state.failOverdue(now: .now())
        }
        channel.closeFuture.whenComplete { _ in sweep.cancel() }
    }

    /// How long a request waits for its reply: a daemon that stopped answering (stopped with SIGSTOP, wedged)
    /// must not hang its clients for ever. Checked once a second, so it fires within a second after.
    public static let replyTimeout: TimeAmount = .seconds(30)
    static let sweepEvery: TimeAmount = .seconds(1)

    /// Sends `{"v":1,"op":op,"id":N,…fields}` and waits for its reply. A refusal throws with the server's words.
    @discardableResult
    public func request(_ op: String, _ fields: sending [String: Any] = [:]) async throws -> WireReply {
        let id = state.nextID()
        let line: [UInt8]
        do { line = try WireProtocol.requestLine(op: op, id: id, fields: fields) } catch {
            throw BusClientError.badRequest("\(op): \(error)")
        }
        // The server drops longer lines without knowing their id, so such a request could never be answered.
        guard line.count <= WireProtocol.maximumLineLength + 1 else { throw BusClientError.tooLarge(line.count - 1) }
        let buffer = channel.allocator.buffer(bytes: line)
        let state = self.state
        let channel = self.channel
        let reply = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<WireReply, Error>) in
            guard state.register(id, op: op, continuation) else { return continuation.resume(throwing: BusClientError.disconnected) }
            // No promise: a failed write closes a stream channel, and its close fails every request registered
            // before it (`channelInactive` → `closeAll`); one registered after is refused above. The future and its
            // callback cost an allocation and a lock on every round trip.
            channel.writeAndFlush(buffer, promise: nil)
        }
        guard reply.ok else { throw BusClientError.refused(reply.refusal) }
        return reply
    }

    /// Writes a raw line (tests use this to send garbage).
    public func sendRaw(_ bytes: [UInt8]) async throws {
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        try await channel.writeAndFlush(buffer)
    }

    /// Replies that carried no id the client was waiting for (errors about malformed lines, rate limits).
    public var unsolicited: [WireReply] { state.unsolicitedReplies }

    public var isConnected: Bool { channel.isActive }

    /// The connection's event loop as a task executor. A caller that waits on one request after another
    /// (an agent, a benchmark) and runs with this preference (`withTaskExecutorPreference`) sends and is
    /// resumed on the loop itself: no thread wake-up on either side of a round trip.
    public var taskExecutor: any TaskExecutor { EventLoopTaskExecutor(channel.eventLoop) }

    public func close() async {
        try? await channel.close()
    }
}

/// Pending requests and the event stream's continuation, shared with the channel handler.
final class ClientState: @unchecked Sendable {
    private struct Pending {
        var continuation: CheckedContinuation<WireReply, Error>
        var op: String
        var deadline: NIODeadline
    }
    private let lock = NSLock()
    private var counter: Int64 = 0
    private var pending: [Int64: Pending] = [:]
    private var closed = false
    private var others: [WireReply] = []
    let events: AsyncStream<BusEvent>.Continuation
    let timeout: TimeAmount

    init(events: AsyncStream<BusEvent>.Continuation, timeout: TimeAmount = BusClient.replyTimeout) {
        self.events = events
        self.timeout = timeout
    }

    func nextID() -> Int64 { lock.withLock { counter += 1; return counter } }

    func register(_ id: Int64, op: String, _ continuation: CheckedContinuation<WireReply, Error>) -> Bool {
        let deadline = NIODeadline.now() + timeout
        return lock.withLock {
            guard !closed else { return false }
            pending[id] = Pending(continuation: continuation, op: op, deadline: deadline)
            return true
        }
    }

    func resolve(_ reply: WireReply) {
        let continuation = lock.withLock { () -> CheckedContinuation<WireReply, Error>? in
            if case .number(let id) = reply.id, let waiting = pending.removeValue(forKey: id) { return waiting.continuation }
            others.append(reply)
            if others.count > 1000 { others.removeFirst(500) }
            return nil
        }
        continuation?.resume(returning: reply)
    }

    func fail(_ id: Int64, with error: BusClientError = .disconnected) {
        let waiting = lock.withLock { pending.removeValue(forKey: id) }
        waiting?.continuation.resume(throwing: error)
    }

    /// Fails every request whose deadline has passed.
    func failOverdue(now: NIODeadline) {
        let overdue = lock.withLock { () -> [Pending] in
            let ids = pending.filter { $0.value.deadline <= now }.map(\.key)
            return ids.compactMap { pending.removeValue(forKey: $0) }
        }
        let seconds = Int(timeout.nanoseconds / 1_000_000_000)
        for waiting in overdue { waiting.continuation.resume(throwing: BusClientError.noReply(waiting.op, seconds: seconds)) }
    }

    func closeAll() {
        let all = lock.withLock { () -> [Pending] in
            closed = true
            let all = Array(pending.values)
            pending.removeAll()
            return all
        }
        for waiting in all { waiting.continuation.resume(throwing: BusClientError.disconnected) }
        events.finish()
    }

    var unsolicitedReplies: [WireReply] { lock.withLock { others } }
    var pendingCount: Int { lock.withLock { pending.count } }
}

final class ClientHandler: ChannelInboundHandler {
    typealias InboundIn = InboundFrame
    private let state: ClientState
    private static let eventPrefix = Array("{\"v\":1,\"event\":".utf8)

    init(state: ClientState) { self.state = state }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .line(let buffer) = unwrapInboundIn(data) else { return }
        let view = buffer.readableBytesView
        if view.starts(with: Self.eventPrefix), view.last == UInt8(ascii: "}") {
            let inner = Data(view.dropFirst(Self.eventPrefix.count).dropLast())
            if let event = try? WireProtocol.decodeEvent(inner) { state.events.yield(event) }
            return
        }
        guard let reply = try? WireReply.decode(view) else { return }
        state.resolve(reply)
    }

    func channelInactive(context: ChannelHandlerContext) {
        state.closeAll()
        context.fireChannelInactive()
    }
}
