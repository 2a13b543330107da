/// One contiguous change to a file: the bytes in `range` are replaced by `replacement`. Every edit the editor
/// makes is one splice, so "everything outside the span is untouched" holds by construction and is what the
/// property tests check.
struct TOMLSplice: Equatable {
    var range: Range<Int>
    var replacement: [UInt8]

    func applied(to bytes: [UInt8]) -> [UInt8] {
        var out = Array(bytes[..<range.lowerBound])
        out += replacement
        out += bytes[range.upperBound...]
        return out
    }
}

/// Edits TOML source text in place: replaces a value where it is written, adds a key to the table it belongs
/// to (after that table's last line, in its indentation), appends to or removes from an array keeping its
/// layout (one line or one element a line, trailing comma or not). It never re-serialises anything it does
/// not change, so comments, blank lines and ordering survive.
struct TOMLEditor {
    let layout: TOMLLayout
    var bytes: [UInt8] { layout.bytes }

    init(_ bytes: [UInt8]) throws(MutationError) {
        do { layout = try TOMLLayout(bytes) } catch {
            throw MutationError(.invalid, "the file is not valid TOML (line \(error.line), column \(error.column): \(error.message)); fix it by hand first")
        }
    }

    private var nl: [UInt8] { layout.newline }

    // MARK: - Values

    /// Replaces the value written for `path`; nil when `path` is not written as one value.
    func replaceValue(at path: [String], with text: String) throws(MutationError) -> TOMLSplice? {
        guard let range = try locate(path) else { return nil }
        return TOMLSplice(range: range, replacement: Array(text.utf8))
    }

    func locate(_ path: [String]) throws(MutationError) -> Range<Int>? {
        do { return try layout.value(at: path) } catch {
            throw MutationError(.invalid, "cannot read the value of \(path.joined(separator: ".")): \(error.message)")
        }
    }

    /// `key = value` added to the table `table`: after the last line of its `[header]` section, or after the
    /// last dotted key that fills it, or inside its inline table, or — when the table is not written at all —
    /// as a new `[table]` section at the end of the file.
    func insertKey(_ key: String, value: String, into table: [String]) throws(MutationError) -> TOMLSplice {
        let assignment = Array("\(TOMLText.key(key)) = \(value)".utf8)
        if let section = layout.tableSection(table) {
            return insertLine(assignment, after: section)
        }
        // A table filled by dotted keys (`b00t.name = …` at the top): one more dotted key after the last of them.
        for section in layout.sections.reversed() where section.element == nil && table.starts(with: section.path) {
            let filling = section.assignments.filter { a in
                let full = section.path + a.key
                return full.count > table.count && full.starts(with: table)
            }
            if let last = filling.last {
                let prefix = table.dropFirst(section.path.count).map(TOMLText.key).joined(separator: ".")
                let line = Array((prefix.isEmpty ? "" : prefix + ".").utf8) + assignment
                return insertLine(line, at: last.line.upperBound, indent: layout.indentation(ofLineAt: last.keyStart))
            }
        }
        if let range = try locate(table), bytes[range.lowerBound] == 0x7B {
            return try insertInline(assignment, into: range)
        }
        // Not written anywhere: a new section at the end.
        var text: [UInt8] = []
        if !bytes.isEmpty, bytes.last != 0x0A { text += nl }
        if !bytes.isEmpty { text += nl }
        text += Array("[\(table.map(TOMLText.key).joined(separator: "."))]".utf8) + nl + assignment + nl
        return TOMLSplice(range: bytes.count..<bytes.count, replacement: text)
    }

    /// A new line after a section's last statement (or its header), indented like that statement.
    func insertLine(_ line: [UInt8], after section: TOMLLayout.Section) -> TOMLSplice {
        if let last = section.assignments.last {
            return insertLine(line, at: last.line.upperBound, indent: layout.indentation(ofLineAt: last.keyStart))
        }
        let at = section.header?.line.upperBound ?? 0
        return insertLine(line, at: at, indent: [])
    }

    /// `indent + line` as a line of its own starting at `index` (a line start, or the end of a file whose last
    /// line has no newline — then the newline goes first and the file still ends without one).
    func insertLine(_ line: [UInt8], at index: Int, indent: [UInt8]) -> TOMLSplice {
        if index == bytes.count, let last = bytes.last, last != 0x0A {
            return TOMLSplice(range: index..<index, replacement: nl + indent + line)
        }
        return TOMLSplice(range: index..<index, replacement: indent + line + nl)
    }

    private func insertInline(_ assignment: [UInt8], into range: Range<Int>) throws(MutationError) -> TOMLSplice {
        let entries: [TOMLLayout.InlineEntry], close: Int
        do { (entries, close) = try layout.inlineEntries(range) } catch {
            throw MutationError(.invalid, "cannot read the inline table: \(error.message)")
        }
        guard let last = entries.last else {
            return TOMLSplice(range: (range.lowerBound + 1)..<close, replacement: Array(" ".utf8) + assignment + Array(" ".utf8))
        }
        return TOMLSplice(range: last.span.upperBound..<last.span.upperBound, replacement: Array(", ".utf8) + assignment)
    }

    // MARK: - Arrays

    func array(at path: [String]) throws(MutationError) -> TOMLLayout.ArrayLayout? {
        guard let range = try locate(path) else { return nil }
        guard bytes[range.lowerBound] == 0x5B else {
            throw MutationError(.invalid, "\(path.joined(separator: ".")) is not an array; fix the file by hand first")
        }
        do { return try layout.arrayLayout(range) } catch {
            throw MutationError(.invalid, "cannot read the array \(path.joined(separator: ".")): \(error.message)")
        }
    }

    /// `element` added at the end of `array`, in its layout: one element a line (with the last element's
    /// indentation and its trailing-comma habit) or on one line. An empty array gets the element on its own
    /// line when `ownLineIfEmpty`.
    func append(_ element: String, to array: TOMLLayout.ArrayLayout, ownLineIfEmpty: Bool) -> TOMLSplice {
        let item = Array(element.utf8)
        guard let last = array.elements.last else {
            let inner: [UInt8]
            if ownLineIfEmpty {
                let indent = layout.indentation(ofLineAt: array.open)
                inner = nl + indent + Array("  ".utf8) + item + Array(",".utf8) + nl + indent
            } else {
                inner = item
            }
            return TOMLSplice(range: (array.open + 1)..<array.close, replacement: inner)
        }
        let trailingComma = array.commas.last.flatMap { $0 }
        let lastLineEnd = layout.lineEnd(after: trailingComma ?? (last.upperBound - 1))
        let onePerLine = layout.startsLine(array.close) && lastLineEnd <= array.close
        if onePerLine {
            let indent = layout.startsLine(last.lowerBound)
                ? layout.indentation(ofLineAt: last.lowerBound)
                : layout.indentation(ofLineAt: array.open) + Array("  ".utf8)
            let closeLine = TOMLLayout.lineStart(of: array.close, in: bytes)
            let line = indent + item + (trailingComma != nil ? Array(",".utf8) : []) + nl
            if trailingComma != nil {
                return TOMLSplice(range: closeLine..<closeLine, replacement: line)
            }
            // The old last element needs a comma now: one splice from it to the closing line, the bytes in
            // between (a comment, say) copied as they were.
            return TOMLSplice(range: last.upperBound..<closeLine,
                              replacement: Array(",".utf8) + Array(bytes[last.upperBound..<closeLine]) + line)
        }
        if let comma = trailingComma {
            return TOMLSplice(range: (comma + 1)..<array.close, replacement: Array(" ".utf8) + item)
        }
        return TOMLSplice(range: last.upperBound..<last.upperBound, replacement: Array(", ".utf8) + item)
    }

    /// Element `index` removed: its whole line when it has one to itself, else the element and its comma.
    func remove(_ index: Int, from array: TOMLLayout.ArrayLayout) -> TOMLSplice {
        let element = array.elements[index]
        if array.elements.count == 1 {
            return TOMLSplice(range: (array.open + 1)..<array.close, replacement: [])
        }
        let after = array.commas[index].map { $0 + 1 } ?? element.upperBound
        if layout.startsLine(element.lowerBound), restOfLineIsBlank(from: after) {
            let end = layout.lineEnd(after: after > 0 ? after - 1 : 0)
            if end <= array.close {
                return TOMLSplice(range: TOMLLayout.lineStart(of: element.lowerBound, in: bytes)..<end, replacement: [])
            }
        }
        if index + 1 < array.elements.count {
            return TOMLSplice(range: element.lowerBound..<array.elements[index + 1].lowerBound, replacement: [])
        }
        return TOMLSplice(range: array.elements[index - 1].upperBound..<element.upperBound, replacement: [])
    }

    func replace(_ index: Int, in array: TOMLLayout.ArrayLayout, with element: String) -> TOMLSplice {
        TOMLSplice(range: array.elements[index], replacement: Array(element.utf8))
    }

    /// Only blanks and perhaps a comment up to the end of the line.
    private func restOfLineIsBlank(from index: Int) -> Bool {
        var i = index
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x09: i += 1
            case 0x0A, 0x23: return true
            case 0x0D: return i + 1 < bytes.count && bytes[i + 1] == 0x0A
            default: return false
            }
        }
        return true
    }
}
