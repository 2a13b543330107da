import Foundation

/// BERT's uncased tokenizer, as the Hugging Face `tokenizers` package runs it for all-MiniLM-L6-v2:
/// a basic tokenizer (drop control characters, whitespace to spaces, space around CJK ideographs, NFD and drop
/// non-spacing marks, lower-case, split on whitespace and punctuation), then greedy longest-match WordPiece
/// with `##` continuations, `[UNK]` for a word with no split (or over 100 characters), wrapped in
/// `[CLS]` … `[SEP]` and truncated to `maxTokens`.
public struct WordPieceTokenizer: Sendable {
    public let vocabulary: [String: Int32]
    public let maxTokens: Int
    public let clsID: Int32
    public let sepID: Int32
    public let unkID: Int32
    /// Longer words map to `[UNK]` whole, as BERT's `max_input_chars_per_word`.
    public static let maxCharactersPerWord = 100

    public init(vocabulary: [String: Int32], maxTokens: Int = 256) throws {
        guard let cls = vocabulary["[CLS]"], let sep = vocabulary["[SEP]"], let unk = vocabulary["[UNK]"] else {
            throw EmbeddingError.badVocabulary(path: "vocabulary", reason: "lacks [CLS], [SEP] or [UNK]")
        }
        self.vocabulary = vocabulary
        self.maxTokens = max(2, maxTokens)
        clsID = cls
        sepID = sep
        unkID = unk
    }

    /// Reads `vocab.txt`: one token a line, the line number is its id.
    public init(vocabularyFile path: String, maxTokens: Int = 256) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            if !FileManager.default.fileExists(atPath: path) {
                let url = URL(fileURLWithPath: path)
                throw EmbeddingError.modelMissing(directory: url.deletingLastPathComponent().path, file: url.lastPathComponent)
            }
            throw EmbeddingError.unreadable(path: path, reason: "\(error.localizedDescription)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw EmbeddingError.badVocabulary(path: path, reason: "not UTF-8 text")
        }
        var vocabulary: [String: Int32] = [:]
        vocabulary.reserveCapacity(32_000)
        var id: Int32 = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let token = line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
            if !token.isEmpty, vocabulary[token] == nil { vocabulary[token] = id }
            id += 1
        }
        do {
            try self.init(vocabulary: vocabulary, maxTokens: maxTokens)
        } catch {
            throw EmbeddingError.badVocabulary(path: path, reason: "lacks [CLS], [SEP] or [UNK]")
        }
    }

    /// Token ids for one text, `[CLS]` first and `[SEP]` last.
    public func encode(_ text: String) -> [Int32] {
        var ids: [Int32] = [clsID]
        let budget = maxTokens - 2
        outer: for word in Self.basicTokens(text) {
            for piece in wordPieces(word) {
                if ids.count - 1 >= budget { break outer }
                ids.append(piece)
            }
        }
        ids.append(sepID)
        return ids
    }

    /// Greedy longest-match-first WordPiece split of one basic token.
    func wordPieces(_ word: [Unicode.Scalar]) -> [Int32] {
        if word.count > Self.maxCharactersPerWord { return [unkID] }
        var pieces: [Int32] = []
        var start = 0
        while start < word.count {
            var end = word.count
            var found: Int32? = nil
            while start < end {
                var candidate = start > 0 ? "##" : ""
                candidate.unicodeScalars.append(contentsOf: word[start..<end])
                if let id = vocabulary[candidate] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let id = found else { return [unkID] }
            pieces.append(id)
            start = end
        }
        return pieces
    }

    /// The basic tokenizer: normalised words and single punctuation marks.
    static func basicTokens(_ text: String) -> [[Unicode.Scalar]] {
        // Clean: drop NUL, U+FFFD and control/format/unassigned characters; whitespace becomes a space; pad CJK.
        var cleaned = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar.value == 0 || scalar.value == 0xFFFD { continue }
            if isWhitespace(scalar) {
                cleaned.append(" ")
            } else if isControl(scalar) {
                continue
            } else if isCJK(scalar) {
                cleaned.append(" ")
                cleaned.append(scalar)
                cleaned.append(" ")
            } else {
                cleaned.append(scalar)
            }
        }
        // Strip accents (NFD, drop Mn), then lower-case scalar by scalar (no context rules, like the reference).
        let decomposed = String(cleaned).decomposedStringWithCanonicalMapping
        var normalized: [Unicode.Scalar] = []
        normalized.reserveCapacity(decomposed.unicodeScalars.count)
        for scalar in decomposed.unicodeScalars where scalar.properties.generalCategory != .nonspacingMark {
            if scalar.properties.changesWhenLowercased {
                normalized.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            } else {
                normalized.append(scalar)
            }
        }
        // Split on whitespace, and isolate every punctuation character.
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for scalar in normalized {
            if scalar == " " || scalar.properties.isWhitespace {
                if !current.isEmpty { words.append(current); current.removeAll(keepingCapacity: true) }
            } else if isPunctuation(scalar) {
                if !current.isEmpty { words.append(current); current.removeAll(keepingCapacity: true) }
                words.append([scalar])
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case " ", "\t", "\n", "\r": return true
        default:
            // Control characters that are also White_Space (U+000B, U+000C, U+0085) are dropped as controls.
            return scalar.properties.isWhitespace && !isControl(scalar)
        }
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "\t", "\n", "\r": return false
        default:
            switch scalar.properties.generalCategory {
            case .control, .format, .surrogate, .privateUse, .unassigned: return true
            default: return false
            }
        }
    }

    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            let v = scalar.value
            return (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v)
        }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation: return true
        default: return false
        }
    }

    /// The CJK Unified Ideograph blocks BERT pads with spaces (not Hangul, Hiragana or Katakana).
    static func isCJK(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F: return true
        default: return false
        }
    }
}
