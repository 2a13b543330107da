/// The original tool's `[b00t.learn]` table: which grok topic a datum's knowledge belongs to, text to show
/// inline, and whether `b00t learn` should digest that text into grok. `learn = "…"` (a string) is the short form.
public struct LearnSpec: Hashable, Sendable, Codable {
    public var topic: String?
    public var inline: String?
    public var autoDigest: Bool?

    public init(topic: String? = nil, inline: String? = nil, autoDigest: Bool? = nil) {
        self.topic = topic
        self.inline = inline
        self.autoDigest = autoDigest
    }

    enum CodingKeys: String, CodingKey {
        case topic, inline, autoDigest = "auto_digest"
    }
}

extension DatumDecoder {
    static let learnKeys = ["topic", "inline", "auto_digest"]

    /// `learn` as a string, or a `[b00t.learn]` table (its `inline` text also fills `datum.learn`).
    static func decodeLearn(_ t: TableReader, into datum: inout Datum) {
        guard let value = t.raw("learn") else { return }
        switch value {
        case .string(let text):
            datum.learn = text
        case .table:
            guard let table = t.subtable("learn") else { return }
            let spec = LearnSpec(topic: table.string("topic"), inline: table.string("inline"), autoDigest: table.bool("auto_digest"))
            table.finish(known: learnKeys)
            datum.learnSpec = spec
            datum.learn = spec.inline
        default:
            t.typeError("learn", expected: "a string or a [b00t.learn] table (topic, inline, auto_digest)", found: value)
        }
    }
}

extension UsageExample {
    /// The original tool's string form `"command # description"` (split at the last " # ").
    init(line: String) {
        if let mark = line.range(of: " # ", options: .backwards) {
            self.init(description: String(line[mark.upperBound...]).trimmingWhitespace(),
                      command: String(line[..<mark.lowerBound]).trimmingWhitespace())
        } else {
            self.init(description: "", command: line)
        }
    }
}
