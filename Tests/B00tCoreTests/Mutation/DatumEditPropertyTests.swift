import Foundation
import Testing
@testable import B00tCore

/// Random edits on real datums — the shipped `_b00t_` folder and datums written for the original tool
/// (`Tests/Fixtures/upstream-datums`), each also with CRLF line ends and without its final newline — keep every
/// byte outside the edited span, every comment, every other value, and pass the strict loader.
@Suite struct DatumEditPropertyTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    static func corpus() throws -> [(name: String, text: String)] {
        var files: [(String, String)] = []
        for folder in [root + "/_b00t_", root + "/Tests/Fixtures/upstream-datums"] {
            for name in try FileManager.default.contentsOfDirectory(atPath: folder).sorted() where name.hasSuffix(".toml") {
                let text = try String(contentsOfFile: folder + "/" + name, encoding: .utf8)
                files.append((name, text))
                files.append((name + " (CRLF)", text.replacingOccurrences(of: "\n", with: "\r\n")))
                if text.hasSuffix("\n") { files.append((name + " (no final newline)", String(text.dropLast()))) }
            }
        }
        return files
    }

    /// SplitMix64: the same edits on every run; the seed is printed with any failure.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func text(oneLine: Bool) -> String {
            let pieces = ["a", "7.2", " ", "\"", "\\", "'", "'''", "\"\"\"", "#", "ü", "🚀", "\t", "=", "[x]", "{", "$HOME", "\u{01}", "\u{7F}"]
                + (oneLine ? [] : ["\n", "\n\n", "\r"])
            return (0..<(1 + int(8))).map { _ in pieces[int(pieces.count)] }.joined()
        }
    }

    func randomEdit(_ rng: inout Random, datum: [String: DatumValue]) -> DatumEdit {
        let deps = DatumEditor.strings(datum["depends_on"])
        switch rng.int(8) {
        case 0: return .set(key: "desires", value: rng.text(oneLine: true))
        case 1: return .set(key: ["install", "docker_image"][rng.int(2)], value: rng.text(oneLine: true))
        case 2: return .set(key: "env.V\(rng.int(4))", value: rng.text(oneLine: true))
        case 3: return .addUsage(UsageExample(description: rng.text(oneLine: true).replacingOccurrences(of: " # ", with: " "),
                                              command: "cmd\(rng.int(5)) " + rng.text(oneLine: true).replacingOccurrences(of: " # ", with: " ")))
        case 4: return rng.int(2) == 0 ? .setLearn(rng.text(oneLine: false)) : .appendLearn(rng.text(oneLine: false))
        case 5 where !deps.isEmpty: return .removeDependency(deps[rng.int(deps.count)])
        default: return .addDependency("dep\(rng.next() % 1000).cli")
        }
    }

    /// The comments of a TOML text (a `#` outside every kind of string, to the end of its line), counted.
    static func comments(_ text: String) -> [String: Int] {
        let b = Array(text.utf8)
        var counts: [String: Int] = [:]
        var i = 0
        func tripled(_ quote: UInt8, at j: Int) -> Bool { j + 2 < b.count && b[j] == quote && b[j + 1] == quote && b[j + 2] == quote }
        while i < b.count {
            switch b[i] {
            case 0x23:
                var end = i
                while end < b.count, b[end] != 0x0A, b[end] != 0x0D { end += 1 }
                counts[String(decoding: b[i..<end], as: UTF8.self).trimmingCharacters(in: .whitespaces), default: 0] += 1
                i = end
            case 0x22, 0x27:
                let quote = b[i]
                let triple = tripled(quote, at: i)
                i += triple ? 3 : 1
                while i < b.count {
                    if quote == 0x22, b[i] == 0x5C { i += 2; continue }
                    if b[i] == quote, !triple { i += 1; break }
                    if triple, tripled(quote, at: i) {
                        i += 3
                        while i < b.count, b[i] == quote { i += 1 }
                        break
                    }
                    i += 1
                }
            default: i += 1
            }
        }
        return counts
    }

    @Test func randomEditsKeepEverythingOutsideTheSpan() throws {
        var checked = 0
        var refusals: [String: Int] = [:]
        for (name, original) in try Self.corpus() {
            for seed in 0..<6 {
                var rng = Random(state: UInt64(seed) &* 7919 &+ UInt64(name.utf8.count))
                var text = Array(original.utf8)
                for step in 0..<6 {
                    let before = try TOMLDocument.parse(String(decoding: text, as: UTF8.self))
                    guard case .table(let datum)? = before.root["b00t"] else { Issue.record("\(name): no [b00t]"); break }
                    let edit = randomEdit(&rng, datum: datum)
                    let context = "\(name) seed \(seed) step \(step): \(edit)"
                    let splice: TOMLSplice
                    do {
                        splice = try DatumEditor.splice(edit, in: text)
                    } catch {
                        // Only refusals that make sense for this datum are allowed (an image on a datum without one
                        // is fine to add; a dependency that is already there is not).
                        #expect(error.code == .invalid, "\(context): \(error)")
                        // …never "the editor could not do it": every layout in the corpus must be editable.
                        #expect(!error.message.contains("layout") && !error.message.contains("valid TOML"), "\(context): \(error)")
                        refusals[error.message, default: 0] += 1
                        continue
                    }
                    let after = splice.applied(to: text)
                    // 1. Every byte before and after the span is the old byte.
                    #expect(Array(after.prefix(splice.range.lowerBound)) == Array(text.prefix(splice.range.lowerBound)), "\(context)")
                    #expect(Array(after.suffix(text.count - splice.range.upperBound)) == Array(text.suffix(text.count - splice.range.upperBound)), "\(context)")
                    // 2. Comments survive (a removed dependency may take its own line's comment with it).
                    let oldComments = Self.comments(String(decoding: text, as: UTF8.self))
                    let newComments = Self.comments(String(decoding: after, as: UTF8.self))
                    if case .removeDependency = edit {} else {
                        for (comment, count) in oldComments {
                            #expect((newComments[comment] ?? 0) >= count, "\(context): lost comment \(comment)")
                        }
                    }
                    // 3. The strict loader takes it whenever it took the original.
                    let (_, oldType) = DatumLoader.nameAndType(ofFile: name.components(separatedBy: " ")[0])
                    let fileName = DatumLoader.nameAndType(ofFile: name.components(separatedBy: " ")[0]).name
                    let wasOK = DatumDecoder.decode(source: String(decoding: text, as: UTF8.self), file: name, fileName: fileName, fileType: oldType).datum != nil
                    let (loaded, diagnostics) = DatumDecoder.decode(source: String(decoding: after, as: UTF8.self), file: name, fileName: fileName, fileType: oldType)
                    if wasOK { #expect(loaded != nil, "\(context): \(diagnostics.filter(\.isError))") }
                    // 4. Only the edited key moved.
                    let changed = MutationScope.changedKeys(from: before, to: try TOMLDocument.parse(String(decoding: after, as: UTF8.self)))
                    let allowed = edit.touchedKey == "docker_image" ? ["docker_image", "image"] : [edit.touchedKey]
                    #expect(changed.allSatisfy { key in allowed.contains { key == "b00t.\($0)" || key.hasPrefix("b00t.\($0).") } }, "\(context): \(changed)")
                    // 5. The diff of the change applies back exactly.
                    let diff = UnifiedDiff.make(old: text, new: after, name: name)
                    #expect(try UnifiedDiff.apply(diff, to: text) == after, "\(context)")
                    text = after
                    checked += 1
                }
            }
        }
        #expect(checked > 500, "\(refusals)")
        print("edits checked: \(checked); refused: \(refusals)")
    }
}
