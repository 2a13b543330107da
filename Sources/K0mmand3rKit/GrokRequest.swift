import B00tCore

/// k0mmand3r's grok commands: `/grok ask|learn|digest|topics|stats`, `/lfmf TOOL topic: body`, `/advice TOOL problem`.
public enum GrokRequest: Equatable, Sendable {
    case ask(question: String, topic: String?, limit: Int)
    case learn(inputs: [String], topic: String?)
    case digest(topic: String, text: String)
    case topics
    case stats
    case lfmf(tool: String, lesson: String)
    case advice(tool: String, problem: String)

    static let catalog: [(name: String, usage: String, summary: String)] = [
        ("/grok", "/grok ask QUESTION [-t TOPIC] [--limit N] | learn [-t TOPIC] TEXT|PATH… | digest -t TOPIC TEXT | topics | stats",
         "the crew's knowledge base: ask by words and meaning"),
        ("/lfmf", "/lfmf TOOL topic: what you learned", "record a lesson learned the hard way (learn/TOOL.md + grok)"),
        ("/advice", "/advice TOOL problem", "the lessons most relevant to a problem with TOOL"),
    ]

    static func parse(_ name: String, _ arguments: [String]) throws(ReplError) -> GrokRequest {
        var args = arguments
        func rest() -> String { args.joined(separator: " ") }
        switch name {
        case "/lfmf":
            guard args.count >= 2 else { throw .usage("usage: /lfmf TOOL topic: what you learned") }
            let tool = args.removeFirst()
            return .lfmf(tool: tool, lesson: rest())
        case "/advice":
            guard args.count >= 2 else { throw .usage("usage: /advice TOOL problem") }
            let tool = args.removeFirst()
            return .advice(tool: tool, problem: rest())
        default:
            guard let sub = args.first else { throw .usage("usage: \(catalog[0].usage)") }
            args.removeFirst()
            var topic = try ReplCommand.option("-t", in: &args)
            if topic == nil { topic = try ReplCommand.option("--topic", in: &args) }
            switch sub {
            case "ask":
                var limit = 5
                if let text = try ReplCommand.option("--limit", in: &args) {
                    guard let value = Int(text), (1...100).contains(value) else { throw .usage("--limit takes 1…100 (got '\(text)')") }
                    limit = value
                }
                guard !args.isEmpty else { throw .usage("usage: /grok ask QUESTION [-t TOPIC] [--limit N]") }
                return .ask(question: rest(), topic: topic, limit: limit)
            case "learn":
                guard !args.isEmpty else { throw .usage("usage: /grok learn [-t TOPIC] TEXT|PATH…") }
                // One path, or else the whole line as text (quotes optional).
                return .learn(inputs: args.count == 1 ? args : [rest()], topic: topic)
            case "digest":
                guard let topic, !args.isEmpty else { throw .usage("usage: /grok digest -t TOPIC TEXT") }
                return .digest(topic: topic, text: rest())
            case "topics": return .topics
            case "stats": return .stats
            default:
                throw .usage("unknown /grok command '\(sub)': ask, learn, digest, topics or stats")
            }
        }
    }
}
