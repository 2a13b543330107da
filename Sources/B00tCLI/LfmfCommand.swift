import ArgumentParser
import B00tCore
import Foundation

/// The datum folder lessons and guides live in: the first existing folder of the search path.
func datumFolder(_ options: DatumOptions) throws -> String {
    for folder in options.searchPath.folders {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue { return folder }
    }
    throw CLIError("no datum folder exists (searched \(options.searchPath.folders.joined(separator: ":"))); create ./_b00t_ or pass --path DIR")
}

struct Lfmf: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lfmf",
        abstract: "Record a lesson learned the hard way: appended to <datum folder>/learn/TOOL.md and indexed into grok.")
    @OptionGroup var options: DatumOptions
    @Argument(help: "The tool the lesson is about (a datum name).") var tool: String
    @Argument(help: "\"topic: what you learned\"") var lesson: [String]

    func run() async throws {
        let parsed = try grokking { try Lesson.parse(lesson.joined(separator: " ")) }
        let book = try grokking { try LessonBook(tool: tool, datumFolder: try datumFolder(options)) }
        try grokking { try book.append(parsed) }
        for note in parsed.salvaged { print("note: \(note); saved as: \(GrokText.safe(parsed.text, oneLine: true))") }
        print("lesson recorded in \(book.path)")
        let grok = try await openGrok(options)
        let report = try grokking { try book.index(into: grok) }
        print("indexed under '\(book.topic)' (\(report.added) new)")
    }
}

struct Advice: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "advice", abstract: "The lessons most relevant to a problem with TOOL, with scores.")
    @OptionGroup var options: DatumOptions
    @Option(help: "How many lessons (default 5).") var limit = 5
    @Flag(help: "Print JSON.") var json = false
    @Argument(help: "The tool.") var tool: String
    @Argument(help: "The problem, in your words.") var problem: [String]

    func validate() throws {
        if problem.joined().trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("describe the problem: `b00t advice redis \"port in use\"`") }
        if limit < 1 || limit > 100 { throw ValidationError("--limit must be 1…100") }
    }

    func run() async throws {
        let book = try grokking { try LessonBook(tool: tool, datumFolder: try datumFolder(options)) }
        let grok = try await openGrok(options)
        let (hits, matched) = try grokking { try book.advice(problem.joined(separator: " "), grok: grok, limit: limit) }
        if json { print(try jsonText(hits)); return }
        if hits.isEmpty {
            print("no lessons for \(book.tool) yet; record one: b00t lfmf \(book.tool) \"topic: what you learned\"")
            return
        }
        if !matched { print("no lesson for \(book.tool) shares a word with that; all of them, newest first:") }
        for line in GrokText.hitLines(hits) { print(line) }
    }
}

struct LearnTopic: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "learn",
        abstract: "What the crew knows about TOPIC: the datum's notes, learn/TOPIC.md, lessons, then grok's best hits.")
    @OptionGroup var options: DatumOptions
    @Flag(help: "Print JSON.") var json = false
    @Argument(help: "A topic (usually a datum name).") var topic: String

    func run() async throws {
        let catalog = options.loadCatalog()
        let grok = try await openGrok(options)
        let guide = try grokking {
            try LearnGuide.gather(topic: topic, catalog: catalog, folders: options.searchPath.folders, grok: grok)
        }
        if json { print(try jsonText(guide)); return }
        if guide.isEmpty {
            print("nothing known about '\(GrokText.safe(topic, oneLine: true))' yet: no datum, no learn/\(GrokText.safe(topic, oneLine: true)).md, no lessons, no grok hits")
            return
        }
        print(guide.text)
    }
}
