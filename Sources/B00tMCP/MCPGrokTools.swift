import B00tCore
import Foundation
import MCP

/// grok (the crew's knowledge base) and lessons learned the hard way, as `b00t grok`, `b00t lfmf` and
/// `b00t advice` run them: the same store (`<state dir>/grok.sqlite`, or `$B00T_GROK_URL`) and lesson files.
public struct MCPGrokTools: MCPToolProvider {
    public init() {}

    public var tools: [MCPTool] { [grokAsk, grokLearn, lfmf, advice] }

    /// Text stored in grok does not cross the bus: a larger limit than bus text.
    static let grokTextLimit = 256 * 1024

    var grokAsk: MCPTool {
        MCPTool(MCPToolSpec("grok_ask", "Ask the crew's knowledge base: ranked chunks by meaning and by words.", readOnly: true, [
            MCPArgumentSpec("question", .text(maxBytes: 4096), required: true, "the question"),
            MCPArgumentSpec("topic", .name, "only this topic"),
            MCPArgumentSpec("limit", .integer(1...100), "how many hits (default 5)"),
        ])) { args, ctx in
            let question = try args.required("question")
            guard !question.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw args.refuse("question", "argument 'question' is empty")
            }
            let topic = args.string("topic"), limit = args.int("limit") ?? 5
            let (hits, mode) = try await ctx.grok.with { grok in (try grok.ask(question, topic: topic, limit: limit), grok.mode) }
            let text = hits.isEmpty ? "no match" : GrokText.hitLines(hits).joined(separator: "\n")
            return MCPToolOutcome(text, ["mode": .string(mode), "hits": Self.hits(hits)])
        }
    }

    var grokLearn: MCPTool {
        MCPTool(MCPToolSpec("grok_learn", "Teach the knowledge base: a text under a topic, or files and folders (paths, relative to the server's working directory).", [
            MCPArgumentSpec("topic", .name, "the topic (required with text; inferred from each path otherwise)"),
            MCPArgumentSpec("text", .text(maxBytes: Self.grokTextLimit), "the text to store"),
            MCPArgumentSpec("paths", .names(maxItems: 64), "files or folders to learn"),
        ])) { args, ctx in
            let topic = args.string("topic")
            let report: LearnReport
            switch (args.string("text"), args.strings("paths")) {
            case (let text?, nil):
                guard let topic else { throw args.refuse("topic", "missing argument 'topic': the topic to file the text under") }
                report = try await ctx.grok.with { try $0.digest(text, topic: topic, source: "mcp:\(ctx.agent)") }
            case (nil, let paths?) where !paths.isEmpty:
                report = try await ctx.grok.with { try $0.learn(paths, topic: topic) }
            default:
                throw args.refuse("text", "give exactly one of 'text' (with 'topic') or 'paths'")
            }
            let line = TerminalText.line
            let topics = report.topics.keys.sorted().map(line).joined(separator: ", ")
            let text = "learned \(report.added) new chunk(s), \(report.duplicates) already known"
                + (report.files > 0 ? ", from \(report.files) file(s)" : "") + (topics.isEmpty ? "" : " — topic \(topics)")
                + (report.skipped.isEmpty ? "" : "; skipped: \(report.skipped.map(line).joined(separator: ", "))")
            return MCPToolOutcome(text, ["report": MCPValue.from(report)])
        }
    }

    var lfmf: MCPTool {
        MCPTool(MCPToolSpec("lfmf", "Record a lesson learned the hard way about a tool: appended to <datum folder>/learn/TOOL.md and indexed into grok.", [
            MCPArgumentSpec("tool", .name, required: true, "the tool the lesson is about (a datum name)"),
            MCPArgumentSpec("lesson", .text(maxBytes: Lesson.maxBytes + 128), required: true, "\"topic: what you learned\""),
        ])) { args, ctx in
            let lesson = try Lesson.parse(try args.required("lesson"))
            let book = try LessonBook(tool: try args.required("tool"), datumFolder: try Self.datumFolder(ctx))
            let report = try await ctx.grok.with { grok -> LearnReport in
                try book.append(lesson)
                return try book.index(into: grok)
            }
            let notes = lesson.salvaged.map { "note: \($0)" }
            return MCPToolOutcome((notes + ["lesson recorded in \(book.path); indexed under '\(book.topic)' (\(report.added) new)"]).joined(separator: "\n"),
                                  ["path": .string(book.path), "topic": .string(book.topic), "added": .int(report.added),
                                   "notes": MCPValue.strings(lesson.salvaged)])
        }
    }

    var advice: MCPTool {
        MCPTool(MCPToolSpec("advice", "The lessons most relevant to a problem with a tool, with scores.", readOnly: true, [
            MCPArgumentSpec("tool", .name, required: true, "the tool"),
            MCPArgumentSpec("problem", .text(maxBytes: 4096), required: true, "the problem, in your words"),
            MCPArgumentSpec("limit", .integer(1...100), "how many lessons (default 5)"),
        ])) { args, ctx in
            let book = try LessonBook(tool: try args.required("tool"), datumFolder: try Self.datumFolder(ctx))
            let problem = try args.required("problem"), limit = args.int("limit") ?? 5
            let (hits, matched) = try await ctx.grok.with { try book.advice(problem, grok: $0, limit: limit) }
            let text: String
            if hits.isEmpty {
                text = "no lessons for \(book.tool) yet; record one with lfmf"
            } else {
                let lead = matched ? [] : ["no lesson shares a word with that; all of them, newest first:"]
                text = (lead + GrokText.hitLines(hits)).joined(separator: "\n")
            }
            return MCPToolOutcome(text, ["matched": .bool(matched), "hits": Self.hits(hits)])
        }
    }

    static func hits(_ hits: [GrokHit]) -> Value {
        .array(hits.map { hit in
            ["id": .string(hit.chunk.id), "topic": .string(hit.chunk.topic), "source": .string(hit.chunk.source),
             "content": .string(hit.chunk.content), "score": .double(hit.score.isFinite ? hit.score : 0)]
        })
    }

    /// Lessons live in the first existing folder of the search path, as for `b00t lfmf`.
    static func datumFolder(_ ctx: MCPToolContext) throws -> String {
        for folder in ctx.searchPath.folders {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue { return folder }
        }
        throw GrokError.badArgument("no datum folder exists (searched \(ctx.searchPath.folders.joined(separator: ":"))); create ./_b00t_ or set B00T_PATH")
    }
}
