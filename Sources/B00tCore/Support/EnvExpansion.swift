/// `${VAR}` and `${VAR:-default}` in datum strings (args, ports, health checks), so one shipped datum can be
/// pointed at another port by the environment (`B00T_REDIS_PORT=7000 b00t up redis`) without editing it.
/// `$$` is a literal `$`. Expansion is textual and never goes through a shell.
public enum EnvExpansion {
    public static func expand(_ text: String, environment: [String: String]) -> String {
        guard text.contains("$") else { return text }
        var out = ""
        var index = text.startIndex
        while index < text.endIndex {
            let c = text[index]
            let next = text.index(after: index)
            guard c == "$", next < text.endIndex else {
                out.append(c)
                index = next
                continue
            }
            if text[next] == "$" {
                out.append("$")
                index = text.index(after: next)
                continue
            }
            guard text[next] == "{", let close = text[next...].firstIndex(of: "}") else {
                out.append(c)
                index = next
                continue
            }
            let body = text[text.index(after: next)..<close]
            if let range = body.range(of: ":-") {
                let name = String(body[..<range.lowerBound])
                let value = environment[name] ?? ""
                out += value.isEmpty ? String(body[range.upperBound...]) : value
            } else {
                out += environment[String(body)] ?? ""
            }
            index = text.index(after: close)
        }
        return out
    }

    /// True when `text` refers to a variable: validation then checks the defaults-only expansion.
    public static func hasReferences(_ text: String) -> Bool { text.contains("${") }
}
