import Foundation

/// The bus log in a Redis Stream, for crews on several machines.
///
/// Layout: `b00t:{BUS}:log` holds one stream entry per event, id `SEQ-0`, with two readable fields: `kind`
/// (`ahoy`, `vote`, … for a glance or a filter) and `event`, the whole event as the same JSON the socket speaks,
/// so `redis-cli XRANGE b00t:{default}:log - +` shows the crew's history. `b00t:{BUS}:seq` holds the last
/// sequence number. (One JSON field instead of one field per envelope key halves the server's work per XADD.)
///
/// Atomic validate-and-append runs as one Lua script (EVALSHA): it checks that the log still ends at the
/// sequence the writer validated against, XADDs every event of the batch and advances the sequence key, and
/// Redis runs scripts one at a time — so two writers on two machines can never both append after the same
/// state. The loser gets "conflict", folds the newcomer, re-validates (and is refused if the ahoy is now awarded
/// or the vote already cast) and retries. WATCH/MULTI was also built and measured: correct too, but two round
/// trips per batch (WATCH+GET, then MULTI…EXEC with a QUEUED reply per command) and about 7% slower here.
///
/// Each use of a connection is serialized on a private queue (hiredis is blocking); subscribers park in
/// `XREAD BLOCK` on their own connection and thread. After a Redis restart, commands reconnect with backoff; an
/// append whose reply was lost is checked against the log before it is retried, so nothing is written twice.
public final class RedisBusBackend: BusBackend, SnapshotStoringBackend, @unchecked Sendable {
    public let url: RedisURL
    let logKey: String
    let seqKey: String
    /// A random id the log's first writer stores beside it: a log emptied and started again by someone else has
    /// another one, so this process notices it is no longer reading the history it folded (numbers alone cannot
    /// tell once the new log has grown past them).
    let epochKey: String
    /// The epoch this process has seen events under ("" until it has seen the log hold any); confined to `queue`.
    private var epoch = ""
    /// Fresh epochs offered with each append (used only by the append that starts a log): this process's random
    /// prefix and a counter, on `queue` — a UUID per append opened /dev/urandom each time.
    private let epochPrefix = UUID().uuidString
    private var epochsOffered = 0
    private let queue = DispatchQueue(label: "b00t.redis")
    private var connection: RedisConnection?
    private let waitQueue = DispatchQueue(label: "b00t.redis.wait")
    private var waitConnection: RedisConnection?
    private let lock = NSLock()

    public var label: String { url.description }

    public init(url: RedisURL) throws(BusError) {
        self.url = url
        logKey = "b00t:{\(url.bus)}:log"
        seqKey = "b00t:{\(url.bus)}:seq"
        epochKey = "b00t:{\(url.bus)}:epoch"
        do {
            let first = try RedisConnection(url)
            connection = first
            // A log written before epochs existed gets one now (whoever comes first), so every reader can check it.
            if case .string(let seq) = try first.command(["GET", seqKey]), !seq.isEmpty {
                _ = try first.command(["SET", epochKey, UUID().uuidString, "NX"])
            }
            if case .string(let value) = try first.command(["GET", epochKey]) { epoch = String(decoding: value, as: UTF8.self) }
        } catch let error as BusError {
            throw error
        } catch {
            throw .storage("\(error)")
        }
    }

    public convenience init(_ text: String) throws(BusError) { try self.init(url: try RedisURL(parsing: text)) }

    /// Runs `body` with a live connection on the private queue, reconnecting with backoff (up to ~10 s) when
    /// Redis went away.
    private func withConnection<T: Sendable>(_ body: @escaping @Sendable (RedisConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try self.onQueue(body) })
            }
        }
    }

    /// Only a broken link is retried (Redis restarting, a network cut): an error reply or an unreadable entry
    /// would only come back the same, so it is reported at once.
    private func onQueue<T>(_ body: (RedisConnection) throws -> T) throws -> T {
        var delay = 0.05
        var lastError = RedisLinkError(description: "no connection to \(url)")
        for _ in 0..<12 {
            do {
                let live: RedisConnection
                if let connection { live = connection } else {
                    live = try RedisConnection(url)
                    connection = live
                }
                return try body(live)
            } catch let error as RedisLinkError {
                lastError = error
                connection = nil
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, 1.0)
            }
        }
        throw BusError.storage("\(lastError) (gave up after 12 attempts; is Redis running and reachable?)")
    }

    /// Redis's own words for a failed script or command, without Lua's plumbing, and what to do about it.
    func explain(_ message: String, doing what: String) -> BusError {
        if message.contains("WRONGTYPE") {
            return .storage("\(what): the keys \(logKey) / \(seqKey) hold another kind of value — another program uses them; "
                            + "choose another bus name (redis://…?bus=NAME) or remove those keys")
        }
        if message.contains("NOPERM") || message.contains("NOAUTH") {
            return .storage("\(what): Redis refused it (\(message.split(separator: " ").first ?? "")); check the user/password and its ACL")
        }
        let last = message.components(separatedBy: ": ").last ?? message
        return .storage("\(what): \(last)")
    }

    /// KEYS: log, seq. ARGV: expected last seq, count, then per event: entry id, kind, event JSON.
    /// KEYS: log, seq, epoch. ARGV: expected last seq, count, our epoch ("" if none yet), a fresh epoch for a new
    /// log, then per event: entry id, kind, event JSON.
    static let appendScript = """
    local e = redis.call('GET', KEYS[3])
    if ARGV[3] ~= '' and e ~= ARGV[3] then return redis.error_reply('B00TREPLACED') end
    local last = tonumber(redis.call('GET', KEYS[2]) or '0')
    if last ~= tonumber(ARGV[1]) then return -1 - last end
    if not e then redis.call('SET', KEYS[3], ARGV[4]) end
    local n = tonumber(ARGV[2])
    for i = 5, 4 + 3 * n, 3 do
      redis.call('XADD', KEYS[1], ARGV[i], 'kind', ARGV[i+1], 'event', ARGV[i+2])
    end
    redis.call('SET', KEYS[2], tonumber(ARGV[1]) + n)
    return n
    """

    /// KEYS: log, epoch. ARGV: our epoch ("" if none yet), first entry id, count. Returns {epoch, entries}.
    static let readScript = """
    local e = redis.call('GET', KEYS[2])
    if ARGV[1] ~= '' and e ~= ARGV[1] then return redis.error_reply('B00TREPLACED') end
    return {e or '', redis.call('XRANGE', KEYS[1], ARGV[2], '+', 'COUNT', ARGV[3])}
    """
    private var readSHA: String?

    /// Runs a script by its hash, loading it on first use and again after a Redis restart forgot it.
    private func evaluate(_ script: String, sha: inout String?, _ args: [[UInt8]], on connection: RedisConnection) throws -> RedisValue {
        if sha == nil, case .string(let loaded) = try connection.command(["SCRIPT", "LOAD", script]) {
            sha = String(decoding: loaded, as: UTF8.self)
        }
        let reply = try connection.command(bytes: [Array("EVALSHA".utf8), Array((sha ?? "").utf8)] + args)
        if case .error(let e) = reply, e.hasPrefix("NOSCRIPT") {
            sha = nil
            return try connection.command(bytes: [Array("EVAL".utf8), Array(script.utf8)] + args)
        }
        return reply
    }

    /// After a first append created the log, its epoch is ours.
    private func adoptEpoch(on connection: RedisConnection) throws {
        guard epoch.isEmpty, case .string(let value) = try connection.command(["GET", epochKey]) else { return }
        epoch = String(decoding: value, as: UTF8.self)
    }

    private var replaced: BusError { .logReplaced(store: url.description) }

    // MARK: Snapshots — `b00t:{BUS}:snapshot:SEQ` each, indexed by the sorted set `b00t:{BUS}:snapshots`.

    var snapshotIndexKey: String { "b00t:{\(url.bus)}:snapshots" }
    var snapshotKeyPrefix: String { "b00t:{\(url.bus)}:snapshot:" }

    /// Stores one snapshot and drops all but the newest ARGV[3], atomically (two writers cannot leave orphans).
    /// The keys it derives share the bus's hash tag, so they live in one slot.
    static let storeSnapshotScript = """
    redis.call('SET', ARGV[4] .. ARGV[1], ARGV[2])
    redis.call('ZADD', KEYS[1], ARGV[1], ARGV[1])
    local old = redis.call('ZREVRANGE', KEYS[1], tonumber(ARGV[3]), -1)
    for _, s in ipairs(old) do redis.call('DEL', ARGV[4] .. s); redis.call('ZREM', KEYS[1], s) end
    return #old
    """
    private var storeSnapshotSHA: String?
    /// The newest ARGV[1] snapshots as {seq, bytes, seq, bytes…}.
    static let readSnapshotsScript = """
    local out = {}
    for _, s in ipairs(redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)) do
      table.insert(out, s); table.insert(out, redis.call('GET', ARGV[2] .. s) or '')
    end
    return out
    """
    private var readSnapshotsSHA: String?

    public func storedSnapshots(limit: Int) async throws -> [StoredSnapshot] {
        guard limit > 0 else { return [] }
        let args = ["1", snapshotIndexKey, String(limit), snapshotKeyPrefix].map { Array($0.utf8) }
        return try await withConnection { connection in
            switch try self.evaluate(Self.readSnapshotsScript, sha: &self.readSnapshotsSHA, args, on: connection) {
            case .array(let parts):
                return stride(from: 0, to: parts.count - 1, by: 2).compactMap { i -> StoredSnapshot? in
                    guard let seq = parts[i].text.flatMap({ UInt64($0) }), case .string(let bytes) = parts[i + 1] else { return nil }
                    return StoredSnapshot(seq: seq, bytes: Data(bytes))
                }
            case .error(let e): throw self.explain(e, doing: "reading snapshots")
            default: return []
            }
        }
    }

    public func storeSnapshot(_ snapshot: StoredSnapshot, keep: Int) async throws {
        let args = [Array("1".utf8), Array(snapshotIndexKey.utf8), Array(String(snapshot.seq).utf8), Array(snapshot.bytes),
                    Array(String(max(1, keep)).utf8), Array(snapshotKeyPrefix.utf8)]
        try await withConnection { connection in
            if case .error(let e) = try self.evaluate(Self.storeSnapshotScript, sha: &self.storeSnapshotSHA, args, on: connection) {
                throw self.explain(e, doing: "storing a snapshot")
            }
        }
    }

    private var scriptSHA: String?

    public func append(_ events: [BusEvent], expectedLastSeq: UInt64) async throws -> Bool {
        let count = UInt64(events.count)
        let first = events.first
        let seqKey = self.seqKey
        return try await withConnection { connection in
            do {
                let reply = try self.evaluate(Self.appendScript, sha: &self.scriptSHA,
                                              self.appendArgs(events, expectedLastSeq: expectedLastSeq), on: connection)
                switch reply {
                case .integer(let n) where n >= 0:
                    try self.adoptEpoch(on: connection)
                    return true
                case .integer(let n):
                    // A conflict — unless the events there are ours: an earlier attempt whose reply was lost in a
                    // Redis restart did run. Appending them again would duplicate them.
                    let actual = UInt64(-1 - n)
                    if actual >= expectedLastSeq + count, let first, try self.entryMatches(first, on: connection) { return true }
                    return false
                case .error(let message) where message.contains("B00TREPLACED"): throw self.replaced
                case .error(let message): throw self.explain(message, doing: "Redis append failed")
                default: throw BusError.storage("Redis append: unexpected reply")
                }
            } catch let error as RedisLinkError {
                // The reply was lost: did the script run? Look before retrying, so nothing is appended twice.
                guard let fresh = try? RedisConnection(self.url) else { throw error }
                if case .string(let bytes) = try fresh.command(["GET", seqKey]),
                   let last = UInt64(String(decoding: bytes, as: UTF8.self)), last >= expectedLastSeq + count,
                   let first, try self.entryMatches(first, on: fresh) {
                    try self.adoptEpoch(on: fresh)
                    return true
                }
                throw error
            }
        }
    }

    /// KEYS and ARGV of one append (see `appendScript`); called on `queue`, where `epoch` lives.
    private func appendArgs(_ events: [BusEvent], expectedLastSeq: UInt64) -> [[UInt8]] {
        epochsOffered += 1
        var args: [[UInt8]] = ["3", logKey, seqKey, epochKey, String(expectedLastSeq), String(events.count), epoch,
                               "\(epochPrefix)-\(epochsOffered)"].map { Array($0.utf8) }
        args.reserveCapacity(args.count + events.count * 3)
        for e in events { args += [Array("\(e.seq)-0".utf8), Array(e.body.kind.utf8), EventJSON.encode(e)] }
        return args
    }

    /// Sends each batch's script as soon as it is built and reads the replies afterwards, so Redis stores batch k
    /// while we encode batch k+1. A batch that lands after a lost reply is recognised as ours, as in `append`.
    public func appendPipelined(_ batches: [(events: [BusEvent], expectedLastSeq: UInt64)]) async throws -> [Bool] {
        guard batches.count > 1 else {
            guard let only = batches.first else { return [] }
            return [try await append(only.events, expectedLastSeq: only.expectedLastSeq)]
        }
        return try await withConnection { connection in
            if self.scriptSHA == nil, case .string(let sha) = try connection.command(["SCRIPT", "LOAD", Self.appendScript]) {
                self.scriptSHA = String(decoding: sha, as: UTF8.self)
            }
            let head: [[UInt8]] = [Array("EVALSHA".utf8), Array((self.scriptSHA ?? "").utf8)]
            for batch in batches {
                try connection.send(bytes: head + self.appendArgs(batch.events, expectedLastSeq: batch.expectedLastSeq))
            }
            // Read every reply before asking anything else on this connection.
            let replies = try batches.map { _ in try connection.receive() }
            var results: [Bool] = []
            for (batch, reply) in zip(batches, replies) {
                switch reply {
                case .integer(let n) where n >= 0 && results.last != false: results.append(true)
                case .integer(let n) where n < 0:
                    let actual = UInt64(-1 - n)
                    let count = UInt64(batch.events.count)
                    var ours = false
                    if actual >= batch.expectedLastSeq + count, let first = batch.events.first {
                        ours = try self.entryMatches(first, on: connection)
                    }
                    results.append(ours && results.last != false)
                case .error(let message) where message.contains("B00TREPLACED"): throw self.replaced
                case .error(let message) where !message.hasPrefix("NOSCRIPT"):
                    throw self.explain(message, doing: "Redis append failed")
                default: results.append(false)  // NOSCRIPT after a restart: resubmitted one by one
                }
            }
            return results
        }
    }

    private func entryMatches(_ event: BusEvent, on connection: RedisConnection) throws -> Bool {
        guard case .array(let entries) = try connection.command(["XRANGE", logKey, "\(event.seq)-0", "\(event.seq)-0"]),
              let entry = entries.first, let decoded = try? Self.decode(entry) else { return false }
        return decoded == event
    }

    public func read(after seq: UInt64, limit: Int) async throws -> [BusEvent] {
        let keys = [logKey, epochKey]
        return try await withConnection { connection in
            let args = (["2"] + keys + [self.epoch, "\(seq + 1)-0", String(max(1, limit))]).map { Array($0.utf8) }
            let reply = try self.evaluate(Self.readScript, sha: &self.readSHA, args, on: connection)
            switch reply {
            case .array(let parts) where parts.count == 2:
                if self.epoch.isEmpty, let seen = parts[0].text, !seen.isEmpty { self.epoch = seen }
                guard case .array(let entries) = parts[1] else { return [] }
                return try entries.map(Self.decode)
            case .error(let message) where message.contains("B00TREPLACED"): throw self.replaced
            case .error(let e): throw self.explain(e, doing: "Redis read failed")
            default: return []
            }
        }
    }

    public func lastSequence() async throws -> UInt64 {
        let key = seqKey
        return try await withConnection { connection in
            switch try connection.command(["GET", key]) {
            case .string(let bytes):
                guard let seq = UInt64(String(decoding: bytes, as: UTF8.self)) else {
                    throw BusError.storage("the key \(key) does not hold a sequence number; remove it or choose another bus name")
                }
                return seq
            case .error(let e): throw self.explain(e, doing: "Redis read failed")
            default: return 0
            }
        }
    }

    /// Parks in `XREAD BLOCK` on its own connection (one waiter at a time; others poll briefly).
    public func waitForEvents(after seq: UInt64, timeout: Duration) async {
        let ms = max(1, Int(timeout.wholeMilliseconds))
        let acquired = lock.withLock { () -> Bool in
            if waiting { return false }
            waiting = true
            return true
        }
        guard acquired else {
            try? await Task.sleep(for: .milliseconds(min(ms, 10)))
            return
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            waitQueue.async {
                defer {
                    self.lock.withLock { self.waiting = false }
                    continuation.resume()
                }
                do {
                    if self.waitConnection == nil { self.waitConnection = try RedisConnection(self.url) }
                    self.waitConnection!.setTimeout(.milliseconds(ms + 2_000))
                    _ = try self.waitConnection!.command(["XREAD", "BLOCK", String(ms), "COUNT", "1", "STREAMS", self.logKey, "\(seq)-0"])
                } catch {
                    self.waitConnection = nil
                    Thread.sleep(forTimeInterval: 0.05)
                }
            }
        }
    }
    private var waiting = false

    /// `[id, [field, value, …]]` → event.
    static func decode(_ entry: RedisValue) throws -> BusEvent {
        guard case .array(let parts) = entry, parts.count == 2, case .array(let flat) = parts[1] else {
            throw BusError.storage("unreadable stream entry")
        }
        var fields: [String: String] = [:]
        var i = 0
        while i + 1 < flat.count {
            if let k = flat[i].text, let v = flat[i + 1].text { fields[k] = v }
            i += 2
        }
        // The sequence number is the entry id, SEQ-0; the event itself is one JSON field.
        guard let id = parts[0].text, let seq = UInt64(id.split(separator: "-").first ?? "") else {
            throw BusError.storage("stream entry with an unexpected id")
        }
        guard let json = fields["event"] else { throw BusError.corruptLog(seq: seq, detail: "no event field") }
        do {
            let event = try WireProtocol.decodeEvent(Data(json.utf8))
            guard event.seq == seq else { throw BusError.corruptLog(seq: seq, detail: "entry id and event seq differ") }
            return event
        } catch let error as BusError {
            throw error
        } catch {
            throw BusError.corruptLog(seq: seq, detail: "event is not valid JSON")
        }
    }
}

extension RedisBusBackend: PresenceLeases {
    /// KEYS: lease. ARGV: holder, ttl ms. Takes a free lease, renews our own; 0 when another holder has it.
    static let leaseScript = """
    local h = redis.call('GET', KEYS[1])
    if h and h ~= ARGV[1] then return 0 end
    redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
    return 1
    """

    func leaseKey(_ agent: String) -> String { "b00t:{\(url.bus)}:lease:\(agent)" }

    public func acquireLease(_ agent: String, holder: String, ttl: Duration) async throws -> Bool {
        let ms = max(1, ttl.wholeMilliseconds)
        let key = leaseKey(agent)
        return try await withConnection { connection in
            let reply = try connection.command(["EVAL", Self.leaseScript, "1", key, holder, String(ms)])
            if case .error(let e) = reply { throw self.explain(e, doing: "Redis lease failed") }
            return reply == .integer(1)
        }
    }

    public func releaseLease(_ agent: String, holder: String) async throws {
        let key = leaseKey(agent)
        _ = try await withConnection { connection in
            try connection.command(["EVAL", "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
                                    "1", key, holder])
        }
    }

    public func liveLeases(among agents: [String]) async throws -> [String: String] {
        guard !agents.isEmpty else { return [:] }
        let keys = agents.map(leaseKey)
        return try await withConnection { connection in
            guard case .array(let values) = try connection.command(["MGET"] + keys) else { return [:] }
            var live: [String: String] = [:]
            for (agent, value) in zip(agents, values) { if let holder = value.text { live[agent] = holder } }
            return live
        }
    }
}
