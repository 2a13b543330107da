/// Applies `DatumEdit`s to a datum file's text, in place: each edit is one splice found through the file's
/// layout, and each result is parsed again and checked to hold exactly the value asked for (so an edit can
/// never land somewhere unexpected and pass quietly).
public enum DatumEditor {
    /// The text after `edits`, in order.
    public static func apply(_ edits: [DatumEdit], to bytes: [UInt8]) throws(MutationError) -> [UInt8] {
        var text = bytes
        for edit in edits { text = try splice(edit, in: text).applied(to: text) }
        return text
    }

    /// The one splice that makes `edit`, checked.
    static func splice(_ edit: DatumEdit, in bytes: [UInt8]) throws(MutationError) -> TOMLSplice {
        try edit.check()
        let before = try document(bytes)
        let editor = try TOMLEditor(bytes)
        let splice = try plan(edit, editor: editor, document: before)
        guard splice.applied(to: bytes) != bytes else { throw MutationError(.invalid, "nothing to change: the datum already says that") }
        let after = try document(splice.applied(to: bytes), afterEdit: edit)
        try verify(edit, before: before, after: after)
        return splice
    }

    static func document(_ bytes: [UInt8], afterEdit edit: DatumEdit? = nil) throws(MutationError) -> TOMLDocument {
        do { return try TOMLDocument.parse(String(decoding: bytes, as: UTF8.self)) } catch {
            if let edit {
                throw MutationError(.invalid, "cannot \(edit.summary) here: the edit would not be valid TOML (line \(error.line): \(error.message))")
            }
            throw MutationError(.invalid, "the file is not valid TOML (line \(error.line), column \(error.column): \(error.message)); fix it by hand first")
        }
    }

    static let b00t = ["b00t"]

    private static func plan(_ edit: DatumEdit, editor: TOMLEditor, document: TOMLDocument) throws(MutationError) -> TOMLSplice {
        var datum: [String: DatumValue] = [:]
        if case .table(let t)? = document.root["b00t"] { datum = t }
        switch edit {
        case .set(let key, let value):
            if key == "learn" { return try setLearn(value, editor: editor, datum: datum) }
            if key.hasPrefix("env.") {
                let name = String(key.dropFirst(4))
                return try setOrInsert(b00t + ["env", name], value: TOMLText.basic(value), editor: editor)
            }
            var target = key
            // The image has two spellings; change the one the file uses (docker_image wins when both are there).
            if key == "docker_image" || key == "image" {
                target = datum["docker_image"] != nil ? "docker_image" : datum["image"] != nil ? "image" : key
            }
            return try setOrInsert(b00t + [target], value: TOMLText.basic(value), editor: editor)
        case .setLearn(let text):
            return try setLearn(text, editor: editor, datum: datum)
        case .appendLearn(let text):
            let current: String
            switch datum["learn"] {
            case .string(let s)?: current = s
            case .table(let t)?: if case .string(let s)? = t["inline"] { current = s } else { current = "" }
            default: current = ""
            }
            let joined = current.isEmpty ? text : current + (current.hasSuffix("\n") ? "" : "\n") + text
            return try setLearn(joined, editor: editor, datum: datum)
        case .addUsage(let example):
            return try addUsage(example.normalized, editor: editor, datum: datum)
        case .addDependency(let name):
            let existing = strings(datum["depends_on"])
            if existing.contains(name) { throw MutationError(.invalid, "it already depends on \(name)") }
            guard let array = try editor.array(at: b00t + ["depends_on"]) else {
                return try editor.insertKey("depends_on", value: "[\(TOMLText.basic(name))]", into: b00t)
            }
            return editor.append(TOMLText.basic(name), to: array, ownLineIfEmpty: false)
        case .removeDependency(let name):
            let existing = strings(datum["depends_on"])
            guard let index = existing.firstIndex(of: name), let array = try editor.array(at: b00t + ["depends_on"]),
                  array.elements.count == existing.count
            else {
                throw MutationError(.invalid, "it does not depend on \(name)"
                                    + (existing.isEmpty ? "" : " (depends_on: \(existing.joined(separator: ", ")))"))
            }
            return editor.remove(index, from: array)
        }
    }

    private static func setOrInsert(_ path: [String], value: String, editor: TOMLEditor) throws(MutationError) -> TOMLSplice {
        if let splice = try editor.replaceValue(at: path, with: value) { return splice }
        guard let key = path.last else { throw MutationError(.invalid, "no key") }
        return try editor.insertKey(key, value: value, into: Array(path.dropLast()))
    }

    /// `learn = "…"` replaced; with a `[b00t.learn]` table, its `inline` text.
    private static func setLearn(_ text: String, editor: TOMLEditor, datum: [String: DatumValue]) throws(MutationError) -> TOMLSplice {
        if case .table? = datum["learn"] {
            return try setOrInsert(b00t + ["learn", "inline"], value: TOMLText.string(text), editor: editor)
        }
        return try setOrInsert(b00t + ["learn"], value: TOMLText.string(text), editor: editor)
    }

    private static func addUsage(_ example: UsageExample, editor: TOMLEditor, datum: [String: DatumValue]) throws(MutationError) -> TOMLSplice {
        let sections = editor.layout.arraySections(b00t + ["usage"])
        if !sections.isEmpty {
            return try addUsageSection(example, sections: sections, editor: editor)
        }
        guard let array = try editor.array(at: b00t + ["usage"]) else {
            let value = "[\n  \(TOMLText.usageTable(example)),\n]".replacingOccurrences(of: "\n", with: String(decoding: editor.layout.newline, as: UTF8.self))
            return try editor.insertKey("usage", value: value, into: b00t)
        }
        let existing = usageExamples(datum["usage"])
        guard existing.count == array.elements.count else {
            throw MutationError(.invalid, "cannot read b00t.usage; fix it by hand first")
        }
        let bytes = editor.bytes
        func isString(_ index: Int) -> Bool { bytes[array.elements[index].lowerBound] != 0x7B }
        func commandFirst(_ index: Int) -> Bool {
            guard !isString(index), let entries = try? editor.layout.inlineEntries(array.elements[index]).entries else { return false }
            return entries.first?.key == ["command"]
        }
        func render(like index: Int?) -> String {
            guard let index else { return TOMLText.usageTable(example) }
            // The string form splits at the last " # ": when that would not read back as this example, a table.
            if isString(index), UsageExample(line: example.description.isEmpty ? example.command : "\(example.command) # \(example.description)") == example {
                return TOMLText.usageString(example)
            }
            return TOMLText.usageTable(example, commandFirst: !isString(index) && commandFirst(index))
        }
        if let same = existing.firstIndex(where: { $0.command == example.command }) {
            guard existing[same].description != example.description else {
                throw MutationError(.invalid, "usage already has `\(example.command)` with that description")
            }
            return editor.replace(same, in: array, with: render(like: same))
        }
        return editor.append(render(like: array.elements.isEmpty ? nil : 0), to: array, ownLineIfEmpty: true)
    }

    /// `[[b00t.usage]]` sections (the original tool's long form): a new description for a listed command, or
    /// one more section after the last.
    private static func addUsageSection(_ example: UsageExample, sections: [TOMLLayout.Section], editor: TOMLEditor) throws(MutationError) -> TOMLSplice {
        let bytes = editor.bytes
        for section in sections {
            guard let command = section.assignments.first(where: { $0.key == ["command"] }) else { continue }
            let written = try document(Array("x = ".utf8) + Array(bytes[command.value]))
            guard case .string(let text)? = written.root["x"], text == example.command else { continue }
            if let description = section.assignments.first(where: { $0.key == ["description"] }) {
                return TOMLSplice(range: description.value, replacement: Array(TOMLText.basic(example.description).utf8))
            }
            return editor.insertLine(Array("description = \(TOMLText.basic(example.description))".utf8),
                                     at: command.line.lowerBound, indent: editor.layout.indentation(ofLineAt: command.keyStart))
        }
        guard let last = sections.last else { throw MutationError(.invalid, "no usage sections") }
        let nl = editor.layout.newline
        let lines = [Array("[[b00t.usage]]".utf8), Array("description = \(TOMLText.basic(example.description))".utf8),
                     Array("command = \(TOMLText.basic(example.command))".utf8)]
        let at = last.assignments.last?.line.upperBound ?? last.header?.line.upperBound ?? bytes.count
        var text: [UInt8] = []
        let atEndWithoutNewline = at == bytes.count && bytes.last != 0x0A
        if atEndWithoutNewline { text += nl }
        text += nl
        for (n, line) in lines.enumerated() {
            text += line
            if n < lines.count - 1 || !atEndWithoutNewline { text += nl }
        }
        return TOMLSplice(range: at..<at, replacement: text)
    }

    static func strings(_ value: DatumValue?) -> [String] {
        guard case .array(let items)? = value else { return [] }
        return items.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
    }

    /// What the decoder makes of an entry: the string form is trimmed, so every form is compared trimmed.
    static func usageExamples(_ value: DatumValue?) -> [UsageExample] {
        guard case .array(let items)? = value else { return [] }
        return items.map { item in
            switch item {
            case .string(let line): return UsageExample(line: line).normalized
            case .table(let t):
                let text = { (key: String) -> String in if case .string(let s)? = t[key] { return s } else { return "" } }
                return UsageExample(description: text("description"), command: text("command")).normalized
            default: return UsageExample(description: "", command: "")
            }
        }
    }

    /// The file now says what the edit asked, and nothing else under `[b00t]` moved.
    private static func verify(_ edit: DatumEdit, before: TOMLDocument, after: TOMLDocument) throws(MutationError) {
        func table(_ doc: TOMLDocument) -> [String: DatumValue] {
            if case .table(let t)? = doc.root["b00t"] { return t }
            return [:]
        }
        let old = table(before), new = table(after)
        var ok: Bool
        switch edit {
        case .set(let key, let value):
            if key == "learn" {
                ok = learnText(new) == value
            } else if key.hasPrefix("env.") {
                if case .table(let env)? = new["env"] { ok = env[String(key.dropFirst(4))] == .string(value) } else { ok = false }
            } else if key == "docker_image" || key == "image" {
                ok = new["docker_image"] == .string(value) || (new["docker_image"] == nil && new["image"] == .string(value))
            } else {
                ok = new[key] == .string(value)
            }
        case .setLearn(let text): ok = learnText(new) == text
        case .appendLearn(let text): ok = learnText(new)?.hasSuffix(text) == true
        case .addUsage(let example): ok = usageExamples(new["usage"]).contains(example.normalized)
        case .addDependency(let name): ok = strings(new["depends_on"]) == strings(old["depends_on"]) + [name]
        case .removeDependency(let name):
            var expected = strings(old["depends_on"])
            if let index = expected.firstIndex(of: name) { expected.remove(at: index) }
            ok = strings(new["depends_on"]) == expected
        }
        // Nothing but the edited key may change, in [b00t] or outside it.
        var others = before.root, othersAfter = after.root
        others["b00t"] = nil
        othersAfter["b00t"] = nil
        if others != othersAfter { ok = false }
        let touched = edit.touchedKey
        for key in Set(old.keys).union(new.keys) where key != touched && old[key] != new[key] {
            if !(touched == "docker_image" && key == "image") { ok = false }
        }
        guard ok else {
            throw MutationError(.invalid, "cannot \(edit.summary) in this file's layout; edit it by hand")
        }
    }

    static func learnText(_ datum: [String: DatumValue]) -> String? {
        switch datum["learn"] {
        case .string(let s)?: return s
        case .table(let t)?: if case .string(let s)? = t["inline"] { return s } else { return nil }
        default: return nil
        }
    }
}

extension UsageExample {
    /// Surrounding blanks dropped, as the original tool's `"command # description"` form reads.
    var normalized: UsageExample {
        UsageExample(description: description.trimmingWhitespace(), command: command.trimmingWhitespace())
    }
}
