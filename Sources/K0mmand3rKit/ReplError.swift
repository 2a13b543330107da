/// A REPL command that could not run: shown inline, never fatal.
public enum ReplError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownCommand(String, suggestion: String?)
    case usage(String)
    case failed(String)

    public var description: String {
        switch self {
        case .unknownCommand(let name, let suggestion):
            return "unknown command \(name)" + (suggestion.map { " — did you mean \($0)?" } ?? "") + " (/help lists them)"
        case .usage(let text): return text
        case .failed(let text): return text
        }
    }
}
