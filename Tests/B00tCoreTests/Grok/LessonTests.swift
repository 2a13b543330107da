import Foundation
import B00tTestSupport
import Testing
@testable import B00tCore

@Suite struct LessonTests {
    @Test func parsesTopicAndBody() throws {
        let lesson = try Lesson.parse("  port conflict: redis would not start because 6379 was taken ")
        #expect(lesson.topic == "port conflict")
        #expect(lesson.body == "redis would not start because 6379 was taken")
        #expect(lesson.salvaged.isEmpty)
    }

    @Test func badLessonsAreClearErrors() {
        for bad in ["", "   ", "no colon here", ": body without topic", "topic:", "topic:   ",
                    "topic: " + String(repeating: "x", count: 10_240)] {
            #expect(throws: GrokError.self, "accepted \(bad.prefix(30).debugDescription)") { try Lesson.parse(bad) }
        }
        do {
            _ = try Lesson.parse("topic: " + String(repeating: "x", count: 10_240))
        } catch let error as GrokError {
            #expect(error.description.contains("10247 bytes") || error.description.contains("bytes"))
        } catch {}
    }

    @Test func separatorsAndControlsAreSalvagedAndShown() throws {
        let lesson = try Lesson.parse("format: first line\n---\nafter a rule \u{1B}[31mred")
        #expect(lesson.body == "first line\n- - -\nafter a rule [31mred")
        #expect(lesson.salvaged.count == 2)
    }

    @Test func appendsToAReadableFileAndIndexesIntoGrok() throws {
        let folder = TempDir("grok")
        let book = try LessonBook(tool: "redis", datumFolder: folder.path)
        try book.append(try Lesson.parse("port: another redis held 6379; stop it or use --port"))
        try book.append(try Lesson.parse("memory: maxmemory 0 means no limit, set one in production"))
        let text = try String(contentsOfFile: folder.path + "/learn/redis.md", encoding: .utf8)
        #expect(text == "---\nport: another redis held 6379; stop it or use --port\n---\nmemory: maxmemory 0 means no limit, set one in production\n")
        let grok = try folder.grok()
        #expect(try book.index(into: grok).added == 2)
        #expect(try book.index(into: grok).added == 0, "indexing again adds nothing")
        let hits = try grok.ask("6379 taken", topic: book.topic, limit: 5)
        #expect(hits.first?.chunk.content.hasPrefix("port:") == true)
    }

    @Test func aGuideBeforeTheFirstSeparatorIsKeptApart() throws {
        let folder = TempDir("grok")
        folder.write("learn/git.md", "# git\nUse small commits.\n")
        let book = try LessonBook(tool: "git", datumFolder: folder.path)
        try book.append(Lesson(topic: "rebase", body: "never rebase pushed commits"))
        let content = try book.read()
        #expect(content.guide == "# git\nUse small commits.")
        #expect(content.lessons == ["rebase: never rebase pushed commits"])
    }

    @Test func toolNamesCannotEscapeTheFolder() {
        for bad in ["../etc", "a/b", "", ".hidden", "x y"] {
            #expect(throws: GrokError.self) { try LessonBook(tool: bad, datumFolder: "/tmp") }
        }
    }
}
