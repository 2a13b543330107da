/// Values: strings (four kinds), integers, floats, booleans, dates and times (kept as their text), arrays
/// and inline tables.
extension TOMLParser {
    mutating func parseValue(depth: Int, path: [String]) throws(TOMLSyntaxError) -> DatumValue {
        guard depth <= TOMLLimits.maximumDepth else {
            throw error("values nested more than \(TOMLLimits.maximumDepth) levels deep are not supported")
        }
        guard let b = peek else { throw error("expected a value, found end of file") }
        switch b {
        case 0x22:
            if peek(at: 1) == 0x22, peek(at: 2) == 0x22 { return .string(try parseMultilineString(quote: 0x22)) }
            return .string(try parseBasicString())
        case 0x27:
            if peek(at: 1) == 0x27, peek(at: 2) == 0x27 { return .string(try parseMultilineString(quote: 0x27)) }
            return .string(try parseLiteralString())
        case 0x5B: return try parseArray(depth: depth, path: path)
        case 0x7B: return try parseInlineTable(depth: depth, path: path)
        default: return try parseScalar()
        }
    }

    // MARK: - Strings

    static let escapeHelp = "use \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX or \\UXXXXXXXX"

    static func isForbiddenControl(_ b: UInt8) -> Bool { (b < 0x20 && b != 0x09) || b == 0x7F }

    /// `"…"` with escapes, on one line.
    mutating func parseBasicString() throws(TOMLSyntaxError) -> String {
        let open = position
        advance()
        var out: [UInt8] = []
        while true {
            guard let b = peek else {
                throw error("the string opened at line \(open.line), column \(open.column) is never closed; add \"")
            }
            switch b {
            case 0x22:
                advance()
                return String(decoding: out, as: UTF8.self)
            case 0x5C:
                try parseEscape(into: &out)
            case 0x0A, 0x0D:
                throw error("the string opened at line \(open.line), column \(open.column) is not closed on its line; "
                            + "close it with \", or use \"\"\"…\"\"\" for text over several lines")
            default:
                if Self.isForbiddenControl(b) {
                    throw error("\(currentDescription) must be escaped inside a string (\(Self.escapeHelp))")
                }
                out.append(b)
                advance()
            }
        }
    }

    /// `'…'`: no escapes, on one line.
    mutating func parseLiteralString() throws(TOMLSyntaxError) -> String {
        let open = position
        advance()
        // Bytes are collected rather than sliced by index: swiftc 6.3.1 -O without whole-module optimization
        // miscompiles "advance(); let from = index; loop { advance() }; bytes[from..<index]" (from reads 0).
        var out: [UInt8] = []
        while true {
            guard let b = peek else {
                throw error("the string opened at line \(open.line), column \(open.column) is never closed; add '")
            }
            if b == 0x27 {
                advance()
                return String(decoding: out, as: UTF8.self)
            }
            if b == 0x0A || b == 0x0D {
                throw error("the string opened at line \(open.line), column \(open.column) is not closed on its line; "
                            + "close it with ', or use '''…''' for text over several lines")
            }
            if Self.isForbiddenControl(b) { throw error("\(currentDescription) is not allowed in a 'literal' string") }
            out.append(b)
            advance()
        }
    }

    /// `"""…"""` (escapes, line-ending backslash) or `'''…'''` (raw). A newline right after the opening
    /// delimiter is dropped; up to two quotes may touch the closing delimiter.
    mutating func parseMultilineString(quote: UInt8) throws(TOMLSyntaxError) -> String {
        let open = position
        advance(); advance(); advance()
        if peek == 0x0A || (peek == 0x0D && peek(at: 1) == 0x0A) { _ = try consumeNewline() }
        var out: [UInt8] = []
        let delimiter = quote == 0x22 ? "\"\"\"" : "'''"
        while true {
            guard let b = peek else {
                throw error("the multi-line string opened at line \(open.line), column \(open.column) is never closed; add \(delimiter)")
            }
            if b == quote {
                var run = 0
                while peek(at: run) == quote { run += 1 }
                if run >= 3 {
                    guard run <= 5 else {
                        throw error("\(run) quotes in a row inside a multi-line string; at most two may touch the closing \(delimiter)")
                    }
                    out.append(contentsOf: repeatElement(quote, count: run - 3))
                    for _ in 0..<run { advance() }
                    return String(decoding: out, as: UTF8.self)
                }
                out.append(contentsOf: repeatElement(quote, count: run))
                for _ in 0..<run { advance() }
                continue
            }
            switch b {
            case 0x5C where quote == 0x22:
                var ahead = 1
                while let c = peek(at: ahead), c == 0x20 || c == 0x09 { ahead += 1 }
                if peek(at: ahead) == 0x0A || (peek(at: ahead) == 0x0D && peek(at: ahead + 1) == 0x0A) {
                    // Line-ending backslash: drop it and every blank and newline up to the next text.
                    for _ in 0..<ahead { advance() }
                    try skipBlanksAndNewlines()
                } else {
                    try parseEscape(into: &out)
                }
            case 0x0A:
                out.append(0x0A)
                advance()
            case 0x0D:
                guard peek(at: 1) == 0x0A else { throw error("a carriage return must be followed by a newline") }
                advance(); advance()
                out.append(0x0A)
            default:
                if Self.isForbiddenControl(b) {
                    throw error("\(currentDescription) is not allowed in a multi-line string"
                                + (quote == 0x22 ? " (\(Self.escapeHelp))" : ""))
                }
                out.append(b)
                advance()
            }
        }
    }

    mutating func skipBlanksAndNewlines() throws(TOMLSyntaxError) {
        while let b = peek {
            switch b {
            case 0x20, 0x09: advance()
            case 0x0A, 0x0D: _ = try consumeNewline()
            default: return
            }
        }
    }

    /// A backslash escape inside a basic string, appended to `out` as UTF-8.
    mutating func parseEscape(into out: inout [UInt8]) throws(TOMLSyntaxError) {
        let start = position
        advance()
        guard let b = peek else { throw error("the string ends inside an escape", at: start) }
        advance()
        switch b {
        case 0x62: out.append(0x08)
        case 0x74: out.append(0x09)
        case 0x6E: out.append(0x0A)
        case 0x66: out.append(0x0C)
        case 0x72: out.append(0x0D)
        case 0x22: out.append(0x22)
        case 0x5C: out.append(0x5C)
        case 0x75, 0x55:
            let count = b == 0x75 ? 4 : 8
            var value: UInt32 = 0
            for _ in 0..<count {
                guard let h = peek, let digit = Self.hexValue(h) else {
                    throw error("\\\(b == 0x75 ? "u" : "U") needs exactly \(count) hex digits", at: start)
                }
                value = value << 4 | digit
                advance()
            }
            guard let scalar = Unicode.Scalar(value) else {
                throw error("\\\(b == 0x75 ? "u" : "U")\(Self.hex(value, width: count)) is not a Unicode scalar value", at: start)
            }
            UTF8.encode(scalar) { out.append($0) }
        default:
            throw error("invalid escape \\\(Self.describe(byteAt: index - 1, in: bytes, leading: b)); \(Self.escapeHelp)", at: start)
        }
    }

    static func hexValue(_ b: UInt8) -> UInt32? {
        switch b {
        case 0x30...0x39: return UInt32(b - 0x30)
        case 0x41...0x46: return UInt32(b - 0x41 + 10)
        case 0x61...0x66: return UInt32(b - 0x61 + 10)
        default: return nil
        }
    }

    // MARK: - Arrays and inline tables

    mutating func parseArray(depth: Int, path: [String]) throws(TOMLSyntaxError) -> DatumValue {
        let open = position
        advance()
        var items: [DatumValue] = []
        let unclosed = "the array opened at line \(open.line), column \(open.column) is never closed; add ']'"
        while true {
            try skipBlanksNewlinesComments()
            guard let b = peek else { throw error(unclosed) }
            if b == 0x5D {
                advance()
                return .array(items)
            }
            items.append(try parseValue(depth: depth + 1, path: path))
            try skipBlanksNewlinesComments()
            guard let c = peek else { throw error(unclosed) }
            if c == 0x2C {
                advance()
            } else if c == 0x5D {
                advance()
                return .array(items)
            } else {
                throw error("expected ',' or ']' in the array opened at line \(open.line), column \(open.column), found \(currentDescription)")
            }
        }
    }

    /// `{ a = 1, b.c = 2 }`: on one line, no trailing comma, closed to later additions.
    mutating func parseInlineTable(depth: Int, path: [String]) throws(TOMLSyntaxError) -> DatumValue {
        let open = position
        advance()
        let node = TOMLTableNode(origin: .dotted, depth: depth)
        let opened = "the inline table opened at line \(open.line), column \(open.column)"
        skipBlanks()
        if peek == 0x7D {
            advance()
            return .table([:])
        }
        while true {
            skipBlanks()
            guard let b = peek, b == 0x22 || b == 0x27 || Self.isBareKeyByte(b) else {
                if peek == 0x7D { throw error("a trailing comma is not allowed in an inline table; remove it") }
                if peek == 0x0A || peek == 0x0D || peek == nil {
                    throw error("\(opened) must be closed with '}' on the same line")
                }
                throw error("expected a key in \(opened), found \(currentDescription)")
            }
            try parseKeyValue(into: node, path: path)
            skipBlanks()
            guard let c = peek, c != 0x0A, c != 0x0D else {
                throw error("\(opened) must be closed with '}' on the same line")
            }
            if c == 0x2C {
                advance()
            } else if c == 0x7D {
                advance()
                return .table(node.value())
            } else {
                throw error("expected ',' or '}' in \(opened), found \(currentDescription)")
            }
        }
    }

    // MARK: - Numbers, booleans, dates

    static func isTokenByte(_ b: UInt8) -> Bool {
        isBareKeyByte(b) || b == 0x2B || b == 0x2E || b == 0x3A
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// Reads the run of characters that makes up a bare value and decides what it is.
    mutating func parseScalar() throws(TOMLSyntaxError) -> DatumValue {
        let start = position
        let from = index
        while let b = peek {
            if Self.isTokenByte(b) {
                advance()
            } else if b == 0x20, index - from == 10, Self.isLocalDate(bytes[from..<index]),
                      let next = peek(at: 1), Self.isDigit(next) {
                advance() // `1979-05-27 07:32:00`: a space may separate date and time
            } else {
                break
            }
        }
        let token = bytes[from..<index]
        guard !token.isEmpty else {
            throw error("expected a value (a string, number, boolean, date, array or inline table), found \(currentDescription)")
        }
        let text = String(decoding: token, as: UTF8.self)
        switch text {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "inf", "+inf": return .double(.infinity)
        case "-inf": return .double(-.infinity)
        case "nan", "+nan", "-nan": return .double(.nan)
        default: break
        }
        if token.contains(0x3A) || Self.looksLikeDate(token) {
            guard Self.isDateTime(token) else {
                throw error("'\(text)' is not a valid date or time (write 1979-05-27, 07:32:00 or 1979-05-27T07:32:00Z)", at: start)
            }
            return .string(text)
        }
        return try number(token, text: text, at: start)
    }

    func number(_ token: ArraySlice<UInt8>, text: String, at start: TOMLPosition) throws(TOMLSyntaxError) -> DatumValue {
        let invalid = error("'\(text)' is not a valid value; strings need quotes (\"\(text)\")", at: start)
        var i = token.startIndex
        var cleaned = ""
        if token[i] == 0x2B || token[i] == 0x2D {
            if token[i] == 0x2D { cleaned = "-" }
            i += 1
        }
        guard i < token.endIndex else { throw invalid }
        // 0x…, 0o…, 0b…: unsigned, with underscores between digits.
        if token[i] == 0x30, i + 1 < token.endIndex, [0x78, 0x6F, 0x62].contains(token[i + 1]) {
            guard i == token.startIndex else { throw error("'\(text)': hex, octal and binary integers cannot have a sign", at: start) }
            let radix = token[i + 1] == 0x78 ? 16 : token[i + 1] == 0x6F ? 8 : 2
            guard let digits = Self.digits(token, from: i + 2, radix: radix), digits.end == token.endIndex else { throw invalid }
            guard let value = Int(digits.text, radix: radix) else {
                throw error("'\(text)' does not fit in a 64-bit integer", at: start)
            }
            return .int(value)
        }
        guard let whole = Self.digits(token, from: i, radix: 10) else { throw invalid }
        if whole.text.count > 1, whole.text.hasPrefix("0") {
            throw error("'\(text)': leading zeros are not allowed", at: start)
        }
        cleaned += whole.text
        i = whole.end
        var isFloat = false
        if i < token.endIndex, token[i] == 0x2E {
            guard let fraction = Self.digits(token, from: i + 1, radix: 10) else { throw invalid }
            cleaned += "." + fraction.text
            i = fraction.end
            isFloat = true
        }
        if i < token.endIndex, token[i] == 0x65 || token[i] == 0x45 {
            i += 1
            cleaned += "e"
            if i < token.endIndex, token[i] == 0x2B || token[i] == 0x2D {
                cleaned += token[i] == 0x2D ? "-" : "+"
                i += 1
            }
            guard let exponent = Self.digits(token, from: i, radix: 10) else { throw invalid }
            cleaned += exponent.text
            i = exponent.end
            isFloat = true
        }
        guard i == token.endIndex else { throw invalid }
        if isFloat {
            guard let value = Double(cleaned), value.isFinite else {
                throw error("'\(text)' is out of the range of a 64-bit float", at: start)
            }
            return .double(value)
        }
        guard let value = Int(cleaned) else {
            throw error("'\(text)' does not fit in a 64-bit integer (-9223372036854775808…9223372036854775807)", at: start)
        }
        return .int(value)
    }

    /// Digits of `radix` from `start`, underscores allowed only between two digits. Nil when there is none
    /// or an underscore is misplaced.
    static func digits(_ token: ArraySlice<UInt8>, from start: Int, radix: Int) -> (text: String, end: Int)? {
        var i = start
        var text: [UInt8] = []
        var lastWasDigit = false
        while i < token.endIndex {
            let b = token[i]
            if let value = hexValue(b), Int(value) < radix {
                text.append(b)
                lastWasDigit = true
            } else if b == 0x5F, lastWasDigit, i + 1 < token.endIndex, let next = hexValue(token[i + 1]), Int(next) < radix {
                lastWasDigit = false
            } else if b == 0x5F {
                return nil
            } else {
                break
            }
            i += 1
        }
        guard !text.isEmpty else { return nil }
        return (String(decoding: text, as: UTF8.self), i)
    }

    /// `dddd-…`: meant as a date, so a bad one is reported as a bad date rather than a bad number.
    static func looksLikeDate(_ token: ArraySlice<UInt8>) -> Bool {
        let b = Array(token.prefix(5))
        return b.count == 5 && b[4] == 0x2D && b[0..<4].allSatisfy(isDigit)
    }

    static func isLocalDate(_ s: ArraySlice<UInt8>) -> Bool {
        guard s.count == 10 else { return false }
        let b = Array(s)
        guard b[4] == 0x2D, b[7] == 0x2D, let year = decimal(b, 0, 4), let month = decimal(b, 5, 2),
              let day = decimal(b, 8, 2)
        else { return false }
        guard (1...12).contains(month), day >= 1 else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return day <= days
    }

    /// `HH:MM:SS` with an optional fraction; returns the index after it.
    static func timeEnd(_ b: [UInt8], from i: Int) -> Int? {
        guard i + 8 <= b.count, b[i + 2] == 0x3A, b[i + 5] == 0x3A, let h = decimal(b, i, 2), let m = decimal(b, i + 3, 2),
              let s = decimal(b, i + 6, 2), h <= 23, m <= 59, s <= 60
        else { return nil }
        var end = i + 8
        if end < b.count, b[end] == 0x2E {
            end += 1
            let digitsStart = end
            while end < b.count, isDigit(b[end]) { end += 1 }
            guard end > digitsStart else { return nil }
        }
        return end
    }

    static func isDateTime(_ token: ArraySlice<UInt8>) -> Bool {
        let b = Array(token)
        if b.count >= 10, isLocalDate(token.prefix(10)) {
            if b.count == 10 { return true }
            guard [0x54, 0x74, 0x20].contains(b[10]), let end = timeEnd(b, from: 11) else { return false }
            if end == b.count { return true }
            if end + 1 == b.count, b[end] == 0x5A || b[end] == 0x7A { return true }
            guard end + 6 == b.count, b[end] == 0x2B || b[end] == 0x2D, b[end + 3] == 0x3A,
                  let h = decimal(b, end + 1, 2), let m = decimal(b, end + 4, 2)
            else { return false }
            return h <= 23 && m <= 59
        }
        return timeEnd(b, from: 0) == b.count
    }

    static func decimal(_ b: [UInt8], _ from: Int, _ count: Int) -> Int? {
        guard from + count <= b.count else { return nil }
        var value = 0
        for i in from..<(from + count) {
            guard isDigit(b[i]) else { return nil }
            value = value * 10 + Int(b[i] - 0x30)
        }
        return value
    }
}
