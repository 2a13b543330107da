import Foundation

/// `b00t learn TOPIC`: everything the crew knows about a topic, in this order — what the datum says (its `learn`
/// text or `[b00t.learn]` table), the guide `learn/TOPIC.md`, the lessons recorded for TOPIC, and the best grok
/// hits that are not already among them.
public struct LearnGuide: Sendable, Codable {
    public struct DatumPart: Sendable, Codable {
        public var id: String
        public var hint: String
        public var learn: String?
        public var grokTopic: String?
    }

    public var topic: String
    public var datums: [DatumPart] = []
    public var guidePath: String?
    public var guide: String?
    public var lessons: [String] = []
    public var hits: [GrokHit] = []
    /// What was digested into grok on the way (a datum with `auto_digest = true`).
    public var digested: Int = 0

    public var isEmpty: Bool { datums.isEmpty && guide == nil && lessons.isEmpty && hits.isEmpty }

    /// Gathers the guide. `folders` is the datum search path (the first `learn/TOPIC.md` found is used).
    public static func gather(topic: String, catalog: DatumCatalog, folders: [String], grok: Grok?, limit: Int = 5) throws -> LearnGuide {
        let name = topic.trimmingWhitespace()
        guard !name.isEmpty else { throw GrokError.badArgument("name a topic: `b00t learn redis`") }
        var guide = LearnGuide(topic: name)
        let matches = catalog.all.filter { $0.name == name || $0.id == name || $0.learnSpec?.topic == name }
        for datum in matches {
            let learnText = datum.learn ?? datum.learnSpec?.inline
            let grokTopic = datum.learnSpec?.topic
            guide.datums.append(DatumPart(id: datum.id, hint: datum.hint, learn: learnText, grokTopic: grokTopic))
            if datum.learnSpec?.autoDigest == true, let text = learnText, let grok, !text.trimmingWhitespace().isEmpty {
                let report = try grok.digest(text, topic: grokTopic ?? datum.name, source: datum.source ?? datum.id)
                guide.digested += report.added
            }
        }
        for folder in folders {
            let candidate = folder + "/learn/" + name + ".md"
            guard FileManager.default.fileExists(atPath: candidate),
                  let book = try? LessonBook(tool: name, datumFolder: folder) else { continue }
            let content = try book.read()
            guide.guidePath = candidate
            guide.guide = content.guide.isEmpty ? nil : content.guide
            guide.lessons = content.lessons
            if let grok, !content.lessons.isEmpty { try book.index(into: grok) }
            break
        }
        if let grok {
            let query = ([name] + guide.datums.map(\.hint)).joined(separator: " ")
            let known = Set(guide.lessons)
            guide.hits = try grok.ask(query, limit: limit + known.count).filter { !known.contains($0.chunk.content) }
                .prefix(limit).map { $0 }
        }
        return guide
    }

    /// The guide as terminal-safe text.
    public var text: String {
        var out: [String] = []
        for datum in datums {
            out.append("## \(datum.id)" + (datum.hint.isEmpty ? "" : " — \(GrokText.safe(datum.hint, oneLine: true))"))
            if let learn = datum.learn, !learn.isEmpty { out.append(GrokText.safe(learn.trimmingWhitespace())) }
            if let topic = datum.grokTopic { out.append("(grok topic: \(GrokText.safe(topic, oneLine: true)))") }
            out.append("")
        }
        if let guide, let guidePath {
            out.append("## \(GrokText.safe(guidePath, oneLine: true))")
            out.append(GrokText.safe(guide))
            out.append("")
        }
        if !lessons.isEmpty {
            out.append("## Lessons (lfmf)")
            for lesson in lessons { out.append("- " + GrokText.safe(lesson).replacingOccurrences(of: "\n", with: "\n  ")) }
            out.append("")
        }
        if !hits.isEmpty {
            out.append("## From grok")
            out += GrokText.hitLines(hits)
        }
        if digested > 0 { out.append("(digested \(digested) chunk(s) into grok)") }
        return out.joined(separator: "\n")
    }
}
