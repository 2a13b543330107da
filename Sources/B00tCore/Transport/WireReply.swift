import Foundation

/// A reply from the bus server, decoded once into typed fields (the server writes them with
/// `WireProtocol.ok`/`error`; docs/protocol.md lists them). A refusal carries the bus's own structured error,
/// so a client rethrows exactly what the daemon decided instead of guessing from the message.
public struct WireReply: Sendable, Decodable {
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

    static func decode(_ line: some Collection<UInt8>) throws -> WireReply {
        try WireProtocol.decoder.decode(WireReply.self, from: Data(line))
    }

    /// The error a refusal stands for: the bus's own when a rule refused, else the transport's code and words.
    public var refusal: BusError {
        busError ?? .transport(code: code ?? "refused", message: error ?? "refused")
    }
}
