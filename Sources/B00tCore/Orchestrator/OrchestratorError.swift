/// Why the orchestrator could not bring something up or down; every case says what to do next.
public enum OrchestratorError: Error, Equatable, Sendable, CustomStringConvertible {
    case missingDatum(String, neededBy: String?, suggestion: String?)
    case ambiguous(String, candidates: [String])
    case cycle([String])
    case notRunnable(String, DatumType)
    case invalidDatum(String, String)
    case startFailed(String, String, logTail: String)
    case unhealthy(String, lastProbe: String, waitedMs: Int, logTail: String)
    case crashed(String, String)
    case engineUnavailable(String, String)
    case stillNeeded(String, dependents: [String])
    /// A service record b00t will not act on (see `ProcessRuntime`): reported, nothing signalled.
    case untrustedRecord(String, String)
    /// The program forked into the background: its leader exited, its group lives on.
    case daemonized(String, String)
    /// Another b00t held the datum's lock for longer than `lock_timeout_ms`.
    case lockTimeout(String, String)
    case system(String)

    public var description: String {
        switch self {
        case .missingDatum(let name, let neededBy, let suggestion):
            let who = neededBy.map { " (needed by \($0))" } ?? ""
            let hint = suggestion.map { "; did you mean '\($0)'?" } ?? "; `b00t datum list` shows what exists"
            return "no datum '\(name)'\(who)\(hint)"
        case .ambiguous(let name, let candidates):
            return "'\(name)' is ambiguous: \(candidates.joined(separator: ", ")); give the full name.type"
        case .cycle(let path):
            return "dependency cycle: \(path.joined(separator: " → ")); remove one of these depends_on/members entries"
        case .notRunnable(let id, let type):
            return "'\(id)' is a \(type) datum; only docker, podman, process and stack datums can be started"
        case .invalidDatum(let id, let problem):
            return "\(id): \(problem)"
        case .startFailed(let id, let reason, let tail):
            return "\(id) failed to start: \(reason)" + Self.tail(tail)
        case .unhealthy(let id, let probe, let waited, let tail):
            return "\(id) did not become healthy within \(waited) ms; last probe: \(probe)" + Self.tail(tail)
                + "\nhint: check the health_check in its datum, or `b00t logs \(id)`"
        case .crashed(let id, let detail):
            return "\(id) crashed (\(detail)) and its restart_policy is \"no\"; run `b00t restart \(id)`"
        case .engineUnavailable(let engine, let reason):
            return "\(engine) cannot run containers here (\(engine) info: \(reason)); start the engine, or use a process datum (e.g. redis.process)"
        case .stillNeeded(let id, let dependents):
            return "\(id) is still needed by running \(dependents.joined(separator: ", ")); stop those first or pass --force"
        case .untrustedRecord(let id, let why):
            return "\(id): \(why)"
        case .daemonized(let id, let detail):
            return "\(id): \(detail). b00t supervises programs that stay in the foreground: run it with its "
                + "foreground flag (e.g. --foreground, --nodaemon, --daemonize no) and `b00t stop \(id)` to stop what is left"
        case .lockTimeout(let id, let detail):
            return "\(id): \(detail)"
        case .system(let message):
            return message
        }
    }

    private static func tail(_ text: String) -> String {
        text.isEmpty ? "" : "\n--- last log lines ---\n\(text)"
    }
}

extension OrchestratorError {
    /// A stable machine code (logs, metrics, `--json`), one per case.
    public var code: String {
        switch self {
        case .missingDatum: return "missing_datum"
        case .ambiguous: return "ambiguous"
        case .cycle: return "cycle"
        case .notRunnable: return "not_runnable"
        case .invalidDatum: return "invalid_datum"
        case .startFailed: return "start_failed"
        case .unhealthy: return "unhealthy"
        case .crashed: return "crashed"
        case .engineUnavailable: return "engine_unavailable"
        case .stillNeeded: return "still_needed"
        case .untrustedRecord: return "untrusted_record"
        case .daemonized: return "daemonized"
        case .lockTimeout: return "lock_timeout"
        case .system: return "system"
        }
    }
}
