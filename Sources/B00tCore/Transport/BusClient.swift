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
    }

    /// How long a request waits for its reply: a daemon that stopped answering (stopped with SIGSTOP, wedged)
    /// must not hang its clients for ever.
    public static let replyTimeout: TimeAmount = .seconds(30)

    /// Sends `{"v":1,"op":op,"id":N,…fields}` and waits for its reply. A refusal throws with the server's words.
    @discardableResult
    public func request(_ op: String, _ fields: sending [String: Any] = [:]) async throws -> WireReply {
        let id = state.nextID()
        var object = fields
        object["v"] = WireProtocol.version
        object["op"] = op
        object["id"] = id
        let data = try JSONSerialization.data(withJSONObject: object)
        // The server drops longer lines without knowing their id, so such a request could never be answered.
        guard data.count <= WireProtocol.maximumLineLength else { throw BusClientError.tooLarge(data.count) }
        var buffer = channel.allocator.buffer(capacity: data.count + 1)
        buffer.writeBytes(data)
        buffer.writeStaticString("\n")
        let state = self.state
        let channel = self.channel
        let reply = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<WireReply, Error>) in
            guard state.register(id, continuation) else { return continuation.resume(throwing: BusClientError.disconnected) }
            channel.writeAndFlush(buffer).whenFailure { _ in state.fail(id) }
            let timer = channel.eventLoop.scheduleTask(in: Self.replyTimeout) {
                state.fail(id, with: BusClientError.noReply(op, seconds: Int(Self.replyTimeout.nanoseconds / 1_000_000_000)))
            }
            state.attach(timer, to: id)
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

    public func close() async {
        try? await channel.close()
    }
}

/// Pending requests and the event stream's continuation, shared with the channel handler.
final class ClientState: @unchecked Sendable {
    private let lock = NSLock()
    private var counter: Int64 = 0
    private var pending: [Int64: CheckedContinuation<WireReply, Error>] = [:]
    private var timers: [Int64: Scheduled<Void>] = [:]
    private var closed = false
    private var others: [WireReply] = []
    let events: AsyncStream<BusEvent>.Continuation

    init(events: AsyncStream<BusEvent>.Continuation) { self.events = events }

    func nextID() -> Int64 { lock.withLock { counter += 1; return counter } }

    func register(_ id: Int64, _ continuation: CheckedContinuation<WireReply, Error>) -> Bool {
        lock.withLock {
            guard !closed else { return false }
            pending[id] = continuation
            return true
        }
    }

    func resolve(_ reply: WireReply) {
        let continuation = lock.withLock { () -> CheckedContinuation<WireReply, Error>? in
            if case .number(let id) = reply.id, let c = pending.removeValue(forKey: id) {
                timers.removeValue(forKey: id)?.cancel()
                return c
            }
            others.append(reply)
            if others.count > 1000 { others.removeFirst(500) }
            return nil
        }
        continuation?.resume(returning: reply)
    }

    func fail(_ id: Int64, with error: BusClientError = .disconnected) {
        let waiting = lock.withLock { () -> CheckedContinuation<WireReply, Error>? in
            timers.removeValue(forKey: id)?.cancel()
            return pending.removeValue(forKey: id)
        }
        waiting?.resume(throwing: error)
    }

    /// The reply's deadline, cancelled when the reply comes.
    func attach(_ timer: Scheduled<Void>, to id: Int64) {
        let stale = lock.withLock { () -> Bool in
            guard pending[id] != nil else { return true }
            timers[id] = timer
            return false
        }
        if stale { timer.cancel() }
    }

    func closeAll() {
        let all = lock.withLock { () -> [CheckedContinuation<WireReply, Error>] in
            closed = true
            let all = Array(pending.values)
            pending.removeAll()
            for timer in timers.values { timer.cancel() }
            timers.removeAll()
            return all
        }
        for c in all { c.resume(throwing: BusClientError.disconnected) }
        events.finish()
    }

    var unsolicitedReplies: [WireReply] { lock.withLock { others } }
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
