import Foundation
import NIOCore

/// Where a connection's bytes go. The socket's is `NIOAsyncChannel`'s writer, whose `write` suspends while the
/// peer is not reading (back-pressure comes from the writer, not from polling); tests use an in-memory one.
protocol ConnectionOutput: Sendable {
    func write(_ buffer: ByteBuffer) async throws
    /// Ends the connection now (a reader that stopped reading, a client that cannot be served).
    func close()
    /// Returns once the connection is closed (by either side).
    func closed() async
    /// Runs `body` once every write made so far has reached the channel (the socket's writes are handed to the
    /// event loop; in memory, they already have).
    func afterWrites(_ body: @escaping @Sendable () -> Void)
    /// The loop a socket's channel lives on, for live events written straight to it (`LiveSink`); nil in memory.
    var eventLoop: (any EventLoop)? { get }
    /// On `eventLoop`: whether the socket takes writes now.
    var isWritable: Bool { get }
    /// On `eventLoop`: writes `buffer` to the channel and flushes, outside the async writer.
    func writeNow(_ buffer: ByteBuffer)
}

extension ConnectionOutput {
    func afterWrites(_ body: @escaping @Sendable () -> Void) { body() }
    var eventLoop: (any EventLoop)? { nil }
    var isWritable: Bool { false }
    func writeNow(_ buffer: ByteBuffer) {}
}

/// What every connection of one server shares.
struct ConnectionContext: Sendable {
    var bus: MessageBus
    var registry: AgentRegistry
    var presence: PresenceKeeper
    var lines: EventLineCache
    var limits: BusServer.Limits
    var token: String?
    var metrics = ServerMetrics()
}

/// One client of `b00t bus serve`, from its first request to its last: hello (token, identity), rate limit,
/// routing of ops, the event stream. Requests are handled one after another, so replies keep request order;
/// event lines are written beside them by the stream task, never before the subscribe ack.
///
/// The transport is only an `AsyncSequence` of `WireInbound` and a `ConnectionOutput`, so a whole conversation
/// can be tested in memory, without a socket.
struct BusConnection: Sendable {
    let context: ConnectionContext

    /// The identity a connection holds in the registry while it speaks as an agent.
    final class Holder: Sendable {}

    /// `shared` is the pipeline's, when a `RequestDecoder` in front answers pings (the socket); else its own.
    func run<Inbound: AsyncSequence>(_ inbound: Inbound, _ output: some ConnectionOutput, shared: ConnectionShared? = nil) async
    where Inbound.Element == WireInbound {
        let holder = Holder()
        let handOver = shared != nil
        let metrics = context.metrics
        let writer = WatchedWriter(output: output, timeout: context.limits.slowConsumerTimeout,
                                   onCutOff: { metrics.slowConsumerDisconnects.increment() })
        let watchdog = Task { await writer.watch() }
        var session = Conversation(context: context, holder: ObjectIdentifier(holder), writer: writer,
                                   shared: shared ?? ConnectionShared(limits: context.limits))
        metrics.connections.increment()
        defer {
            watchdog.cancel()
            session.end()
            metrics.connections.decrement()
        }
        do {
            for try await item in inbound {
                guard try await session.handle(item) else { return }
                // The pipeline counted this item as handed over; once its answer is on the channel, a ping
                // behind it may be answered by the pipeline again.
                if handOver { output.afterWrites { [shared = session.shared] in shared.answered() } }
            }
        } catch {
            return  // the connection went away
        }
        // The client sent everything it will send (a half-close): every reply went out; a subscriber keeps its
        // stream until it disconnects, anyone else is done.
        await session.waitForStream(orUntil: output)
    }
}

/// A writer that notices when one write has been waiting too long (the peer stopped reading with the socket
/// buffers full) and ends the connection then, instead of buffering for it.
final class WatchedWriter: @unchecked Sendable {
    private let output: any ConnectionOutput
    private let timeout: Duration
    private let lock = NSLock()
    /// Writes under way, and since when the oldest of them has waited (reset whenever one completes: the peer
    /// is reading then).
    private var inFlight = 0
    private var waitingSince: ContinuousClock.Instant?
    private var closed = false
    /// Told once when the watchdog cuts the reader off (a metric).
    private let onCutOff: @Sendable () -> Void

    init(output: any ConnectionOutput, timeout: Duration, onCutOff: @escaping @Sendable () -> Void = {}) {
        self.output = output
        self.timeout = timeout
        self.onCutOff = onCutOff
    }

    func write(_ buffer: ByteBuffer) async throws {
        lock.withLock {
            if inFlight == 0 { waitingSince = .now }
            inFlight += 1
        }
        defer {
            lock.withLock {
                inFlight -= 1
                waitingSince = inFlight == 0 ? nil : .now
            }
        }
        try await output.write(buffer)
    }

    func write(_ text: String) async throws { try await write(ByteBuffer(string: text)) }

    /// This connection as a `LiveSink`, when its output is a socket on an event loop.
    var liveSink: (any LiveSink)? {
        guard let loop = output.eventLoop else { return nil }
        return DirectWrites(writer: self, loop: loop)
    }

    /// Nothing is being written, nor has been cut off: a write made now is the next thing on the wire.
    var idle: Bool { lock.withLock { inFlight == 0 && !closed } }

    /// The writer's socket, written straight from the event line cache while the writer is idle and the socket
    /// writable (so a direct line never overtakes a reply or an event of the stream, and never buffers).
    private final class DirectWrites: LiveSink {
        let writer: WatchedWriter
        let loop: any EventLoop
        init(writer: WatchedWriter, loop: any EventLoop) {
            self.writer = writer
            self.loop = loop
        }
        func canWriteNow() -> Bool { writer.idle && writer.output.isWritable }
        func writeNow(_ buffer: ByteBuffer) { writer.output.writeNow(buffer) }
    }

    /// Checks a few times per timeout for writes stuck longer than it.
    func watch() async {
        let tick = min(timeout / 4, .milliseconds(250))
        while !Task.isCancelled {
            try? await Task.sleep(for: tick)
            let now = ContinuousClock.now
            let stuck = lock.withLock { !closed && waitingSince.map { now - $0 > timeout } == true }
            if stuck {
                onCutOff()
                close()
            }
        }
    }

    func close() {
        lock.withLock { closed = true }
        output.close()
    }
}

/// The per-connection state machine behind `BusConnection.run`.
struct Conversation {
    let context: ConnectionContext
    let holder: ObjectIdentifier
    let writer: WatchedWriter
    /// The rate limit and the agent's name, shared with the pipeline (see `ConnectionShared`).
    let shared: ConnectionShared
    /// Who the connection speaks as: kept in `shared` alone, where the pipeline's pong reads it too.
    var agent: String? {
        get { shared.agent }
        nonmutating set { shared.agent = newValue }
    }
    var stream: Task<Void, Never>?

    init(context: ConnectionContext, holder: ObjectIdentifier, writer: WatchedWriter, shared: ConnectionShared) {
        self.context = context
        self.holder = holder
        self.writer = writer
        self.shared = shared
    }

    /// Handles one inbound item; false when the connection should end.
    mutating func handle(_ item: WireInbound) async throws -> Bool {
        switch item {
        case .tooLong(let length):
            try await writer.write(WireProtocol.error(.none, "line of \(length) bytes exceeds the \(context.limits.maximumLineLength)-byte limit; it was dropped", code: "too_long"))
        case .malformed(let why, let id):
            guard shared.take() else { try await rateLimited(id); return true }
            try await writer.write(WireProtocol.error(id, why, code: "malformed"))
        case .request(let request):
            try await handle(request)
        }
        return true
    }

    private mutating func handle(_ request: WireProtocol.Request) async throws {
        let batch = request.op == "batch" ? (request.fields["cmds"] as? [Any]) : nil
        let cost = Double(max(1, batch?.count ?? 1))
        if cost > context.limits.burst, context.limits.rate > 0 {
            // Waiting would never help: say what would.
            return try await writer.write(WireProtocol.error(request.id, "a batch of \(Int(cost)) commands is larger than this bus's burst of \(Int(context.limits.burst)); split it into batches of at most \(Int(context.limits.burst))", code: "too_large"))
        }
        guard shared.take(cost) else { return try await rateLimited(request.id) }
        switch request.op {
        case "ping":
            return try await writer.write(WireProtocol.pong(request.id, agent: agent))
        case "hello":
            return try await hello(request)
        default:
            break
        }
        guard let agent else {
            return try await writer.write(WireProtocol.error(request.id, "say hello first: {\"v\":1,\"op\":\"hello\",\"agent\":\"YOUR-ID\"}", code: "no_hello"))
        }
        switch request.op {
        case "subscribe":
            let from: UInt64
            do { from = try request.count("from_seq") ?? request.count("after") ?? 0 } catch {
                return try await writer.write(WireProtocol.error(request.id, "\(error)", code: "malformed"))
            }
            // The ack first: no event line ever precedes it.
            try await writer.write(WireProtocol.ok(request.id, op: "subscribe", extra: "\"from_seq\":\(from)"))
            if let old = stream { old.cancel() } else { context.metrics.subscribers.increment() }
            stream = Self.stream(after: from, lines: context.lines, backend: context.bus.backend, writer: writer)
        case "unsubscribe":
            if let old = stream {
                old.cancel()
                context.metrics.subscribers.decrement()
            }
            stream = nil
            try await writer.write(WireProtocol.ok(request.id, op: "unsubscribe"))
        case "state":
            var state = await context.bus.state
            if let fresh = try? await context.bus.currentState() { state = fresh }
            let json = (try? WireProtocol.encoder.encode(state)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
            try await writer.write(WireProtocol.ok(request.id, op: "state", extra: "\"state\":\(json)"))
        case "events":
            let after: UInt64, limit: Int
            do {
                limit = Int(try request.count("limit", in: 1...10_000) ?? 1_000)
                after = try request.count("after") ?? 0
            } catch {
                return try await writer.write(WireProtocol.error(request.id, "\(error)", code: "malformed"))
            }
            do {
                let events = try await context.bus.backend.read(after: after, limit: limit)
                try await writer.write(WireProtocol.ok(request.id, op: "events", extra: "\"events\":[\(Self.json(events))]"))
            } catch let error as BusError {
                try await writer.write(WireProtocol.refusal(request.id, error))
            }
        case "batch":
            guard let batch else {
                return try await writer.write(WireProtocol.error(request.id, "batch needs \"cmds\": [ {\"op\":…}, … ]", code: "malformed"))
            }
            var commands: [BusCommand] = []
            for (index, item) in batch.enumerated() {
                guard var fields = item as? [String: Any], let op = fields.removeValue(forKey: "op") as? String else {
                    return try await writer.write(WireProtocol.error(request.id, "cmds[\(index)] must be an object with an \"op\"", code: "malformed"))
                }
                do { commands.append(try WireProtocol.command(op: op, fields: fields, agent: agent)) } catch {
                    return try await writer.write(WireProtocol.error(request.id, "cmds[\(index)]: \(error.description)", code: error.code))
                }
            }
            try await submit(commands, id: request.id, op: "batch", agent: agent)
        default:
            let command: BusCommand
            do { command = try WireProtocol.command(op: request.op, fields: request.fields, agent: agent) } catch {
                return try await writer.write(WireProtocol.refusal(request.id, error))
            }
            try await submit([command], id: request.id, op: request.op, agent: agent)
        }
    }

    private func submit(_ commands: [BusCommand], id: WireID, op: String, agent: String) async throws {
        let reply: String
        do {
            let events = try await context.bus.submit(commands)
            // Presence covers registered agents only (a `bus tail` or `ping` connection is nobody): the first
            // registration of a connected agent brings it online before the reply.
            for command in commands {
                if case .register(let registered) = command { await context.presence.settle(registered.id) }
            }
            if op == "batch" {
                // Bulk writers get the range, not the events back (they can subscribe to see them).
                let first = events.first?.seq ?? 0, last = events.last?.seq ?? 0
                reply = WireProtocol.ok(id, op: op, extra: "\"count\":\(events.count),\"first_seq\":\(first),\"last_seq\":\(last)")
            } else {
                reply = Self.okReply(id, op: op, events: events)
            }
        } catch let error as BusError {
            reply = WireProtocol.refusal(id, error)
        } catch {
            reply = WireProtocol.error(id, "\(error)", code: "internal")
        }
        try await writer.write(reply)
    }

    private mutating func hello(_ request: WireProtocol.Request) async throws {
        if let expected = context.token {
            guard let given = request.string("token"), Self.constantTimeEquals(given, expected) else {
                return try await writer.write(WireProtocol.error(request.id, "wrong or missing token (set B00T_BUS_TOKEN or read the state dir's bus.token)", code: "unauthorized"))
            }
        }
        guard let id = request.string("agent"), (try? BusState.checkName(id, what: "agent id")) != nil else {
            return try await writer.write(WireProtocol.error(request.id, "hello needs \"agent\": an id of 1–64 letters, digits, '-', '_' or '.'", code: "malformed"))
        }
        if agent != id {
            // A connection may change who it speaks as (`/as` in k0mmand3r): the old identity is released first.
            guard context.registry.claim(id, by: holder) else {
                return try await writer.write(WireProtocol.error(request.id, "agent '\(id)' is already connected elsewhere; one live connection per agent", code: "conflict"))
            }
            if let current = agent {
                context.registry.release(current, by: holder)
                await context.presence.settle(current, reason: "switched to \(id)")
            }
            agent = id
            await context.presence.settle(id)
        }
        let seq = (try? await context.bus.backend.lastSequence()) ?? 0
        try await writer.write(WireProtocol.ok(request.id, op: "hello", extra: "\"agent\":\(WireProtocol.jsonString(id)),\"last_seq\":\(seq)"))
    }

    private func rateLimited(_ id: WireID) async throws {
        context.metrics.rateLimited.increment()
        try await writer.write(shared.rateLimitedReply(id))
    }

    /// After the client's input ended: a subscriber's stream runs until the connection closes.
    func waitForStream(orUntil output: some ConnectionOutput) async {
        guard let stream else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await stream.value }
            group.addTask { await output.closed() }
            await group.next()
            stream.cancel()  // not a child of this group: cancelling the group alone would leave it running
        }
    }

    /// The connection is over: its identity is released (and goes offline), its stream stops.
    mutating func end() {
        if let old = stream {
            old.cancel()
            context.metrics.subscribers.decrement()
        }
        stream = nil
        if let agent {
            context.registry.release(agent, by: holder)
            context.presence.changed(agent)
        }
    }

    /// Streams event lines after `seq` until cancelled or the connection closes; a reader that leaves the socket
    /// full too long is cut off by the writer's watchdog.
    static func stream(after seq: UInt64, lines: EventLineCache, backend: any BusBackend, writer: WatchedWriter) -> Task<Void, Never> {
        // On the connection's executor (an unstructured task does not inherit it by itself).
        let executor = withUnsafeCurrentTask { $0?.unownedTaskExecutor?.asTaskExecutor() }
        let sink = writer.liveSink
        return Task(executorPreference: executor) {
            var cursor = seq
            do {
                while !Task.isCancelled {
                    guard let (batch, last) = try await lines.lines(after: cursor, limit: 1_000) else {
                        // Caught up: live events may be written to the socket straight from the cache meanwhile.
                        cursor = await lines.waitForNew(after: cursor, sink: sink)
                        continue
                    }
                    try await writer.write(EventLineCache.joined(batch))
                    cursor = last
                }
            } catch {
                // Unsubscribed or disconnected: not an error anyone needs to read (whatever the store wrapped it in).
                if Task.isCancelled || error is CancellationError { return }
                if error is BusError {
                    try? await writer.write(WireProtocol.error(.none, "stream stopped: \(error)", code: "internal"))
                }
            }
        }
    }

    /// The answer to a command that appended `events` (here and in `PipelineAppends`).
    static func okReply(_ id: WireID, op: String, events: [BusEvent]) -> String {
        WireProtocol.ok(id, op: op, extra: "\"events\":[\(json(events))]")
    }

    static func json(_ events: [BusEvent]) -> String {
        events.map { String(decoding: EventJSON.encode($0), as: UTF8.self) }.joined(separator: ",")
    }

    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) { diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0) }
        return diff == 0
    }
}
