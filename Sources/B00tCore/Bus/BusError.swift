/// Why the bus refused a command (nothing was written) or could not read its store.
public enum BusError: Error, Equatable, Sendable, Codable, CustomStringConvertible {
    case unknownAgent(String)
    case alreadyRegistered(String)
    case invalid(String)
    case notAllowed(String)
    case notFound(String, String)
    case closed(String)
    case duplicate(String)
    case corruptSnapshot(path: String, detail: String)
    case corruptLog(seq: UInt64, detail: String)
    case storage(String)
    case timeout(String)
    /// The store ends before events this process already saw: it was restarted without persistence, or its
    /// file was deleted. Writing on would reuse sequence numbers others hold, so writes are refused.
    case logRewound(store: String, seen: UInt64, now: UInt64)
    /// The store holds another log than the one this process folded (emptied and started again by someone
    /// else): its numbers mean other events now, so reading or writing on would mix two histories.
    case logReplaced(store: String)
    /// The socket server refused the request itself (before any bus rule): rate limit, token, identity,
    /// framing. `code` is the wire's code (`rate_limited`, `unauthorized`, `conflict`, `no_hello`, `malformed`,
    /// `too_long`, `too_large`, `forbidden`).
    case transport(code: String, message: String)

    /// The stable machine code for this refusal, the same on the wire (`"code"`) and in every client:
    /// scripts and other languages branch on it, never on the prose.
    public var code: String {
        switch self {
        case .notAllowed: return "forbidden"
        case .unknownAgent, .notFound: return "not_found"
        case .alreadyRegistered, .duplicate: return "duplicate"
        case .closed: return "closed"
        case .invalid: return "invalid"
        case .timeout: return "timeout"
        case .corruptSnapshot, .corruptLog: return "corrupt"
        case .storage: return "storage"
        case .logRewound: return "log_rewound"
        case .logReplaced: return "log_replaced"
        case .transport(let code, _): return code
        }
    }

    public var description: String {
        switch self {
        case .unknownAgent(let id): return "unknown agent '\(id)': register it first (/agents lists who is here)"
        case .alreadyRegistered(let id): return "agent '\(id)' is already registered"
        case .invalid(let message): return message
        case .notAllowed(let message): return "not allowed: \(message)"
        case .notFound(let kind, let id): return "no \(kind) '\(id)'"
        case .closed(let message): return "closed: \(message)"
        case .duplicate(let message): return "refused: \(message)"
        case .corruptSnapshot(let path, let detail):
            return "snapshot \(path) is unreadable (\(detail)); move it aside to recover from the log alone"
        case .corruptLog(let seq, let detail):
            return "bus log event \(seq) is unreadable (\(detail)); events before it are intact"
        case .storage(let message): return "bus storage: \(message)"
        case .timeout(let message): return "timed out: \(message)"
        case .logRewound(let store, let seen, let now):
            return "the bus log at \(store) went backwards: this process has seen events up to #\(seen) but the store now ends at #\(now) "
                + "(restarted without persistence, or its files deleted?). Writes are refused so no event number is used twice: "
                + "restore the store, or start every b00t process of this crew afresh on the new log"
        case .logReplaced(let store):
            return "the bus log at \(store) was replaced: it was emptied and a new log started since this process read it, "
                + "so its event numbers now mean other events. Nothing more is read or written here: restart this process "
                + "to join the new log (or restore the old one)"
        case .transport(_, let message): return message
        }
    }
}
