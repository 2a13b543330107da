/// Parses query expressions: `field:value` terms (type, skill, category, name; `skill:rust>=0.8`), `and`, `or`,
/// `not`, parentheses. `and` binds tighter than `or`; juxtaposed terms mean `and`.
///
/// Queries come from the command line, `/query` and replay files, so they are bounded: parentheses and `not`
/// nest at most `maximumDepth` deep and a query has at most `maximumTerms` terms (the parser and `matches`
/// recurse over the tree).
public struct DatumQueryParser {
    public static let maximumDepth = 32
    public static let maximumTerms = 256

    private var tokens: [(text: String, column: Int)]
    private var index = 0
    private var depth = 0

    public static func parse(_ text: String) throws(DatumQueryError) -> DatumQuery {
        var parser = DatumQueryParser(tokens: tokenize(text))
        if parser.tokens.isEmpty { return .all }
        let terms = parser.tokens.filter { !["(", ")", "and", "or", "not", "&&", "||", "!"].contains($0.text.lowercased()) }
        if terms.count > maximumTerms, let first = terms.dropFirst(maximumTerms).first {
            throw .tooManyTerms(column: first.column)
        }
        let query = try parser.parseOr()
        if let extra = parser.peek { throw .unexpected(extra.text, column: extra.column) }
        return query
    }

    private init(tokens: [(text: String, column: Int)]) { self.tokens = tokens }

    private var peek: (text: String, column: Int)? { index < tokens.count ? tokens[index] : nil }

    private mutating func parseOr() throws(DatumQueryError) -> DatumQuery {
        var left = try parseAnd()
        while let t = peek, t.text.lowercased() == "or" || t.text == "||" {
            index += 1
            left = .or(left, try parseAnd())
        }
        return left
    }

    private mutating func parseAnd() throws(DatumQueryError) -> DatumQuery {
        var left = try parseUnary()
        while let t = peek {
            let word = t.text.lowercased()
            if word == "and" || word == "&&" {
                index += 1
            } else if word == "or" || word == "||" || word == ")" {
                break
            }
            left = .and(left, try parseUnary())
        }
        return left
    }

    private mutating func parseUnary() throws(DatumQueryError) -> DatumQuery {
        guard let t = peek else { throw .unexpectedEnd }
        let word = t.text.lowercased()
        if word == "not" || word == "!" || word == "(" {
            guard depth < Self.maximumDepth else { throw .tooDeep(column: t.column) }
            depth += 1
        }
        defer { if word == "not" || word == "!" || word == "(" { depth -= 1 } }
        if word == "not" || word == "!" {
            index += 1
            return .not(try parseUnary())
        }
        if word == "(" {
            index += 1
            let inner = try parseOr()
            guard let close = peek, close.text == ")" else { throw .unclosedParenthesis(column: t.column) }
            index += 1
            return inner
        }
        index += 1
        return try term(t.text, column: t.column)
    }

    private func term(_ text: String, column: Int) throws(DatumQueryError) -> DatumQuery {
        guard let colon = text.firstIndex(of: ":") else {
            if ["and", "or", ")", "&&", "||"].contains(text.lowercased()) { throw .unexpected(text, column: column) }
            throw .missingField(text, column: column)
        }
        let field = text[..<colon].lowercased()
        let value = String(text[text.index(after: colon)...])
        guard !value.isEmpty else { throw .emptyValue(field, column: column) }
        switch field {
        case "type": return .byType(DatumType(value))
        case "category", "cat": return .byCategory(value)
        case "name": return .byName(value)
        case "skill":
            if let range = value.range(of: ">=") {
                let skill = String(value[..<range.lowerBound])
                guard let minimum = Double(value[range.upperBound...]), (0...1).contains(minimum) else {
                    throw .badProficiency(value, column: column)
                }
                return .bySkill(skill, minimum: minimum)
            }
            return .bySkill(value)
        default: throw .unknownField(field, column: column)
        }
    }

    static func tokenize(_ text: String) -> [(text: String, column: Int)] {
        var tokens: [(String, Int)] = []
        var current = ""
        var start = 0
        for (offset, c) in text.enumerated() {
            if c == "(" || c == ")" || c.isWhitespace {
                if !current.isEmpty { tokens.append((current, start + 1)); current = "" }
                if !c.isWhitespace { tokens.append((String(c), offset + 1)) }
            } else {
                if current.isEmpty { start = offset }
                current.append(c)
            }
        }
        if !current.isEmpty { tokens.append((current, start + 1)) }
        return tokens
    }
}

/// Why a query expression did not parse, with the column to look at.
public enum DatumQueryError: Error, Equatable, Sendable, CustomStringConvertible {
    case unexpectedEnd
    case unexpected(String, column: Int)
    case unclosedParenthesis(column: Int)
    case missingField(String, column: Int)
    case emptyValue(String, column: Int)
    case unknownField(String, column: Int)
    case badProficiency(String, column: Int)
    case tooDeep(column: Int)
    case tooManyTerms(column: Int)

    public var description: String {
        let fields = "type:, skill:, category:, name:"
        switch self {
        case .unexpectedEnd: return "query ends too early; add a term such as type:agent"
        case .unexpected(let t, let c): return "column \(c): unexpected '\(t)'"
        case .unclosedParenthesis(let c): return "column \(c): '(' is never closed; add ')'"
        case .missingField(let t, let c): return "column \(c): '\(t)' needs a field, e.g. skill:\(t) (fields: \(fields))"
        case .emptyValue(let f, let c): return "column \(c): '\(f):' needs a value"
        case .unknownField(let f, let c):
            let hint = closestMatch(to: f, in: ["type", "skill", "category", "name"]).map { " (did you mean '\($0):'?)" } ?? ""
            return "column \(c): unknown field '\(f)'\(hint); fields: \(fields)"
        case .badProficiency(let v, let c): return "column \(c): '\(v)': proficiency must be a number in 0.0–1.0"
        case .tooDeep(let c):
            return "column \(c): parentheses and 'not' nest more than \(DatumQueryParser.maximumDepth) deep; simplify the query"
        case .tooManyTerms(let c):
            return "column \(c): a query has at most \(DatumQueryParser.maximumTerms) terms; split it up"
        }
    }
}
