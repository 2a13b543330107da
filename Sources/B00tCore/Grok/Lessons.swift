#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Lessons learned the hard way (`b00t lfmf TOOL "topic: body"`): plain Markdown a person can read and commit,
/// `<datum folder>/learn/TOOL.md`, each lesson appended as `---\ntopic: body\n`, and indexed into grok under
/// the topic `lfmf:TOOL` so `b00t advice TOOL "problem"` finds the relevant ones by meaning.
public struct Lesson: Sendable, Hashable, Codable {
    public var topic: String
    public var body: String
    /// What was changed to make the input fit the file format (shown to the user), empty when nothing.
    public var salvaged: [String] = []

    public init(topic: String, body: String) {
        self.topic = topic
        self.body = body
    }

    /// The line as stored: `topic: body`.
    public var text: String { "\(topic): \(body)" }

    /// A body this long is notes, not a lesson: learn it as a file instead.
    public static let maxBytes = 4_096

    /// Parses `topic: body`. Errors for an empty input, a missing `topic:`, an empty body or an over-long body;
    /// repairs (and reports in `salvaged`) control characters and body lines that would read as separators.
    public static func parse(_ raw: String) throws -> Lesson {
        let input = raw.trimmingWhitespace()
        guard !input.isEmpty else { throw GrokError.badLesson(reason: "the lesson is empty") }
        guard let colon = input.firstIndex(of: ":") else {
            throw GrokError.badLesson(reason: "no `topic:` in \"\(input.prefix(60))\"")
        }
        var topic = String(input[..<colon]).trimmingWhitespace()
        var body = String(input[input.index(after: colon)...]).trimmingWhitespace()
        guard !topic.isEmpty else { throw GrokError.badLesson(reason: "the topic before ':' is empty") }
        guard !topic.contains(where: \.isNewline), topic.count <= 80 else {
            throw GrokError.badLesson(reason: "the topic must be one short line (80 characters at most) before the first ':'")
        }
        guard !body.isEmpty else { throw GrokError.badLesson(reason: "nothing after \"\(topic):\"") }
        guard body.utf8.count <= maxBytes else {
            throw GrokError.badLesson(reason: "the body is \(body.utf8.count) bytes, over the \(maxBytes)-byte limit for one lesson; "
                                      + "put longer notes in a file and `b00t grok learn` it")
        }
        var lesson = Lesson(topic: topic, body: body)
        let cleanTopic = stripControls(topic), cleanBody = stripControls(body)
        if cleanTopic != topic || cleanBody != body {
            lesson.salvaged.append("removed control characters")
            topic = cleanTopic
            body = cleanBody
        }
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            line.trimmingCharacters(in: .whitespaces) == "---" ? "- - -" : String(line)
        }
        if lines.joined(separator: "\n") != body {
            lesson.salvaged.append("a line '---' in the body became '- - -' (it separates lessons in the file)")
            body = lines.joined(separator: "\n")
        }
        lesson.topic = topic
        lesson.body = body
        return lesson
    }

    static func stripControls(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { scalar in
            scalar == "\n" || scalar == "\t" || !(scalar.properties.generalCategory == .control)
        }))
    }
}

/// One tool's lesson file.
public struct LessonBook: Sendable {
    public let tool: String
    public let path: String

    /// `folder` is the datum folder (the first existing one on the search path).
    public init(tool: String, datumFolder folder: String) throws {
        let name = tool.trimmingWhitespace()
        guard !name.isEmpty, name.count <= 64, !name.hasPrefix("."),
              name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw GrokError.badArgument("tool name '\(tool.prefix(40))' must be letters, digits, '-', '_' or '.' (like a datum name)")
        }
        self.tool = name
        path = folder + "/learn/" + name + ".md"
    }

    /// grok's topic for this tool's lessons.
    public var topic: String { "lfmf:\(tool)" }

    /// Appends the lesson (creating `learn/` and the file when needed).
    public func append(_ lesson: Lesson) throws {
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw GrokError.unreadable(path: directory, reason: "cannot create it: \(error.localizedDescription)")
        }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw GrokError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        let needsNewline = fstat(fd, &info) == 0 && info.st_size > 0 && !endsWithNewline()
        let record = (needsNewline ? "\n" : "") + "---\n\(lesson.text)\n"
        let bytes = Array(record.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw GrokError.unreadable(path: path, reason: "write: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }

    private func endsWithNewline() -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return true }
        defer { try? handle.close() }
        guard let end = try? handle.seekToEnd(), end > 0 else { return true }
        try? handle.seek(toOffset: end - 1)
        return (try? handle.read(upToCount: 1)) == Data([10])
    }

    /// The file split at `---` lines: the guide before the first one, then each lesson's text.
    public func read() throws -> (guide: String, lessons: [String]) {
        guard FileManager.default.fileExists(atPath: path) else { return ("", []) }
        var sections: [[String]] = [[]]
        try TextSource.forEachLine(path: path) { line in
            if line.trimmingCharacters(in: .whitespaces) == "---" { sections.append([]) } else { sections[sections.count - 1].append(line) }
        }
        let guide = sections[0].joined(separator: "\n").trimmingWhitespace()
        let lessons = sections.dropFirst().map { $0.joined(separator: "\n").trimmingWhitespace() }.filter { !$0.isEmpty }
        return (guide, lessons)
    }

    /// The lessons most relevant to `problem` (the file is indexed first, so lessons pulled with git count).
    /// When none matches — words only and no word in common — every lesson is returned, newest first, with
    /// score 0 and `matched` false: a short list to read beats "nothing found".
    public func advice(_ problem: String, grok: Grok, limit: Int = 5) throws -> (hits: [GrokHit], matched: Bool) {
        try index(into: grok)
        let hits = try grok.ask(problem, topic: topic, limit: limit)
        if !hits.isEmpty { return (hits, true) }
        let lessons = try read().lessons
        let listed = lessons.enumerated().reversed().prefix(limit).map { index, text in
            GrokHit(chunk: GrokChunk(id: "", topic: topic, source: path, chunkIndex: index, content: text,
                                     contentHash: "", createdAt: 0), score: 0)
        }
        return (Array(listed), false)
    }

    /// Indexes every lesson of the file into grok (already-known ones are skipped by content hash).
    @discardableResult
    public func index(into grok: Grok) throws -> LearnReport {
        let lessons = try read().lessons
        guard !lessons.isEmpty else { return LearnReport() }
        var report = LearnReport()
        report.topics[topic] = "the tool's lessons"
        try grok.backend.write { writer in
            var pipeline = Grok.Pipeline(grok: grok, writer: writer)
            for (index, lesson) in lessons.enumerated() {
                try pipeline.enqueue(NewChunk(topic: topic, source: path, chunkIndex: index, content: lesson))
            }
            try pipeline.finish()
            report.added = pipeline.added
            report.duplicates = pipeline.duplicates
        }
        return report
    }
}
