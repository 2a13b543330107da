#if canImport(Glibc)
import Glibc
#endif
import CoreMetrics
import Foundation
import NIOCore
import NIOPosix

/// `b00t bus serve`: a bus on a Unix socket speaking newline-delimited JSON. The socket's directory is 0700
/// and the socket 0600; peers of another uid are refused (SO_PEERCRED); each connection is bound to one
/// agent by `hello`, rate-limited, and disconnected if it stops reading its stream.
public final class BusServer: Sendable {
    public struct Limits: Sendable {
        /// Messages a second per connection (0: unlimited) and the burst allowed above it.
        public var rate: Double = 200
        public var burst: Double = 400
        public var maximumLineLength = WireProtocol.maximumLineLength
        /// How long a subscriber may leave its stream unread (with the socket buffers full) before it is cut off.
        public var slowConsumerTimeout: Duration = .seconds(5)
        public init(rate: Double = 200, burst: Double = 400, slowConsumerTimeout: Duration = .seconds(5)) {
            self.rate = rate
            self.burst = burst
            self.slowConsumerTimeout = slowConsumerTimeout
        }
    }

    public let bus: MessageBus
    public let endpoint: BusEndpoint
    public let limits: Limits
    /// The connections' event loops: the bus's own loop when it has one (`MessageBus(…eventLoop:)`; then
    /// commands are appended in the pipeline, see `PipelineAppends`), else a group of `threads` of its own.
    let group: any EventLoopGroup
    /// Commands and rate-limit refusals answered in the pipeline (see `PipelineAppends`, `RequestDecoder`), for
    /// tests and diagnostics.
    public var answeredInPipeline: Int { pipelineAnswers.count }
    let pipelineAnswers = PipelineCount()
    /// Whether `shutdown` stops `group` (not the bus's loop: the bus outlives the server, for its snapshot).
    private let ownsGroup: Bool
    let registry = AgentRegistry()
    let lines: EventLineCache
    let presence: PresenceKeeper
    let metrics: ServerMetrics
    private let channelBox = ChannelBox()
    private let acceptor = TaskBox()
    /// Connections being served, so a shutdown can close them before it stops the event loops.
    private let open = ChannelSet()
    /// The flock on `<socket>.lock`, held while this server runs.
    private let ownership = LockBox()

    public init(bus: MessageBus, endpoint: BusEndpoint, limits: Limits = Limits(), threads: Int = 1,
                metrics factory: (any MetricsFactory)? = nil) {
        self.metrics = ServerMetrics(factory: factory ?? MetricsSystem.factory)
        self.bus = bus
        self.endpoint = endpoint
        self.limits = limits
        if let loop = bus.eventLoop {
            self.group = loop
            self.ownsGroup = false
        } else {
            self.group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
            self.ownsGroup = true
        }
        self.lines = EventLineCache(backend: bus.backend)
        self.presence = PresenceKeeper(bus: bus, registry: registry)
    }

    /// Binds the socket (replacing a stale socket file) and starts accepting. Refuses when another live server
    /// owns the socket: a second `bus serve` on the same state would otherwise take the path from the managed
    /// daemon, which lives on unreachable while two logs' worth of "one connection per agent" diverge.
    public func start() async throws {
        let directory = (endpoint.socketPath as NSString).deletingLastPathComponent
        try B00tPaths.ensurePrivateDirectory(directory)
        let lockPath = endpoint.socketPath + ".lock"
        do {
            ownership.set(try FileLock(path: lockPath, timeout: .zero, notifyAfter: .seconds(3600)))
        } catch LockError.timedOut(_, let holder, _, _) {
            throw BusServerError.socketInUse(endpoint.socketPath, holder: holder)
        }
        let server = self
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 128)
            .childChannelOption(ChannelOptions.writeBufferWaterMark, value: .init(low: 256 * 1024, high: 1024 * 1024))
            // A client that sends its requests and then shuts down its write side (socat, nc) still gets every reply.
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
        let serverChannel = try await bootstrap.bind(unixDomainSocketPath: endpoint.socketPath, cleanupExistingSocketFile: true) { channel in
            channel.eventLoop.makeCompletedFuture {
                // Framing and parsing stay on the event loop; everything after is the async `BusConnection`.
                try channel.pipeline.syncOperations.addHandler(
                    ByteToMessageHandler(BoundedLineDecoder(maximumLength: server.limits.maximumLineLength)))
                let shared = ConnectionShared(limits: server.limits)
                let appends = server.bus.eventLoop.map { PipelineAppends(bus: server.bus, loop: $0, answered: server.pipelineAnswers) }
                try channel.pipeline.syncOperations.addHandler(RequestDecoder(shared: shared, appends: appends, metrics: server.metrics,
                                                                                 answered: server.pipelineAnswers))
                return AcceptedConnection(channel: try NIOAsyncChannel<WireInbound, ByteBuffer>(
                    wrappingChannelSynchronously: channel,
                    configuration: .init(backPressureStrategy: .init(lowWatermark: 16, highWatermark: 256))),
                    shared: shared)
            }
        }
        chmod(endpoint.socketPath, 0o600)
        channelBox.set(serverChannel.channel)
        // Subscribers follow the bus's appends in memory from here on.
        try await lines.attach(to: bus)
        let context = ConnectionContext(bus: bus, registry: registry, presence: presence, lines: lines, limits: limits,
                                        token: endpoint.token, metrics: metrics)
        let accepting = Task {
            _ = try? await serverChannel.executeThenClose { connections in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in connections {
                        let open = self.open
                        // The connection's whole conversation runs on its channel's event loop (see
                        // EventLoopTaskExecutor): no thread hop between a request, the bus and the reply.
                        group.addTask(executorPreference: EventLoopTaskExecutor(connection.channel.channel.eventLoop)) {
                            let id = open.insert(connection.channel.channel)
                            defer { open.remove(id) }
                            await Self.serve(connection.channel, context, shared: connection.shared)
                        }
                    }
                }
            }
        }
        acceptor.set(accepting)
        // Connections do not outlive the process that hosted them: whoever the log shows online is gone.
        await presence.reconcileAll(reason: "bus daemon restarted")
    }

    /// One accepted connection: the peer's uid first (SO_PEERCRED), then its conversation until it ends.
    static func serve(_ connection: NIOAsyncChannel<WireInbound, ByteBuffer>, _ context: ConnectionContext,
                      shared: ConnectionShared) async {
        let channel = connection.channel
        if let provider = channel as? SocketOptionProvider {
            let credentials: PeerCredentials? = try? await provider.unsafeGetSocketOption(
                level: NIOBSDSocket.OptionLevel(rawValue: SOL_SOCKET), name: NIOBSDSocket.Option(rawValue: SO_PEERCRED)).get()
            if let credentials, credentials.uid != getuid() {
                let refusal = WireProtocol.error(.none, "connections from uid \(credentials.uid) are refused; the bus belongs to uid \(getuid())", code: "forbidden")
                try? await connection.executeThenClose { _, outbound in try await outbound.write(ByteBuffer(string: refusal)) }
                return
            }
        }
        try? await connection.executeThenClose { inbound, outbound in
            await BusConnection(context: context).run(inbound, SocketOutput(outbound: outbound, channel: channel), shared: shared)
        }
    }

    /// Runs until `shutdown()` (or the listening socket closes).
    public func waitUntilClosed() async throws {
        guard let channel = channelBox.get() else { return }
        try await channel.closeFuture.get()
    }

    public func shutdown() async {
        let connected = registry.agents  // before their connections close and release them
        presence.stopping(reason: Self.stoppedReason)
        if let channel = channelBox.get() { try? await channel.close() }
        for channel in open.all { try? await channel.close() }
        lines.detach()
        await acceptor.finish()
        unlink(endpoint.socketPath)
        await presence.finish(reason: Self.stoppedReason, connected: connected)
        ownership.set(nil)
        if ownsGroup { try? await group.shutdownGracefully() }
    }

    /// Why agents went offline when the daemon stopped cleanly, as the crew's stream shows it.
    public static let stoppedReason = "bus daemon stopped"

    /// Agents currently bound to a connection.
    public var connectedAgents: Int { registry.count }

    /// Their ids, sorted.
    public var connectedAgentIDs: [String] { registry.agents }
}

/// Why a bus server could not start.
public enum BusServerError: Error, CustomStringConvertible, Equatable {
    case socketInUse(String, holder: pid_t?)

    public var description: String {
        switch self {
        case .socketInUse(let path, let holder):
            return "another b00t bus serve\(holder.map { " (pid \($0))" } ?? "") already serves \(path); "
                + "use it (b00t bus ping), or stop it first (b00t stop b00t-bus.process), or pass another --socket"
        }
    }
}

/// A connection's writer on the socket: `write` suspends while the peer is not reading.
struct SocketOutput: ConnectionOutput {
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    let channel: any Channel
    func write(_ buffer: ByteBuffer) async throws { try await outbound.write(buffer) }
    func close() { channel.close(promise: nil) }
    func closed() async { try? await channel.closeFuture.get() }
    /// A write from off the loop is queued on it (NIOAsyncWriter hands it over with `execute`); `body` queued
    /// behind it runs after it. On the loop the write has already gone to the channel.
    func afterWrites(_ body: @escaping @Sendable () -> Void) {
        if channel.eventLoop.inEventLoop { body() } else { channel.eventLoop.execute(body) }
    }
    var eventLoop: (any EventLoop)? { channel.eventLoop }
    var isWritable: Bool { channel.isWritable }
    func writeNow(_ buffer: ByteBuffer) { channel.writeAndFlush(buffer, promise: nil) }
}

/// An accepted socket and what its pipeline shares with its conversation.
struct AcceptedConnection: Sendable {
    let channel: NIOAsyncChannel<WireInbound, ByteBuffer>
    let shared: ConnectionShared
}

private final class TaskBox: @unchecked Sendable {
    private let lock = NSLock()
    private var task: Task<Void, Never>?
    func set(_ t: Task<Void, Never>) { lock.withLock { task = t } }
    /// Cancels the task and waits for it (and so for every connection it serves) to end.
    func finish() async {
        guard let task = lock.withLock({ task }) else { return }
        task.cancel()
        await task.value
    }
}

private final class ChannelSet: @unchecked Sendable {
    private let lock = NSLock()
    private var channels: [Int: any Channel] = [:]
    private var next = 0
    func insert(_ channel: any Channel) -> Int {
        lock.withLock {
            next += 1
            channels[next] = channel
            return next
        }
    }
    func remove(_ id: Int) { _ = lock.withLock { channels.removeValue(forKey: id) } }
    var all: [any Channel] { lock.withLock { Array(channels.values) } }
}

private final class LockBox: @unchecked Sendable {
    private let lock = NSLock()
    private var held: FileLock?
    func set(_ l: FileLock?) { lock.withLock { held?.release(); held = l } }
}

private final class ChannelBox: @unchecked Sendable {
    private let lock = NSLock()
    private var channel: Channel?
    func set(_ c: Channel) { lock.withLock { channel = c } }
    func get() -> Channel? { lock.withLock { channel } }
}

/// Credentials of the process at the other end of a Unix socket (layout of Linux `struct ucred`).
struct PeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}
