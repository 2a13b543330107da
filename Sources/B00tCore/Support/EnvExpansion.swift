/// `${VAR}`, `${VAR:-default}` (default when unset or empty) and `${VAR-default}` (default when unset) in
/// datum strings (args, ports, health checks), so one shipped datum can be pointed at another port by the
/// environment (`B00T_REDIS_PORT=7000 b00t up redis`) without editing it. Defaults may hold references
/// themselves (`${PORT:-${B00T_DEFAULT_PORT}}`). `$$` is a literal `$`, and a `$` not followed by `{` is kept
/// as written. Expansion is textual and never goes through a shell.
///
/// Malformed references (`${}`, `${A B}`, `${A:?x}`, an unclosed `${`) are errors when a datum loads
/// (`problem(in:)`); `expand` never turns them into empty text: it keeps such a reference exactly as written.
public enum EnvExpansion {
    /// Defaults nested deeper than this are refused (a datum never needs more than two or three).
    public static let maximumNesting = 8

    public static func expand(_ text: String, environment: [String: String]) -> String {
        guard text.contains("$") else { return text }
        var scalars = Array(text.unicodeScalars)[...]
        let pieces = (try? parseSequence(&scalars, depth: 0, insideDefault: false, lenient: true)) ?? [.literal(text)]
        return evaluate(pieces, environment: environment)
    }

    /// Why `text` has a malformed `${…}` reference, or nil when every reference is well formed.
    public static func problem(in text: String) -> String? {
        guard text.contains("$") else { return nil }
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error.description
        }
    }

    /// True when `text` refers to a variable: validation then checks the defaults-only expansion.
    public static func hasReferences(_ text: String) -> Bool { text.contains("${") }

    enum Piece {
        case literal(String)
        /// `fallback` nil: `${NAME}`; otherwise the default, used when unset (or also when empty).
        case variable(String, fallback: [Piece]?, whenEmpty: Bool)
    }

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    static func parse(_ text: String) throws(ParseError) -> [Piece] {
        var scalars = Array(text.unicodeScalars)[...]
        return try parseSequence(&scalars, depth: 0, insideDefault: false, lenient: false)
    }

    /// Text up to the end (or, inside a default, up to its closing `}`, which is left for the caller).
    /// `lenient`: a malformed reference is kept as literal text instead of failing.
    static func parseSequence(
        _ s: inout ArraySlice<Unicode.Scalar>, depth: Int, insideDefault: Bool, lenient: Bool
    ) throws(ParseError) -> [Piece] {
        var pieces: [Piece] = []
        var literal = String.UnicodeScalarView()
        func flush() {
            if !literal.isEmpty { pieces.append(.literal(String(literal))); literal = String.UnicodeScalarView() }
        }
        while let c = s.first {
            if insideDefault, c == "}" { break }
            s.removeFirst()
            guard c == "$", let next = s.first else {
                literal.append(c)
                continue
            }
            if next == "$" {
                s.removeFirst()
                literal.append("$")
            } else if next == "{" {
                let saved = s
                s.removeFirst()
                do {
                    let reference = try parseReference(&s, depth: depth, lenient: lenient)
                    flush()
                    pieces.append(reference)
                } catch {
                    guard lenient else { throw error }
                    s = saved
                    literal.append(c)
                }
            } else {
                literal.append(c)
            }
        }
        flush()
        return pieces
    }

    /// After `${`: NAME, then `}`, `:-default}` or `-default}`.
    static func parseReference(_ s: inout ArraySlice<Unicode.Scalar>, depth: Int, lenient: Bool) throws(ParseError) -> Piece {
        var name = String.UnicodeScalarView()
        while let c = s.first, c.isASCII, c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" {
            name.append(c)
            s.removeFirst()
        }
        let shown = String(name)
        let usage = "write ${NAME}, ${NAME:-default} or ${NAME-default}"
        guard let next = s.first else { throw ParseError(description: "'${\(shown)' is never closed; \(usage)") }
        guard !name.isEmpty else {
            throw ParseError(description: next == "}" ? "'${}' names no variable; \(usage)"
                             : "'${\(next)…': a variable name is ASCII letters, digits and '_'; \(usage)")
        }
        guard let first = name.first, !("0"..."9").contains(first) else {
            throw ParseError(description: "'${\(shown)}': a variable name cannot start with a digit")
        }
        if next == "}" {
            s.removeFirst()
            return .variable(shown, fallback: nil, whenEmpty: false)
        }
        let whenEmpty: Bool
        if next == ":", s.dropFirst().first == "-" {
            s.removeFirst(2)
            whenEmpty = true
        } else if next == "-" {
            s.removeFirst()
            whenEmpty = false
        } else {
            throw ParseError(description: "'${\(shown)\(next)…' is not supported; \(usage)")
        }
        guard depth < maximumNesting else {
            throw ParseError(description: "defaults nested more than \(maximumNesting) levels deep")
        }
        let fallback = try parseSequence(&s, depth: depth + 1, insideDefault: true, lenient: lenient)
        guard s.first == "}" else { throw ParseError(description: "'${\(shown)…' is never closed; \(usage)") }
        s.removeFirst()
        return .variable(shown, fallback: fallback, whenEmpty: whenEmpty)
    }

    static func evaluate(_ pieces: [Piece], environment: [String: String]) -> String {
        var out = ""
        for piece in pieces {
            switch piece {
            case .literal(let text): out += text
            case .variable(let name, nil, _): out += environment[name] ?? ""
            case .variable(let name, let fallback?, let whenEmpty):
                let value = environment[name]
                if let value, !(whenEmpty && value.isEmpty) {
                    out += value
                } else {
                    out += evaluate(fallback, environment: environment)
                }
            }
        }
        return out
    }
}
