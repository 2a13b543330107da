/// The input line: text, cursor, emacs-style editing and history recall/search. Pure, so every key binding is
/// unit-tested; the curses layer only translates key codes into `Key`s.
public struct LineEditor: Sendable {
    public enum Key: Sendable, Equatable {
        case character(Character)
        case left, right, home, end, backspace, delete
        case killToEnd          // ^K
        case killToStart        // ^U
        case deleteWordBack     // ^W
        case wordLeft, wordRight  // Alt-B / Alt-F
        case historyUp, historyDown
        case searchHistory      // ^R
        case cancel             // ^G / Esc: leave search
    }

    public private(set) var text: [Character] = []
    public private(set) var cursor = 0
    public private(set) var history: [String] = []
    private var historyIndex: Int? = nil
    private var draft: [Character] = []
    /// ^R search: the query typed so far, when searching.
    public private(set) var search: String? = nil
    /// The ^R query matches no history entry (the line is left empty rather than showing an older match).
    public private(set) var searchFailed = false
    /// Where the current ^R match is in `history`.
    private var searchIndex: Int? = nil

    public init(history: [String] = []) { self.history = history }

    public var line: String { String(text) }

    public mutating func handle(_ key: Key) {
        if search != nil { return handleSearch(key) }
        switch key {
        case .character(let c):
            text.insert(c, at: cursor)
            cursor += 1
        case .left: cursor = max(0, cursor - 1)
        case .right: cursor = min(text.count, cursor + 1)
        case .home: cursor = 0
        case .end: cursor = text.count
        case .backspace:
            if cursor > 0 { text.remove(at: cursor - 1); cursor -= 1 }
        case .delete:
            if cursor < text.count { text.remove(at: cursor) }
        case .killToEnd: text.removeSubrange(cursor...)
        case .killToStart:
            text.removeSubrange(..<cursor)
            cursor = 0
        case .deleteWordBack:
            let start = wordStart(before: cursor)
            text.removeSubrange(start..<cursor)
            cursor = start
        case .wordLeft: cursor = wordStart(before: cursor)
        case .wordRight:
            var i = cursor
            while i < text.count && text[i] == " " { i += 1 }
            while i < text.count && text[i] != " " { i += 1 }
            cursor = i
        case .historyUp:
            guard !history.isEmpty else { return }
            if historyIndex == nil { draft = text; historyIndex = history.count }
            historyIndex = max(0, historyIndex! - 1)
            set(history[historyIndex!])
        case .historyDown:
            guard let index = historyIndex else { return }
            if index + 1 >= history.count {
                historyIndex = nil
                set(String(draft))
            } else {
                historyIndex = index + 1
                set(history[index + 1])
            }
        case .searchHistory:
            search = ""
            searchFailed = false
            searchIndex = nil
        case .cancel: break
        }
    }

    private mutating func handleSearch(_ key: Key) {
        guard let query = search else { return }
        switch key {
        case .character(let c):
            findMatch(query + String(c), before: history.count)
        case .backspace:
            findMatch(String(query.dropLast()), before: history.count)
        case .searchHistory:
            // Next older match (a failed search stays failed).
            guard !searchFailed, let index = searchIndex, !query.isEmpty else { return }
            if let older = history[..<index].lastIndex(where: { $0.contains(query) }) {
                searchIndex = older
                set(history[older])
            }
        default:
            search = nil
            searchFailed = false
            searchIndex = nil
            if key != .cancel { handle(key) }
        }
    }

    /// The newest history entry before `limit` that contains `query`; none: the line is emptied and the search
    /// marked failed (an older, non-matching entry must not look like the answer).
    private mutating func findMatch(_ query: String, before limit: Int) {
        search = query
        guard !query.isEmpty else {
            searchFailed = false
            searchIndex = nil
            set("")
            return
        }
        if let index = history[..<limit].lastIndex(where: { $0.contains(query) }) {
            searchFailed = false
            searchIndex = index
            set(history[index])
        } else {
            searchFailed = true
            searchIndex = nil
            set("")
        }
    }

    /// Inserts pasted text at the cursor as it is (line breaks kept: a paste is one message); `\r\n` and
    /// lone `\r` become `\n`, and other control characters are dropped.
    public mutating func insert(_ pasted: String) {
        var chars: [Character] = []
        for c in pasted.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n") {
            if c == "\n" || c == "\t" || !(c.asciiValue.map { $0 < 0x20 || $0 == 0x7F } ?? false) { chars.append(c) }
        }
        text.insert(contentsOf: chars, at: cursor)
        cursor += chars.count
        historyIndex = nil
    }

    /// How many lines the text has (a paste keeps its line breaks).
    public var lineCount: Int { text.reduce(1) { $1 == "\n" ? $0 + 1 : $0 } }

    /// Takes the line (for Enter): records it in history and clears the editor.
    public mutating func submit() -> String {
        let result = line
        if !result.trimmingCharacters(in: .whitespaces).isEmpty && history.last != result { history.append(result) }
        text = []
        cursor = 0
        historyIndex = nil
        search = nil
        return result
    }

    /// Replaces the text (completion, history) and puts the cursor at its end.
    public mutating func set(_ line: String) {
        text = Array(line)
        cursor = text.count
    }

    /// Replaces the text and puts the cursor at `cursor` (clamped).
    public mutating func set(_ line: String, cursor: Int) {
        text = Array(line)
        self.cursor = min(max(0, cursor), text.count)
    }

    private func wordStart(before index: Int) -> Int {
        var i = index
        while i > 0 && text[i - 1] == " " { i -= 1 }
        while i > 0 && text[i - 1] != " " { i -= 1 }
        return i
    }
}

import Foundation
