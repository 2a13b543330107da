import Foundation

/// A crew bus reached over `b00t bus serve`'s socket. It speaks as one agent (bound by `hello`), folds the
/// server's event stream with the same reducer as the daemon, and so answers queries locally; commands go
/// to the server, which validates them against the one true log.
public actor RemoteBus: CrewBus {
    public let agent: String
    public let client: BusClient
    public private(set) var state: BusState
    private var recent: [BusEvent] = []
    private let recentCapacity = 10_000
    private var waiters: [(seq: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
    private var subscribers: [UUID: (cursor: UInt64, continuation: AsyncThrowingStream<BusEvent, Error>.Continuation)] = [:]
    private var pump: Task<Void, Never>?
    private var closed = false

    public nonisolated var label: String { "unix:\(client.endpoint.socketPath)" }

    /// Connects, says hello as `agent` (with the endpoint's token), takes the current state and follows the
    /// stream from there.
    public static func connect(_ endpoint: BusEndpoint, agent: String) async throws -> RemoteBus {
        let client = try await BusClient.connect(endpoint)
        do {
            var hello: [String: Any] = ["agent": agent]
            if let token = endpoint.token { hello["token"] = token }
            try await client.request("hello", hello)
            let reply = try await client.request("state")
            guard let object = reply.object["state"] else { throw BusClientError.badReply("no state") }
            let data = try JSONSerialization.data(withJSONObject: object)
            let state = try WireProtocol.decoder.decode(BusState.self, from: data)
            let bus = RemoteBus(agent: agent, client: client, state: state)
            try await client.request("subscribe", ["from_seq": state.lastSeq])
            await bus.startPump()
            return bus
        } catch {
            await client.close()
            throw error
        }
    }

    private init(agent: String, client: BusClient, state: BusState) {
        self.agent = agent
        self.client = client
        self.state = state
    }

    private func startPump() {
        let events = client.events
        pump = Task { [weak self] in
            for await event in events { await self?.fold(event) }
            await self?.finish()
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

    private func finish() {
        closed = true
        for waiter in waiters { waiter.continuation.resume() }
        waiters.removeAll()
        for (_, subscriber) in subscribers { subscriber.continuation.finish(throwing: BusClientError.disconnected) }
        subscribers.removeAll()
    }

    /// Waits until the local fold has reached `seq` (so a caller sees its own writes).
    private func waitUntilFolded(_ seq: UInt64) async {
        if state.lastSeq >= seq || closed { return }
        await withCheckedContinuation { continuation in waiters.append((seq, continuation)) }
    }

    @discardableResult
    public func submit(_ commands: [BusCommand]) async throws -> [BusEvent] {
        let reply: WireReply
        do {
            if commands.count == 1 {
                let (op, fields) = try Self.wire(commands[0])
                reply = try await client.request(op, fields)
            } else {
                let cmds = try commands.map { command -> [String: Any] in
                    var (op, fields) = try Self.wire(command)
                    fields["op"] = op
                    return fields
                }
                reply = try await client.request("batch", ["cmds": cmds])
            }
        } catch let error as BusClientError {
            if case .refused(let code, let message, let busError) = error { throw busError ?? Self.busError(code: code, message: message) }
            throw error
        }
        if commands.count > 1 {
            // A batch reply carries the range; the events themselves arrive on our stream.
            guard let first = (reply.object["first_seq"] as? NSNumber)?.uint64Value,
                  let last = (reply.object["last_seq"] as? NSNumber)?.uint64Value else { return [] }
            if last == 0 { return [] }
            await waitUntilFolded(last)
            return recent.filter { $0.seq >= first && $0.seq <= last }
        }
        let events = try Self.events(in: reply)
        if let last = events.last { await waitUntilFolded(last.seq) }
        return events
    }

    public func events(after seq: UInt64, limit: Int) async throws -> [BusEvent] {
        var result: [BusEvent] = []
        var cursor = seq
        while result.count < limit {
            let reply = try await client.request("events", ["after": cursor, "limit": min(10_000, limit - result.count)])
            let page = try Self.events(in: reply)
            if page.isEmpty { break }
            result += page
            cursor = page.last!.seq
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
        if let first = recent.first?.seq, cursor + 1 < first || recent.isEmpty && cursor < state.lastSeq {
            let upTo = recent.first.map { $0.seq - 1 } ?? state.lastSeq
            while cursor < upTo {
                guard let page = try? await events(after: cursor, limit: Int(min(10_000, upTo - cursor))), !page.isEmpty else { break }
                for event in page { continuation.yield(event) }
                cursor = page.last!.seq
            }
        }
        for event in recent where event.seq > cursor {
            continuation.yield(event)
            cursor = event.seq
        }
        if closed { continuation.finish(throwing: BusClientError.disconnected); return }
        subscribers[id] = (cursor, continuation)
    }

    private func detach(_ id: UUID) { subscribers[id] = nil }

    public func close() async {
        await client.close()
        pump?.cancel()
        finish()
    }

    /// A command as the wire expects it: op name and fields (the speaker comes from the connection).
    static func wire(_ command: BusCommand) throws -> (String, [String: Any]) {
        let data = try WireProtocol.encoder.encode(command)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any], let (name, inner) = object.first,
              var fields = inner as? [String: Any]
        else { throw BusClientError.badReply("cannot encode \(command)") }
        if name == "register", var agent = fields["agent"] as? [String: Any] {
            agent["agent"] = agent.removeValue(forKey: "id")
            fields = agent
        }
        return (WireProtocol.snake(name), fields)
    }

    static func events(in reply: WireReply) throws -> [BusEvent] {
        guard let list = reply.object["events"] as? [Any] else { return [] }
        return try list.map { item in
            try WireProtocol.decodeEvent(try JSONSerialization.data(withJSONObject: item))
        }
    }

    static func busError(code: String, message: String) -> BusError {
        switch code {
        case "forbidden": return .notAllowed(message.hasPrefix("not allowed: ") ? String(message.dropFirst(13)) : message)
        case "rate_limited", "unauthorized", "conflict", "no_hello": return .notAllowed(message)
        case "closed": return .closed(message.hasPrefix("closed: ") ? String(message.dropFirst(8)) : message)
        case "duplicate": return .duplicate(message.hasPrefix("refused: ") ? String(message.dropFirst(9)) : message)
        case "timeout": return .timeout(message)
        default: return .invalid(message)
        }
    }
}
