#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOCore

/// One client connection: framing errors, rate limit and identity are handled here on the event loop;
/// commands go to a per-connection task (so replies keep request order) and subscriptions to another.
final class BusConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = InboundFrame

    private let server: BusServer
    private var bucket: TokenBucket
    private var agent: String?
    private var work: AsyncStream<WorkItem>.Continuation?
    private var worker: Task<Void, Never>?
    private let subscription = SubscriptionBox()
    private var channel: Channel?

    enum WorkItem: Sendable {
        /// An answer already known (ping, refusals): queued so replies keep the order of requests.
        case reply(String)
        /// `released`: the identity this connection spoke as before (a re-bind), now offline.
        case hello(id: WireID, agent: String, released: String?)
        case commands(id: WireID, op: String, [BusCommand])
        case state(id: WireID)
        case events(id: WireID, after: UInt64, limit: Int)
        /// Acknowledged in order, then the stream starts: no event line ever precedes the ack.
        case subscribe(id: WireID, after: UInt64)
        case unsubscribe(id: WireID)
    }

    init(server: BusServer) {
        self.server = server
        self.bucket = TokenBucket(rate: server.limits.rate, burst: server.limits.burst)
    }

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        self.channel = channel
        if let provider = channel as? SocketOptionProvider {
            let future: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(
                level: NIOBSDSocket.OptionLevel(rawValue: SOL_SOCKET), name: NIOBSDSocket.Option(rawValue: SO_PEERCRED))
            let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
            future.whenSuccess { credentials in
                if credentials.uid != getuid() {
                    _ = loopBound
                    let refusal = WireProtocol.error(.none, "connections from uid \(credentials.uid) are refused; the bus belongs to uid \(getuid())", code: "forbidden")
                    channel.writeAndFlush(channel.allocator.buffer(string: refusal)).whenComplete { _ in channel.close(promise: nil) }
                }
            }
        }
        let made = AsyncStream<WorkItem>.makeStream(bufferingPolicy: .bufferingOldest(Self.maximumQueued))
        let stream = made.stream
        work = made.continuation
        let bus = server.bus
        worker = Self.startWorker(stream, context: WorkerContext(
            bus: bus, channel: channel, timeout: server.limits.slowConsumerTimeout, lines: server.lines,
            subscription: subscription, presence: server.presence))
        context.fireChannelActive()
    }

    /// Requests waiting for their turn; a client that sends more without reading replies is cut off.
    static let maximumQueued = 4_096

    /// What the per-connection worker needs.
    struct WorkerContext: Sendable {
        var bus: MessageBus
        var channel: any Channel
        var timeout: Duration
        var lines: EventLineCache
        var subscription: SubscriptionBox
        var presence: PresenceKeeper
    }

    private static func startWorker(_ stream: AsyncStream<WorkItem>, context: WorkerContext) -> Task<Void, Never> {
        Task { await process(stream, context) }
    }

    /// Runs a connection's commands one after another and writes each reply.
    private static func process(_ stream: AsyncStream<WorkItem>, _ context: WorkerContext) async {
        let bus = context.bus, channel = context.channel, timeout = context.timeout
        for await item in stream {
            let reply: String
            var startStream: UInt64? = nil
            switch item {
            case .subscribe(let id, let after):
                reply = WireProtocol.ok(id, op: "subscribe", extra: "\"from_seq\":\(after)")
                startStream = after
            case .unsubscribe(let id):
                context.subscription.replace(with: nil)
                reply = WireProtocol.ok(id, op: "unsubscribe")
            case .reply(let text):
                reply = text
            case .hello(let id, let agent, let released):
                if let released { await context.presence.settle(released, reason: "switched to \(agent)") }
                await context.presence.settle(agent)
                let seq = (try? await bus.backend.lastSequence()) ?? 0
                reply = WireProtocol.ok(id, op: "hello", extra: "\"agent\":\(WireProtocol.jsonString(agent)),\"last_seq\":\(seq)")
            case .commands(let id, let op, let commands):
                do {
                    let events = try await bus.submit(commands)
                    // Presence covers registered agents only (a `bus tail` or `ping` connection is nobody): the
                    // first registration of a connected agent brings it online before the reply.
                    for command in commands {
                        if case .register(let agent) = command { await context.presence.settle(agent.id) }
                    }
                    if op == "batch" {
                        // Bulk writers get the range, not the events back (they can subscribe to see them).
                        let first = events.first?.seq ?? 0, last = events.last?.seq ?? 0
                        reply = WireProtocol.ok(id, op: op, extra: "\"count\":\(events.count),\"first_seq\":\(first),\"last_seq\":\(last)")
                    } else {
                        let encoded = try events.map { String(decoding: try WireProtocol.encodeEvent($0), as: UTF8.self) }
                        reply = WireProtocol.ok(id, op: op, extra: "\"events\":[\(encoded.joined(separator: ","))]")
                    }
                } catch let error as BusError {
                    reply = WireProtocol.error(id, error.description, code: code(error), busError: error)
                } catch {
                    reply = WireProtocol.error(id, "\(error)", code: "internal")
                }
            case .events(let id, let after, let limit):
                do {
                    let events = try await bus.backend.read(after: after, limit: limit)
                    let encoded = try events.map { String(decoding: try WireProtocol.encodeEvent($0), as: UTF8.self) }
                    reply = WireProtocol.ok(id, op: "events", extra: "\"events\":[\(encoded.joined(separator: ","))]")
                } catch {
                    reply = WireProtocol.error(id, "\(error)", code: "internal")
                }
            case .state(let id):
                var state = await bus.state
                if let fresh = try? await bus.currentState() { state = fresh }
                let json = (try? WireProtocol.encoder.encode(state)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
                reply = WireProtocol.ok(id, op: "state", extra: "\"state\":\(json)")
            }
            // A client that does not read its replies must not grow our buffers: wait a while, then cut it off.
            let deadline = ContinuousClock.now + timeout
            while !channel.isWritable {
                if ContinuousClock.now >= deadline || !channel.isActive {
                    channel.close(promise: nil)
                    return
                }
                try? await Task.sleep(for: .milliseconds(5))
            }
            channel.writeAndFlush(channel.allocator.buffer(string: reply), promise: nil)
            if let after = startStream {
                context.subscription.replace(with: Self.stream(after: after, channel: channel, lines: context.lines,
                                                          backend: bus.backend, timeout: timeout))
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let agent {
            server.registry.release(agent, by: ObjectIdentifier(self))
            server.presence.changed(agent)
        }
        // Commands already taken finish (their events may be written); only their replies have nowhere to go.
        work?.finish()
        subscription.replace(with: nil)
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            // The client sent everything it will send: answer it all, then close unless it is streaming.
            work?.finish()
            let channel = context.channel
            let streaming = subscription.isActive
            let worker = self.worker
            Task {
                await worker?.value
                if !streaming { try? await channel.close() }
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .tooLong(let length):
            send(WireProtocol.error(.none, "line of \(length) bytes exceeds the \(server.limits.maximumLineLength)-byte limit; it was dropped", code: "too_long"))
        case .line(let buffer):
            guard buffer.readableBytes > 0 else { return }
            handle(buffer.readableBytesView)
        }
    }

    private func handle(_ bytes: ByteBufferView) {
        let request: WireProtocol.Request
        do {
            request = try WireProtocol.parse(bytes)
        } catch {
            guard bucket.take() else { return rateLimited(.none) }
            return send(WireProtocol.error(.none, error.description, code: "malformed"))
        }
        let batch = request.op == "batch" ? (request.fields["cmds"] as? [Any]) : nil
        let cost = Double(max(1, batch?.count ?? 1))
        if cost > server.limits.burst, server.limits.rate > 0 {
            // Waiting would never help: say what would.
            return send(WireProtocol.error(request.id, "a batch of \(Int(cost)) commands is larger than this bus's burst of \(Int(server.limits.burst)); split it into batches of at most \(Int(server.limits.burst))", code: "too_large"))
        }
        guard bucket.take(cost) else { return rateLimited(request.id) }
        switch request.op {
        case "ping":
            send(WireProtocol.ok(request.id, op: "pong", extra: "\"agent\":\(agent.map(WireProtocol.jsonString) ?? "null")"))
        case "hello":
            hello(request)
        default:
            guard let agent else {
                return send(WireProtocol.error(request.id, "say hello first: {\"v\":1,\"op\":\"hello\",\"agent\":\"YOUR-ID\"}", code: "no_hello"))
            }
            switch request.op {
            case "subscribe":
                do {
                    let from = try request.count("from_seq") ?? request.count("after") ?? 0
                    enqueue(.subscribe(id: request.id, after: from))
                } catch {
                    send(WireProtocol.error(request.id, "\(error)", code: "malformed"))
                }
            case "unsubscribe":
                enqueue(.unsubscribe(id: request.id))
            case "state":
                enqueue(.state(id: request.id))
            case "events":
                do {
                    let limit = Int(try request.count("limit", in: 1...10_000) ?? 1_000)
                    enqueue(.events(id: request.id, after: try request.count("after") ?? 0, limit: limit))
                } catch {
                    send(WireProtocol.error(request.id, error.description, code: "malformed"))
                }
            case "batch":
                guard let batch else {
                    return send(WireProtocol.error(request.id, "batch needs \"cmds\": [ {\"op\":…}, … ]", code: "malformed"))
                }
                var commands: [BusCommand] = []
                for (index, item) in batch.enumerated() {
                    guard var fields = item as? [String: Any], let op = fields.removeValue(forKey: "op") as? String else {
                        return send(WireProtocol.error(request.id, "cmds[\(index)] must be an object with an \"op\"", code: "malformed"))
                    }
                    do { commands.append(try WireProtocol.command(op: op, fields: fields, agent: agent)) } catch {
                        return send(WireProtocol.error(request.id, "cmds[\(index)]: \(error.description)", code: Self.code(error)))
                    }
                }
                enqueue(.commands(id: request.id, op: "batch", commands))
            default:
                do {
                    let command = try WireProtocol.command(op: request.op, fields: request.fields, agent: agent)
                    enqueue(.commands(id: request.id, op: request.op, [command]))
                } catch {
                    send(WireProtocol.error(request.id, error.description, code: Self.code(error), busError: error))
                }
            }
        }
    }

    private func hello(_ request: WireProtocol.Request) {
        if let expected = server.endpoint.token {
            guard let given = request.string("token"), Self.constantTimeEquals(given, expected) else {
                return send(WireProtocol.error(request.id, "wrong or missing token (set B00T_BUS_TOKEN or read the state dir's bus.token)", code: "unauthorized"))
            }
        }
        guard let id = request.string("agent"), (try? BusState.checkName(id, what: "agent id")) != nil else {
            return send(WireProtocol.error(request.id, "hello needs \"agent\": an id of 1–64 letters, digits, '-', '_' or '.'", code: "malformed"))
        }
        var released: String? = nil
        if agent != id {
            // A connection may change who it speaks as (`/as` in k0mmand3r): the old identity is released first.
            guard server.registry.claim(id, by: ObjectIdentifier(self)) else {
                return send(WireProtocol.error(request.id, "agent '\(id)' is already connected elsewhere; one live connection per agent", code: "conflict"))
            }
            if let current = agent {
                server.registry.release(current, by: ObjectIdentifier(self))
                released = current
            }
            agent = id
        }
        enqueue(.hello(id: request.id, agent: id, released: released))
    }

    /// Streams event lines after `seq` until cancelled; a reader that leaves the socket full too long is cut off.
    private static func stream(after seq: UInt64, channel: any Channel, lines: EventLineCache, backend: any BusBackend,
                               timeout: Duration) -> Task<Void, Never> {
        Task {
            var cursor = seq
            do {
                while !Task.isCancelled {
                    guard let (batch, last) = try await lines.lines(after: cursor, limit: 1_000) else {
                        await backend.waitForEvents(after: cursor, timeout: .seconds(1))
                        continue
                    }
                    // Back-pressure: wait while the socket's buffers are full; a reader that stays away is cut off.
                    let deadline = ContinuousClock.now + timeout
                    while !channel.isWritable {
                        if ContinuousClock.now >= deadline || !channel.isActive {
                            channel.close(promise: nil)
                            return
                        }
                        try await Task.sleep(for: .milliseconds(5))
                    }
                    var out = channel.allocator.buffer(capacity: batch.reduce(0) { $0 + $1.readableBytes })
                    for var line in batch { out.writeBuffer(&line) }
                    channel.writeAndFlush(out, promise: nil)
                    cursor = last
                }
            } catch {
                // Unsubscribed or disconnected: not an error anyone needs to read (whatever the store wrapped it in).
                if Task.isCancelled || error is CancellationError { return }
                let message = WireProtocol.error(.none, "stream stopped: \(error)", code: "internal")
                channel.writeAndFlush(channel.allocator.buffer(string: message), promise: nil)
            }
        }
    }

    private func rateLimited(_ id: WireID) {
        send(WireProtocol.error(id, "rate limit: \(Int(server.limits.rate)) messages/s (burst \(Int(server.limits.burst))); slow down", code: "rate_limited"))
    }

    /// Queues a ready reply behind earlier requests' replies.
    func send(_ text: String) { enqueue(.reply(text)) }

    private func enqueue(_ item: WorkItem) {
        guard let work else { return }
        if case .dropped = work.yield(item) {
            // Thousands of requests unanswered because the client is not reading: it is not a client we can serve.
            work.finish()
            channel?.close(promise: nil)
        }
    }

    static func code(_ error: BusError) -> String {
        switch error {
        case .notAllowed: return "forbidden"
        case .unknownAgent, .notFound: return "not_found"
        case .closed: return "closed"
        case .duplicate: return "duplicate"
        case .invalid: return "invalid"
        case .timeout: return "timeout"
        default: return "internal"
        }
    }

    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) { diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0) }
        return diff == 0
    }
}

/// The connection's event stream task, replaced or cancelled from the event loop or the worker.
final class SubscriptionBox: @unchecked Sendable {
    private let lock = NSLock()
    private var task: Task<Void, Never>?

    func replace(with new: Task<Void, Never>?) {
        let old = lock.withLock { () -> Task<Void, Never>? in
            let old = task
            task = new
            return old
        }
        old?.cancel()
    }

    var isActive: Bool { lock.withLock { task != nil } }
}
