import CoreMetrics
import Foundation

/// A crew bus reached over `b00t bus serve`'s socket. It speaks as one agent (bound by `hello`), folds the
/// server's event stream with the same reducer as the daemon, and so answers queries locally; commands go
/// to the server, which validates them against the one true log.
///
/// It survives the daemon: when the socket closes it reconnects with backoff (through `connector`, which
/// re-ensures the daemon via the orchestrator), says hello again as the same agent and resumes the stream
/// from the last sequence it folded — no gap, no duplicate. Subscribers' streams stay open across it;
/// commands issued meanwhile wait (bounded) for the connection to come back.
public actor RemoteBus: CrewBus {
    /// Where the connection stands; status bars show it.
    public enum Connection: Sendable, Equatable {
        case connected
        case reconnecting(attempt: Int, since: Date, lastError: String?)
        /// The daemon was stopped on purpose from this session: reconnecting waits for it instead of starting it
        /// again at once; the next command that needs the bus starts it.
        case daemonStopped
        case closed
    }

    public private(set) var agent: String
    public nonisolated let endpoint: BusEndpoint
    public private(set) var state: BusState
    public private(set) var connection: Connection = .connected
    /// How many times the connection was re-established.
    public private(set) var reconnects = 0
    /// Reconnects in this process (a metric; made on first use, so after the process enabled its backend).
    public static let reconnectCounter = Counter(label: "b00t_bus_client_reconnects_total")
    private var client: BusClient?
    private let connector: @Sendable () async throws -> BusClient
    private var recent: [BusEvent] = []
    private let recentCapacity = 10_000
    private var waiters: [(seq: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
    private var connectionWaiters: [UUID: CheckedContinuation<Void, Never>] = [:]
    private var subscribers: [UUID: (cursor: UInt64, continuation: AsyncThrowingStream<BusEvent, Error>.Continuation)] = [:]
    private var pump: Task<Void, Never>?
    private var reconnector: Task<Void, Never>?
    /// False after `holdOffDaemon`: reconnect attempts only connect, they do not start the daemon.
    private var ensureDaemon = true
    /// How long a command waits for a lost connection to come back before it fails.
    public var reconnectWait: Duration = .seconds(10)
    private var observer: (@Sendable (Connection) -> Void)?

    /// Called on every change of `connection` (agents log "reconnecting…" / "reconnected").
    public func observeConnection(_ observer: @escaping @Sendable (Connection) -> Void) { self.observer = observer }

    private func setConnection(_ new: Connection) {
        let changed: Bool
        switch (connection, new) {
        case (.reconnecting, .reconnecting): changed = false  // attempts are not news
        default: changed = connection != new
        }
        connection = new
        if changed { observer?(new) }
    }

    public nonisolated var label: String { "unix:\(endpoint.socketPath)" }

    /// Connects, says hello as `agent` (with the endpoint's token), takes the current state and follows the
    /// stream from there. `connector` opens a fresh connection (by default straight to the socket); it is used
    /// again to reconnect.
    public static func connect(_ endpoint: BusEndpoint, agent: String,
                               connector: (@Sendable () async throws -> BusClient)? = nil) async throws -> RemoteBus {
        let connect = connector ?? { try await BusClient.connect(endpoint) }
        let client = try await connect()
        do {
            _ = try await hello(client, endpoint: endpoint, agent: agent)
            let state = try await fetchState(client)
            let bus = RemoteBus(agent: agent, endpoint: endpoint, client: client, state: state, connector: connect)
            try await client.request("subscribe", ["from_seq": state.lastSeq])
            await bus.startPump(client)
            return bus
        } catch {
            await client.close()
            throw error
        }
    }

    private init(agent: String, endpoint: BusEndpoint, client: BusClient, state: BusState,
                 connector: @escaping @Sendable () async throws -> BusClient) {
        self.agent = agent
        self.endpoint = endpoint
        self.client = client
        self.state = state
        self.connector = connector
    }

    private static func hello(_ client: BusClient, endpoint: BusEndpoint, agent: String) async throws -> UInt64 {
        var hello: [String: Any] = ["agent": agent]
        if let token = endpoint.token { hello["token"] = token }
        let reply = try await client.request("hello", hello)
        return reply.lastSeq ?? 0
    }

    private static func fetchState(_ client: BusClient) async throws -> BusState {
        let reply = try await client.request("state")
        guard let state = reply.state else { throw BusClientError.badReply("no state") }
        return state
    }

    /// The folded state; while the connection is down it first waits for it (and, after `holdOffDaemon`, starts
    /// the daemon again): a decision should not be taken on a state that cannot catch up.
    public func currentState() async throws -> BusState {
        if client == nil { _ = try await liveClient() }
        return state
    }

    // MARK: The stream

    private func startPump(_ client: BusClient) {
        let events = client.events
        pump = Task { [weak self] in
            for await event in events { await self?.fold(event) }
            await self?.connectionLost(client)
        }
    }

    private func fold(_ event: BusEvent) {
        guard event.seq == state.lastSeq + 1 else { return }  // a duplicate; the stream is ordered
        state.apply(event)
        recent.append(event)
        if recent.count > recentCapacity { recent.removeFirst(recent.count - recentCapacity / 2) }
        for (id, subscriber) in subscribers where subscriber.cursor < event.seq {
            subscriber.continuation.yield(event)
            subscribers[id]?.cursor = event.seq
        }
        let ready = waiters.filter { $0.seq <= event.seq }
        waiters.removeAll { $0.seq <= event.seq }
        for waiter in ready { waiter.continuation.resume() }
    }

    /// The socket closed under us: reconnect in the background unless we were closed on purpose.
    private func connectionLost(_ lost: BusClient) {
        guard client === lost, connection != .closed else { return }
        client = nil
        setConnection(.reconnecting(attempt: 0, since: Date(), lastError: nil))
        // Whoever waits for its own write to fold would wait forever on a dead stream: let them look again.
        for waiter in waiters { waiter.continuation.resume() }
        waiters.removeAll()
        reconnector = Task { await self.reconnectLoop() }
    }

    private func reconnectLoop() async {
        var delay = Duration.milliseconds(50)
        var attempt = 0
        while connection != .closed && !Task.isCancelled {
            attempt += 1
            if case .reconnecting(_, let since, let lastError) = connection, ensureDaemon {
                connection = .reconnecting(attempt: attempt, since: since, lastError: lastError)
            }
            do {
                let fresh = ensureDaemon ? try await connector() : try await BusClient.connect(endpoint)
                do {
                    try await resume(on: fresh)
                    return
                } catch {
                    await fresh.close()
                    throw error
                }
            } catch {
                if !ensureDaemon {
                    setConnection(.daemonStopped)
                } else if case .reconnecting(let n, let since, _) = connection {
                    connection = .reconnecting(attempt: n, since: since, lastError: "\(error)")
                }
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(2))
        }
    }

    /// Hello as the same agent, then the stream from the last folded seq. A log that went backwards (a daemon
    /// restarted on an empty store, its file moved away) cannot be resumed: the state is taken afresh, and this
    /// agent registers again with the record it had — else the session went on as nobody ("unknown agent
    /// 'human': register it first" on the next line of chat; adversarial pass, 2026-12-03). Its registration
    /// on the stream is what says the crew's history is gone.
    private func resume(on fresh: BusClient) async throws {
        let last = try await Self.hello(fresh, endpoint: endpoint, agent: agent)
        guard connection != .closed else { return await fresh.close() }
        if last < state.lastSeq {
            let me = state.agents[agent]
            state = try await Self.fetchState(fresh)
            recent.removeAll()
            for (id, _) in subscribers { subscribers[id]?.cursor = state.lastSeq }
            if let me, state.agents[agent] == nil, let register = try? WireProtocol.encode(.register(agent: me)) {
                _ = try? await fresh.request(register.op, register.fields)
            }
        }
        try await fresh.request("subscribe", ["from_seq": state.lastSeq])
        client = fresh
        reconnects += 1
        Self.reconnectCounter.increment()
        setConnection(.connected)
        startPump(fresh)
        for (_, waiter) in connectionWaiters { waiter.resume() }
        connectionWaiters.removeAll()
    }

    /// The person at this session stopped the daemon: do not start it again behind their back; wait until a
    /// command needs the bus (or someone else starts it).
    public func holdOffDaemon() { ensureDaemon = false }

    /// The live client, waiting (up to `reconnectWait`) while the connection is being re-established.
    private func liveClient() async throws -> BusClient {
        if let client { return client }
        if connection == .closed { throw BusClientError.disconnected }
        if !ensureDaemon {
            // A command needs the bus: now the daemon may start again, and at once.
            ensureDaemon = true
            setConnection(.reconnecting(attempt: 0, since: Date(), lastError: nil))
            reconnector?.cancel()
            reconnector = Task { await self.reconnectLoop() }
        }
        let id = UUID()
        let wait = reconnectWait
        let timer = Task {
            try? await Task.sleep(for: wait)
            self.wakeConnectionWaiter(id)
        }
        await withCheckedContinuation { continuation in connectionWaiters[id] = continuation }
        timer.cancel()
        guard let client else {
            let why: String
            if case .reconnecting(let attempt, _, let lastError) = connection {
                why = "reconnecting (attempt \(attempt))" + (lastError.map { ": \($0)" } ?? "")
            } else {
                why = "closed"
            }
            throw BusClientError.unreachable(endpoint.socketPath, why)
        }
        return client
    }

    private func wakeConnectionWaiter(_ id: UUID) { connectionWaiters.removeValue(forKey: id)?.resume() }

    /// Waits until the local fold has reached `seq` (so a caller sees its own writes).
    private func waitUntilFolded(_ seq: UInt64) async {
        if state.lastSeq >= seq || client == nil { return }
        await withCheckedContinuation { continuation in waiters.append((seq, continuation)) }
    }

    /// One request on the live connection. A reply lost with the connection is reported as such: the command
    /// may have been applied (look at the stream), so it is not silently sent again.
    public func request(_ op: String, _ fields: sending [String: Any] = [:]) async throws -> WireReply {
        let client = try await liveClient()
        do {
            return try await client.request(op, fields)
        } catch BusClientError.disconnected {
            throw BusClientError.lostReply(op)
        }
    }

    // MARK: Identity

    /// Speaks as `id` from now on, on the same connection (the server releases the old identity): `/as` in
    /// k0mmand3r and `@as` in replay files.
    public func rebind(as id: String) async throws {
        guard id != agent else { return }
        var fields: [String: Any] = ["agent": id]
        if let token = endpoint.token { fields["token"] = token }
        do {
            let reply = try await request("hello", fields)
            // The reply comes after the daemon wrote our presence: wait until we have folded it.
            if let last = reply.lastSeq { await waitUntilFolded(last) }
        } catch BusClientError.refused(let error) {
            throw error
        }
        agent = id
    }

    // MARK: Commands and reads

    @discardableResult
    public func submit(_ commands: [BusCommand]) async throws -> [BusEvent] {
        let reply: WireReply
        do {
            if commands.count == 1 {
                let (op, fields) = try Self.wire(commands[0])
                reply = try await request(op, fields)
            } else {
                let cmds = try commands.map { command -> [String: Any] in
                    var (op, fields) = try Self.wire(command)
                    fields["op"] = op
                    return fields
                }
                reply = try await request("batch", ["cmds": cmds])
            }
        } catch BusClientError.refused(let error) {
            throw error
        }
        if commands.count > 1 {
            // A batch reply carries the range; the events themselves arrive on our stream.
            guard let first = reply.firstSeq, let last = reply.lastSeq else { return [] }
            if last == 0 { return [] }
            await waitUntilFolded(last)
            return recent.filter { $0.seq >= first && $0.seq <= last }
        }
        let events = reply.events ?? []
        if let last = events.last { await waitUntilFolded(last.seq) }
        return events
    }

    public func events(after seq: UInt64, limit: Int) async throws -> [BusEvent] {
        var result: [BusEvent] = []
        var cursor = seq
        while result.count < limit {
            let reply = try await request("events", ["after": cursor, "limit": min(10_000, limit - result.count)])
            let page = reply.events ?? []
            guard let last = page.last else { break }
            result += page
            cursor = last.seq
        }
        return result
    }

    public nonisolated func subscribe(after seq: UInt64) -> AsyncThrowingStream<BusEvent, Error> {
        AsyncThrowingStream { continuation in
            let id = UUID()
            let task = Task { await self.attach(id, after: seq, continuation) }
            continuation.onTermination = { _ in
                task.cancel()
                Task { await self.detach(id) }
            }
        }
    }

    private func attach(_ id: UUID, after seq: UInt64, _ continuation: AsyncThrowingStream<BusEvent, Error>.Continuation) async {
        var cursor = seq
        // History older than what we keep comes from the server; the rest from our recent events.
        let upTo = (recent.first?.seq).map { $0 - 1 } ?? state.lastSeq
        if cursor < upTo {
            while cursor < upTo {
                guard let page = try? await events(after: cursor, limit: Int(min(10_000, upTo - cursor))),
                      let last = page.last else { break }
                for event in page where event.seq <= upTo { continuation.yield(event) }
                cursor = min(last.seq, upTo)
            }
        }
        for event in recent where event.seq > cursor {
            continuation.yield(event)
            cursor = event.seq
        }
        if connection == .closed { continuation.finish(throwing: BusClientError.disconnected); return }
        subscribers[id] = (cursor, continuation)
    }

    private func detach(_ id: UUID) { subscribers[id] = nil }

    /// Closes the connection for good: subscribers' streams end, nothing reconnects.
    public func close() async {
        setConnection(.closed)
        reconnector?.cancel()
        let last = client
        client = nil
        await last?.close()
        pump?.cancel()
        for waiter in waiters { waiter.continuation.resume() }
        waiters.removeAll()
        for (_, waiter) in connectionWaiters { waiter.resume() }
        connectionWaiters.removeAll()
        for (_, subscriber) in subscribers { subscriber.continuation.finish(throwing: BusClientError.disconnected) }
        subscribers.removeAll()
    }

    // MARK: Wire

    /// A command as the wire expects it: op name and fields (the speaker comes from the connection).
    static func wire(_ command: BusCommand) throws -> (String, [String: Any]) {
        let (op, fields) = try WireProtocol.encode(command)
        return (op, fields)
    }
}
