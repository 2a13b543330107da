import Foundation

/// A reply from the bus server, decoded once into typed fields (the server writes them with
/// `WireProtocol.ok`/`error`; docs/protocol.md lists them). A refusal carries the bus's own structured error,
/// so a client rethrows exactly what the daemon decided instead of guessing from the message.
public struct WireReply: Sendable, Decodable, Equatable {
    public var id: WireID
    public var ok: Bool
    public var op: String?
    /// Refusals: the stable machine code, the person-readable message, the structured bus error if a bus rule
    /// (rather than the transport) refused.
    public var code: String?
    public var error: String?
    public var busError: BusError?
    /// Commands: the events they became.
    public var events: [BusEvent]?
    /// Batches: how many events, and their range.
    public var count: Int?
    public var firstSeq: UInt64?
    /// Batches and `hello`: the last sequence number (for `hello`, the log's end after this agent's arrival).
    public var lastSeq: UInt64?
    public var fromSeq: UInt64?
    public var agent: String?
    public var state: BusState?

    enum CodingKeys: String, CodingKey {
        case id, ok, op, code, error, events, count, agent, state
        case busError = "bus_error", firstSeq = "first_seq", lastSeq = "last_seq", fromSeq = "from_seq"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let n = try? c.decode(Int64.self, forKey: .id) {
            id = .number(n)
        } else if let s = try? c.decode(String.self, forKey: .id) {
            id = .string(s)
        } else {
            id = .none
        }
        ok = try c.decodeIfPresent(Bool.self, forKey: .ok) ?? false
        op = try c.decodeIfPresent(String.self, forKey: .op)
        code = try c.decodeIfPresent(String.self, forKey: .code)
        error = try c.decodeIfPresent(String.self, forKey: .error)
        busError = try? c.decodeIfPresent(BusError.self, forKey: .busError)
        events = try c.decodeIfPresent([BusEvent].self, forKey: .events)
        count = try c.decodeIfPresent(Int.self, forKey: .count)
        firstSeq = try c.decodeIfPresent(UInt64.self, forKey: .firstSeq)
        lastSeq = try c.decodeIfPresent(UInt64.self, forKey: .lastSeq)
        fromSeq = try c.decodeIfPresent(UInt64.self, forKey: .fromSeq)
        agent = try c.decodeIfPresent(String.self, forKey: .agent)
        state = try c.decodeIfPresent(BusState.self, forKey: .state)
    }

    /// A reply line as a client reads it (public for the fuzzer and other clients).
    public static func parse(_ line: [UInt8]) throws -> WireReply { try decode(line) }

    static func decode(_ line: some Collection<UInt8>) throws -> WireReply {
        // In place when the bytes are contiguous (a ByteBuffer's are): a copy into an Array cost an allocation.
        let flat = line.withContiguousStorageIfAvailable { FlatReplyScanner.scan($0) } ?? Array(line).withUnsafeBufferPointer { FlatReplyScanner.scan($0) }
        if let flat { return flat }
        return try WireProtocol.decoder.decode(WireReply.self, from: Data(line))
    }

    /// An empty reply, filled in by the flat scanner.
    init() {
        id = .none
        ok = false
    }

    /// The error a refusal stands for: the bus's own when a rule refused, else the transport's code and words.
    public var refusal: BusError {
        busError ?? .transport(code: code ?? "refused", message: error ?? "refused")
    }
}

/// Most replies are one flat object of numbers, booleans and plain strings (`ping`, `hello`, batches, most
/// refusals without a bus error), or that plus the message events a `say` became (`MessageEventScanner`). Scanning those by hand saves the Foundation decoder's ~10 µs per reply on a
/// round trip measured in tens of µs; anything else — a nested value, an escape, a fraction, a number out of
/// range — returns nil and goes to the full decoder, so both read the same replies the same way.
enum FlatReplyScanner {
    static func scan(_ b: UnsafeBufferPointer<UInt8>) -> WireReply? {
        var reply = WireReply()
        var cursor = FlatJSON.Cursor(b)
        let flat = cursor.object({ key, v in
            func text() -> String?? { if case .string(let s) = v { return s }; if case .null = v { return .some(nil) }; return nil }
            func count<T: FixedWidthInteger>(_: T.Type) -> T?? {
                if case .number(let x) = v { return T(exactly: x).map { .some($0) } ?? nil }
                if case .null = v { return .some(nil) }
                return nil
            }
            switch key {
            case "id":
                switch v {
                case .number(let x): reply.id = .number(x)
                case .string(let s): reply.id = .string(s)
                default: reply.id = .none
                }
            case "ok":
                switch v {
                case .bool(let x): reply.ok = x
                case .null: reply.ok = false
                default: return false
                }
            case "op": guard let t = text() else { return false }; reply.op = t
            case "code": guard let t = text() else { return false }; reply.code = t
            case "error": guard let t = text() else { return false }; reply.error = t
            case "agent": guard let t = text() else { return false }; reply.agent = t
            case "count": guard let c = count(Int.self) else { return false }; reply.count = c
            case "first_seq": guard let c = count(UInt64.self) else { return false }; reply.firstSeq = c
            case "last_seq": guard let c = count(UInt64.self) else { return false }; reply.lastSeq = c
            case "from_seq": guard let c = count(UInt64.self) else { return false }; reply.fromSeq = c
            case "events", "state", "bus_error": return false  // structured: the full decoder's job
            default: break  // unknown keys are ignored, as the decoder ignores them
            }
            return true
        }, nested: { key, inner in
            // A command's events, when every one is a message (a `say`'s reply); anything else: the full decoder.
            guard key == "events", reply.events == nil, let events = MessageEventScanner.events(&inner) else { return false }
            reply.events = events
            return true
        })
        cursor.skipSpace()
        return flat && cursor.atEnd ? reply : nil
    }
}
