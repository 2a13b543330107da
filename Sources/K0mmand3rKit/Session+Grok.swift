import B00tCore
import Foundation

/// grok from the REPL. One knowledge base per state folder and process, opened at first use (the model is
/// mapped once); when the model is missing, the first answer says how to get it.
final class GrokSessions: @unchecked Sendable {
    static let shared = GrokSessions()
    private let lock = NSLock()
    private var open: [String: Grok] = [:]
    private var warned: Set<String> = []

    /// The grok for `paths`, and the one-time notice to show (nil after the first time).
    func grok(for paths: B00tPaths) throws -> (Grok, notice: String?) {
        lock.lock()
        defer { lock.unlock() }
        let key = paths.stateDirectory
        let grok: Grok
        if let existing = open[key] {
            grok = existing
        } else {
            grok = try Grok.open(paths: paths)
            open[key] = grok
        }
        let notice = warned.insert(key).inserted ? grok.modelNotice : nil
        return (grok, notice)
    }
}

extension Session {
    private func openGrok() throws -> (Grok, [StyledText]) {
        let (grok, notice) = try GrokSessions.shared.grok(for: orchestrator().paths)
        return (grok, notice.map { [StyledText.warn($0)] } ?? [])
    }

    /// The datum folder lessons go to: the first existing folder on the standard search path.
    private func lessonFolder() throws -> String {
        let folders = DatumSearchPath.standard().folders
        for folder in folders {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue { return folder }
        }
        throw ReplError.failed("no datum folder exists (searched \(folders.joined(separator: ":"))); create ./_b00t_")
    }

    func executeGrok(_ request: GrokRequest) async throws -> CommandOutcome {
        do {
            return try runGrok(request)
        } catch let error as GrokError {
            return .error(error.description)
        } catch let error as EmbeddingError {
            return .error(error.description)
        }
    }

    private func runGrok(_ request: GrokRequest) throws -> CommandOutcome {
        let (grok, notice) = try openGrok()
        var out = CommandOutcome(lines: notice)
        func hits(_ list: [GrokHit], empty: String) {
            if list.isEmpty { out.lines.append(.dim(empty)) }
            for (index, line) in GrokText.hitLines(list).enumerated() {
                out.lines.append(index % 2 == 0 ? StyledText(line, role: "title") : StyledText(line))
            }
        }
        switch request {
        case .ask(let question, let topic, let limit):
            hits(try grok.ask(question, topic: topic, limit: limit), empty: "no match in grok")
        case .learn(let inputs, let topic):
            let report = try grok.learn(inputs, topic: topic)
            for (name, reason) in report.topics.sorted(by: { $0.key < $1.key }) {
                out.lines.append(.dim("topic \(GrokText.safe(name, oneLine: true))" + (reason == "given" ? "" : " (\(reason))")))
            }
            for skipped in report.skipped { out.lines.append(.warn("skipped: \(GrokText.safe(skipped, oneLine: true))")) }
            out.lines.append(.ok("learned \(report.added) new chunk(s), \(report.duplicates) already known"))
        case .digest(let topic, let text):
            let report = try grok.digest(text, topic: topic, source: "k0mmand3r:\(agent)")
            out.lines.append(.ok(report.added > 0 ? "stored under \(GrokText.safe(topic, oneLine: true))" : "already known"))
        case .topics:
            let topics = try grok.topics()
            if topics.isEmpty { out.lines.append(.dim("grok is empty: /grok learn FILE or /grok digest -t TOPIC text")) }
            for topic in topics { out.lines.append(StyledText("\(GrokText.safe(topic.topic, oneLine: true))  \(topic.chunks)")) }
        case .stats:
            let stats = try grok.stats()
            out.lines.append(StyledText("\(stats.backend) · mode \(stats.mode) · \(stats.chunks) chunk(s) in \(stats.topics) topic(s)"))
        case .lfmf(let tool, let text):
            let lesson = try Lesson.parse(text)
            let book = try LessonBook(tool: tool, datumFolder: try lessonFolder())
            try book.append(lesson)
            for note in lesson.salvaged { out.lines.append(.warn("note: \(note); saved as: \(GrokText.safe(lesson.text, oneLine: true))")) }
            try book.index(into: grok)
            out.lines.append(.ok("lesson recorded in \(book.path) and indexed under \(book.topic)"))
        case .advice(let tool, let problem):
            let book = try LessonBook(tool: tool, datumFolder: try lessonFolder())
            let (list, matched) = try book.advice(problem, grok: grok)
            if !matched, !list.isEmpty { out.lines.append(.dim("no lesson for \(book.tool) shares a word with that; all of them, newest first:")) }
            hits(list, empty: "no lessons for \(book.tool) yet: /lfmf \(book.tool) topic: what you learned")
        }
        return out
    }

    /// `/share` in a crew also goes into grok under `crew:NAME`, so crews build a memory. A grok problem is a
    /// warning: the share itself went through.
    func digestShared(crew: String, topic: String, text: String) -> [StyledText] {
        guard text.trimmingCharacters(in: .whitespacesAndNewlines).count >= 10 else { return [] }
        do {
            let (grok, notice) = try openGrok()
            try grok.digest("\(topic): \(text)", topic: "crew:\(crew)", source: "share:\(agent)")
            return notice + [.dim("remembered in grok under crew:\(crew)")]
        } catch {
            return [.warn("not remembered in grok: \(error)")]
        }
    }
}
