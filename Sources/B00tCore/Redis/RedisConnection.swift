import CHiredis
import Foundation

/// A reply from Redis, copied out of hiredis's memory.
public indirect enum RedisValue: Sendable, Equatable {
    case string([UInt8])
    case integer(Int64)
    case array([RedisValue])
    case null
    case status(String)
    case error(String)

    public var text: String? {
        switch self {
        case .string(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .status(let s): return s
        case .integer(let i): return String(i)
        default: return nil
        }
    }
}

/// The link to Redis failed (could not connect, or a read/write broke or timed out): worth reconnecting and
/// retrying — unlike an error reply, which Redis gives deliberately and which retrying would only repeat.
struct RedisLinkError: Error, CustomStringConvertible {
    var description: String
}

/// One blocking hiredis connection. Commands are sent with `redisCommandArgv` (argv arrays, binary-safe; never a
/// formatted command string). Not thread-safe: callers serialize use.
final class RedisConnection {
    let url: RedisURL
    private var context: UnsafeMutablePointer<redisContext>?

    /// Connects within `timeout`; afterwards every read and write is bounded by `ioTimeout`, so a cut network
    /// (no RST, just silence) is noticed and the connection re-made instead of blocking forever.
    init(_ url: RedisURL, timeout: Duration = .seconds(2), ioTimeout: Duration = .seconds(5)) throws {
        self.url = url
        guard let ctx = redisConnectWithTimeout(url.host, Int32(url.port), timeout.timeval) else {
            throw RedisLinkError(description: "cannot allocate a Redis connection")
        }
        if ctx.pointee.err != 0 {
            let message = Self.errorText(ctx)
            redisFree(ctx)
            throw RedisLinkError(description: "cannot connect to \(url): \(message)")
        }
        context = ctx
        setTimeout(ioTimeout)
        if let password = url.password {
            if case .error(let e) = try command(["AUTH", password]) {
                throw BusError.storage("Redis at \(url) refused the password: \(e) (check the URL's password or REDISCLI_AUTH)")
            }
        }
        if url.db != 0, case .error(let e) = try command(["SELECT", String(url.db)]) {
            throw BusError.storage("Redis SELECT \(url.db) failed: \(e)")
        }
    }

    deinit { if let context { redisFree(context) } }

    /// Sets how long a blocking read may wait (XREAD BLOCK needs longer than its own timeout).
    func setTimeout(_ timeout: Duration) {
        guard let context else { return }
        redisSetTimeout(context, timeout.timeval)
    }

    /// Runs one command. An I/O failure (Redis gone) throws; a Redis error reply is returned as `.error`.
    func command(_ args: [String]) throws(RedisLinkError) -> RedisValue { try command(bytes: args.map { Array($0.utf8) }) }

    /// The same with binary arguments (event JSON goes in without a detour through String).
    func command(bytes args: [[UInt8]]) throws(RedisLinkError) -> RedisValue {
        try send(bytes: args)
        return try receive()
    }

    /// Queues a command and pushes it to the socket at once (Redis starts on it while we prepare the next).
    func send(bytes args: [[UInt8]]) throws(RedisLinkError) {
        guard let context else { throw RedisLinkError(description: "Redis connection is closed") }
        let rc: Int32 = withArgv(args) { argv, lens in redisAppendCommandArgv(context, Int32(args.count), argv, lens) }
        var done: Int32 = 0
        while rc == REDIS_OK && done == 0 {
            guard redisBufferWrite(context, &done) == REDIS_OK else { break }
        }
        guard rc == REDIS_OK, context.pointee.err == 0 else { throw drop(context, "did not take a command") }
    }

    /// The next reply to a command sent with `send`.
    func receive() throws(RedisLinkError) -> RedisValue {
        guard let context else { throw RedisLinkError(description: "Redis connection is closed") }
        var raw: UnsafeMutableRawPointer? = nil
        guard redisGetReply(context, &raw) == REDIS_OK, let reply = raw else { throw drop(context, "did not answer") }
        defer { freeReplyObject(reply) }
        return Self.convert(reply.assumingMemoryBound(to: redisReply.self))
    }

    /// Closes a connection hiredis reports broken (the next use reconnects) and says why.
    private func drop(_ context: UnsafeMutablePointer<redisContext>, _ what: String) -> RedisLinkError {
        let message = Self.errorText(context)
        redisFree(context)
        self.context = nil
        return RedisLinkError(description: "Redis at \(url) \(what): \(message.isEmpty ? "connection lost" : message)")
    }

    private static func convert(_ r: UnsafeMutablePointer<redisReply>) -> RedisValue {
        let reply = r.pointee
        switch reply.type {
        case REDIS_REPLY_STRING:
            return .string(Array(UnsafeRawBufferPointer(start: reply.str, count: reply.len)))
        case REDIS_REPLY_STATUS:
            return .status(String(decoding: UnsafeRawBufferPointer(start: reply.str, count: reply.len), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(String(decoding: UnsafeRawBufferPointer(start: reply.str, count: reply.len), as: UTF8.self))
        case REDIS_REPLY_INTEGER: return .integer(reply.integer)
        case REDIS_REPLY_ARRAY:
            return .array((0..<reply.elements).map { convert(reply.element[$0]!) })
        default: return .null
        }
    }

    private static func errorText(_ ctx: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: ctx.pointee.errstr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}

/// All of a command's arguments in one byte buffer, with pointers and lengths into it: binary-safe (lengths,
/// not NUL terminators) and one allocation per command instead of one per argument.
private func withArgv<R>(_ args: [[UInt8]], _ body: (UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafeMutablePointer<Int>) -> R) -> R {
    var storage: [UInt8] = []
    storage.reserveCapacity(args.reduce(0) { $0 + $1.count + 1 })
    var offsets: [Int] = []
    var lengths: [Int] = []
    offsets.reserveCapacity(args.count)
    lengths.reserveCapacity(args.count)
    for arg in args {
        offsets.append(storage.count)
        storage.append(contentsOf: arg)
        lengths.append(storage.count - offsets.last!)
        storage.append(0)
    }
    return storage.withUnsafeBufferPointer { bytes in
        let base = UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self)
        var pointers: [UnsafePointer<CChar>?] = offsets.map { base + $0 }
        return pointers.withUnsafeMutableBufferPointer { argv in
            lengths.withUnsafeMutableBufferPointer { lens in body(argv.baseAddress!, lens.baseAddress!) }
        }
    }
}
