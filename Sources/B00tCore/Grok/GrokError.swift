/// What can go wrong in grok, each naming the thing and how to fix it; `code` is stable for scripts and tests.
public enum GrokError: Error, Equatable, CustomStringConvertible, Sendable {
    case emptyText(source: String)
    case binaryFile(path: String)
    case noSuchPath(path: String)
    case unreadable(path: String, reason: String)
    case unknownTopic(topic: String, known: [String])
    case unknownID(id: String)
    case corruptStore(path: String, detail: String)
    case storage(path: String, detail: String)
    case badLesson(reason: String)
    case badArgument(String)
    case modelUnavailable(EmbeddingError)
    case qdrant(url: String, detail: String)

    public var code: String {
        switch self {
        case .emptyText: "grok_empty_text"
        case .binaryFile: "grok_binary_file"
        case .noSuchPath: "grok_no_such_path"
        case .unreadable: "grok_unreadable"
        case .unknownTopic: "grok_unknown_topic"
        case .unknownID: "grok_unknown_id"
        case .corruptStore: "grok_corrupt_store"
        case .storage: "grok_storage"
        case .badLesson: "grok_bad_lesson"
        case .badArgument: "grok_bad_argument"
        case .modelUnavailable: "grok_model_unavailable"
        case .qdrant: "grok_qdrant"
        }
    }

    public var description: String {
        switch self {
        case .emptyText(let source):
            return "nothing to learn from \(source): it is empty or whitespace only"
        case .binaryFile(let path):
            return "\(path) looks binary (NUL bytes or invalid UTF-8); grok learns text, Markdown and source files"
        case .noSuchPath(let path):
            return "\(path): no such file or directory (quote the text if you meant to learn it as text)"
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .unknownTopic(let topic, let known):
            let list = known.isEmpty ? "grok is empty" : "known topics: " + known.prefix(20).joined(separator: ", ")
            return "no chunks under topic '\(topic)'; \(list) (see `b00t grok topics`)"
        case .unknownID(let id):
            return "no chunk with id \(id) (ids are shown by `b00t grok ask … --json`)"
        case .corruptStore(let path, let detail):
            return "\(path) is damaged (\(detail)); move it aside and learn again (`mv \(path) \(path).bad`)"
        case .storage(let path, let detail):
            return "grok store \(path): \(detail)"
        case .badLesson(let reason):
            return "lesson: \(reason); write it as \"topic: what you learned\""
        case .badArgument(let message):
            return message
        case .modelUnavailable(let error):
            return error.description
        case .qdrant(let url, let detail):
            return "Qdrant at \(url): \(detail)"
        }
    }
}
