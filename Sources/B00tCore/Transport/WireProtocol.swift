import Foundation

/// The socket protocol, version 1: one JSON object a line each way. See docs/protocol.md.
public enum WireProtocol {
    public static let version = 1
    public static let maximumLineLength = 64 * 1024

    /// A parsed request line.
    public struct Request: @unchecked Sendable {
        public var op: String
        /// Echoed in the reply so clients can match answers to questions (an integer or a string).
        public var id: WireID
        public var fields: [String: Any]

        public func string(_ key: String) -> String? { fields[key] as? String }

        /// A sequence number or count: absent is nil; present, it must be a whole number in `range` — "x", -1,
        /// 1.5 or 1e20 are errors naming the field, never quietly 0.
        public func count(_ key: String, in range: ClosedRange<UInt64> = 0...(1 << 53)) throws(BusError) -> UInt64? {
            guard let value = fields[key], !(value is NSNull) else { return nil }
            guard let n = value as? NSNumber, !WireFields.isBool(n) else {
                throw .invalid("\(op): field '\(key)' must be a whole number \(range.lowerBound)–\(range.upperBound)")
            }
            let d = n.doubleValue
            guard d == d.rounded(), d >= Double(range.lowerBound), d <= Double(range.upperBound) else {
                throw .invalid("\(op): field '\(key)' must be a whole number \(range.lowerBound)–\(range.upperBound) (got \(n))")
            }
            return UInt64(d)
        }
    }

    /// Why a line was not a request.
    public enum ParseError: Error, CustomStringConvertible, Equatable {
        /// `id`: the request's own, when the line was an object with a usable one (its refusal echoes it).
        case malformed(String, id: WireID = .none)
        case unsupportedVersion(Int, id: WireID = .none)

        public var description: String {
            switch self {
            case .malformed(let why, _): return "malformed request: \(why); send one JSON object a line, e.g. {\"v\":1,\"op\":\"ping\"}"
            case .unsupportedVersion(let v, _): return "protocol version \(v) is not supported; this server speaks v\(version)"
            }
        }

        public var id: WireID {
            switch self {
            case .malformed(_, let id), .unsupportedVersion(_, let id): return id
            }
        }
    }

    public static func parse(_ bytes: some Collection<UInt8>) throws(ParseError) -> Request {
        var head = Envelope()
        let flat = bytes.withContiguousStorageIfAvailable({ head.scan($0) }) ?? Array(bytes).withUnsafeBufferPointer({ head.scan($0) })
        if !flat { head = Envelope(foundation: try foundationObject(bytes)) }
        return try head.request()
    }

    /// `v`, `op` and `id` of a request line, typed, and its other fields as the bus reads them.
    ///
    /// Why typed: a flat line's envelope went into the fields dictionary (its numbers boxed as NSNumber) only to
    /// be taken out again with dynamic casts — ~14% of the daemon's CPU on a ping (perf, 2026-12-03).
    struct Envelope {
        /// An envelope value as either parser gives it: `number` only for a whole number that fits 64 bits;
        /// `other` is a fraction, a number past 64 bits, an array or an object. (A boolean read as 1 or 0, and a
        /// number past 64 bits wrapped, through NSNumber: `"id":9223372036854775808` was echoed negative, and
        /// `"v":1.5` or `"v":true` passed as version 1 — adversarial pass, 2026-12-03.)
        enum Field { case string(String), number(Int64), bool(Bool), null, other }

        static let keys: Set<String> = ["v", "op", "id"]

        var version: Field?, op: Field?, id: Field?
        var fields: [String: Any] = [:]

        init() {}

        /// From a line Foundation's parser read.
        init(foundation object: [String: Any]) {
            var rest = object
            func take(_ key: String) -> Field? {
                switch rest.removeValue(forKey: key) {
                case nil: return nil
                case is NSNull: return .null
                case let s as String: return .string(s)
                case let n as NSNumber: return Self.field(n)
                default: return .other
                }
            }
            version = take("v")
            op = take("op")
            id = take("id")
            fields = rest
        }

        /// NSNumber exactly: a boolean as one, a whole number that fits Int64 as a number, anything else `other`.
        static func field(_ n: NSNumber) -> Field {
            if WireFields.isBool(n) { return .bool(n.boolValue) }
            switch UInt8(bitPattern: n.objCType.pointee) {
            case UInt8(ascii: "d"), UInt8(ascii: "f"):
                // A double holds every whole number only up to 2^53: past it, -9223372036854775809 reads as
                // Int64.min, and the id echoed would not be the one sent.
                let d = n.doubleValue
                guard d == d.rounded(), abs(d) <= 9_007_199_254_740_992, let whole = Int64(exactly: d) else { return .other }
                return .number(whole)
            case UInt8(ascii: "Q"), UInt8(ascii: "L"), UInt8(ascii: "I"):
                return Int64(exactly: n.uint64Value).map(Field.number) ?? .other
            default:
                return .number(n.int64Value)
            }
        }

        /// Reads a flat line (FlatJSON); false, with whatever it read so far to be thrown away, when it is not.
        mutating func scan(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
            FlatJSON.scan(b) { key, value in
                let field: Field
                switch value {
                case .string(let s): field = .string(s)
                case .number(let n):
                    // Past 2^53 the line is Foundation's to read, so both parsers give one answer (it reads a
                    // large negative number as a double, which cannot say which whole number was sent).
                    guard n.magnitude <= 1 << 53 || !Self.keys.contains(key) else { return false }
                    field = .number(n)
                case .bool(let x): field = .bool(x)
                case .null: field = .null
                }
                switch key {
                case "v": version = field
                case "op": op = field
                case "id": id = field
                default: fields[key] = value.foundation
                }
                return true
            }
        }

        /// The request, or why it is not one — the id first: a refusal of the rest answers it, so a client can
        /// tell which request was refused.
        func request() throws(ParseError) -> Request {
            let wireID: WireID
            switch id {
            case nil, .null?: wireID = .none
            case .string(let s)?: wireID = .string(s)
            case .number(let n)?: wireID = .number(n)
            case .bool?, .other?: throw .malformed("\"id\" must be a whole number (64-bit) or a string")
            }
            if let version {
                guard case .number(let v) = version else {
                    throw .malformed("\"v\" must be the whole number \(WireProtocol.version)", id: wireID)
                }
                guard v == WireProtocol.version else { throw .unsupportedVersion(Int(truncatingIfNeeded: v), id: wireID) }
            }
            guard case .string(let name)? = op, !name.isEmpty else { throw .malformed("missing \"op\"", id: wireID) }
            return Request(op: name, id: wireID, fields: fields)
        }
    }

    /// A line that is not flat (FlatJSON), read by Foundation's parser.
    static func foundationObject(_ bytes: some Collection<UInt8>) throws(ParseError) -> [String: Any] {
        let data = Data(bytes)
        guard String(data: data, encoding: .utf8) != nil else { throw .malformed("not UTF-8 text") }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            // Foundation's parser refuses deep nesting with the same error as garbage: say which it was.
            let depth = nestingDepth(bytes)
            if depth >= 500 { throw .malformed("arrays and objects nested \(depth) levels deep; keep a request under 500") }
            throw .malformed("not JSON")
        }
        guard let fields = object as? [String: Any] else { throw .malformed("not a JSON object") }
        return fields
    }

    /// How deeply arrays and objects nest in `bytes` (brackets inside strings not counted; the count stops
    /// at 100,000, so a line of nothing but brackets costs one pass).
    static func nestingDepth(_ bytes: some Collection<UInt8>) -> Int {
        var depth = 0, deepest = 0
        var inString = false, escaped = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                deepest = max(deepest, depth)
                if deepest >= 100_000 { return deepest }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth = max(0, depth - 1)
            default: break
            }
        }
        return deepest
    }

    /// Command ops and their aliases → `BusCommand` case names (snake_case on the wire).
    static let commandOps: [String: String] = [
        "register": "register", "deregister": "deregister", "handshake": "handshake",
        "reply_handshake": "reply_handshake", "handshake_reply": "reply_handshake",
        "expire_handshake": "expire_handshake", "cancel_handshake": "expire_handshake",
        "decline_learning": "decline_learning",
        "form_crew": "form_crew", "crew_form": "form_crew", "leave_crew": "leave_crew", "crew_leave": "leave_crew",
        "disband_crew": "disband_crew", "crew_disband": "disband_crew",
        "propose": "propose", "create_proposal": "propose", "vote": "vote",
        "withdraw_proposal": "withdraw_proposal", "close_proposal": "withdraw_proposal",
        "post_ahoy": "post_ahoy", "ahoy": "post_ahoy", "apply": "apply", "apply_to_ahoy": "apply",
        "award": "award", "award_ahoy": "award", "withdraw_ahoy": "withdraw_ahoy",
        "withdraw_application": "withdraw_application", "teach": "teach", "teach_skill": "teach",
        "request_learning": "request_learning", "learn": "request_learning",
        "share": "share", "share_knowledge": "share", "say": "say", "message": "say",
        "join_crew": "join_crew", "crew_join": "join_crew", "delegate": "delegate", "negotiate": "negotiate",
        "status": "status", "announce_status": "status",
        "propose_mutation": "propose_mutation", "claim_mutation": "claim_mutation",
        "complete_mutation": "complete_mutation", "reject_mutation": "reject_mutation",
    ]

    public static var commandNames: [String] { Array(Set(commandOps.keys)).sorted() }

    /// Builds the command an op asks for, speaking as `agent`. A `from` (or register `id`) naming anyone
    /// else is refused: a connection speaks only as the agent it said hello as.
    public static func command(op: String, fields: [String: Any], agent: String) throws(BusError) -> BusCommand {
        guard let name = commandOps[op] else {
            let hint = closestMatch(to: op, in: Array(commandOps.keys) + ["hello", "ping", "subscribe", "batch", "state"])
                .map { " (did you mean '\($0)'?)" } ?? ""
            throw .invalid("unknown op '\(op)'\(hint)")
        }
        // A connection speaks only as its agent: `from` or `agent` naming anyone else is refused, on every op.
        // A request's own `id` is its reply tag, never an identity.
        for claimKey in ["from", "agent"] {
            if let claimed = fields[claimKey], (claimed as? String) != agent {
                throw .notAllowed("this connection speaks as '\(agent)'; '\(claimKey)' says '\(TerminalText.line("\(claimed)"))'")
            }
        }
        return try buildCommand(name, WireFields(op: op, values: fields), from: agent)
    }

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = BusTime.decoding
        return d
    }()

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.dateEncodingStrategy = BusTime.encoding
        e.outputFormatting = [.withoutEscapingSlashes]
        return e
    }()

    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String {
            keys.map(\.stringValue).filter { $0 != "_0" }.dropFirst().map(snake).joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let at = path(context.codingPath + [key])
            return "missing field '\(at)'"
        case .typeMismatch(let type, let context):
            return "field '\(path(context.codingPath))' must be \(typeName(type))"
        case .valueNotFound(let type, let context):
            return "field '\(path(context.codingPath))' must be \(typeName(type)), not null"
        case .dataCorrupted(let context):
            return "field '\(path(context.codingPath))': \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    /// `required_skills` → `requiredSkills`.
    static func camel(_ key: String) -> String {
        // Bytes, not `contains("_")`: with Foundation imported that is NSString's range(of:), ~1.5% of the
        // daemon's CPU on a `say` (perf, 2026-12-03).
        guard key.utf8.contains(UInt8(ascii: "_")) else { return key }
        var out = ""
        var upper = false
        for c in key {
            if c == "_" { upper = !out.isEmpty; continue }
            out += upper ? c.uppercased() : String(c)
            upper = false
        }
        return out
    }

    static func snake(_ key: String) -> String {
        var out = ""
        for c in key {
            if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) }
        }
        return out
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type, is UInt64.Type: return "an integer"
        case is Double.Type: return "a number"
        case is Bool.Type: return "true or false"
        default: return "\(type)"
        }
    }

    // MARK: Replies

    static func idJSON(_ id: WireID) -> String {
        switch id {
        case .none: return "null"
        case .string(let s): return jsonString(s)
        case .number(let n): return String(n)
        }
    }

    static func jsonString(_ s: String) -> String {
        var writer = JSONWriter()
        writer.string(s)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// `{"v":1,"op":…,"id":…,…fields}` and a newline: what a client sends for one request.
    static func requestLine(op: String, id: Int64, fields: [String: Any]) throws(JSONWriterError) -> [UInt8] {
        var writer = JSONWriter()
        writer.open()
        writer.key("v")
        writer.number(version)
        writer.key("op")
        writer.string(op)
        writer.key("id")
        writer.number(id)
        for (key, value) in fields where key != "v" && key != "op" && key != "id" {
            writer.key(key)
            try writer.value(value)
        }
        writer.close()
        writer.bytes.append(10)
        return writer.bytes
    }

    public static func encodeEvent(_ event: BusEvent) throws -> Data { Data(EventJSON.encode(event)) }

    /// A message event is read by hand (`MessageEventScanner`); any other by `JSONDecoder`.
    public static func decodeEvent(_ data: Data) throws -> BusEvent {
        if let event = data.withUnsafeBytes({ raw in MessageEventScanner.event(raw.bindMemory(to: UInt8.self)) }) { return event }
        return try decoder.decode(BusEvent.self, from: data)
    }

    /// For the wire fuzzer (public for it): false when the hand scanners read a reply or an event line that the
    /// decoder refuses or reads differently.
    public static func eventScannersAgree(_ bytes: [UInt8]) -> Bool {
        let data = Data(bytes)
        if let fast = bytes.withUnsafeBufferPointer({ MessageEventScanner.event($0) }) {
            guard let full = try? decoder.decode(BusEvent.self, from: data), full == fast else { return false }
        }
        if let fast = bytes.withUnsafeBufferPointer({ FlatReplyScanner.scan($0) }) {
            guard let full = try? decoder.decode(WireReply.self, from: data), full == fast else { return false }
        }
        return true
    }

    static func ok(_ id: WireID, op: String, extra: String = "") -> String {
        "{\"v\":1,\"id\":\(idJSON(id)),\"ok\":true,\"op\":\(jsonString(op))\(extra.isEmpty ? "" : "," + extra)}\n"
    }

    /// The answer to a ping: who this connection speaks as (null before its hello).
    static func pong(_ id: WireID, agent: String?) -> String {
        ok(id, op: "pong", extra: "\"agent\":\(agent.map(jsonString) ?? "null")")
    }

    static func error(_ id: WireID, _ message: String, code: String = "refused", busError: BusError? = nil) -> String {
        let detail = busError.flatMap { try? encoder.encode($0) }.map { ",\"bus_error\":" + String(decoding: $0, as: UTF8.self) } ?? ""
        return "{\"v\":1,\"id\":\(idJSON(id)),\"ok\":false,\"code\":\(jsonString(code)),\"error\":\(jsonString(message))\(detail)}\n"
    }

    /// The bus refused a request: its words, its stable code and the error itself for clients that decode it —
    /// the same reply wherever on the server the refusal is made.
    static func refusal(_ id: WireID, _ error: BusError) -> String {
        self.error(id, error.description, code: error.code, busError: error)
    }
}

/// A request's `id`, echoed in its reply.
public enum WireID: Sendable, Hashable {
    case none
    case number(Int64)
    case string(String)
}
