/// A predicate over datums, composable in code and parsed from `type:agent and (skill:rust or skill:go)`.
public indirect enum DatumQuery: Hashable, Sendable, CustomStringConvertible {
    case all
    case byType(DatumType)
    /// An agent with this skill at or above `minimum` proficiency.
    case bySkill(String, minimum: Double = 0)
    case byCategory(String)
    case byName(String)
    case and(DatumQuery, DatumQuery)
    case or(DatumQuery, DatumQuery)
    case not(DatumQuery)

    public func matches(_ datum: Datum) -> Bool {
        switch self {
        case .all: return true
        case .byType(let type): return datum.type == type
        case .bySkill(let skill, let minimum):
            guard let level = datum.agent?.skills.first(where: { $0.key.lowercased() == skill.lowercased() })?.value
            else { return false }
            return level >= minimum
        case .byCategory(let category): return datum.category?.lowercased() == category.lowercased()
        case .byName(let name): return datum.name == name || datum.id == name
        case .and(let a, let b): return a.matches(datum) && b.matches(datum)
        case .or(let a, let b): return a.matches(datum) || b.matches(datum)
        case .not(let q): return !q.matches(datum)
        }
    }

    public static func && (lhs: DatumQuery, rhs: DatumQuery) -> DatumQuery { .and(lhs, rhs) }
    public static func || (lhs: DatumQuery, rhs: DatumQuery) -> DatumQuery { .or(lhs, rhs) }
    public static prefix func ! (query: DatumQuery) -> DatumQuery { .not(query) }

    /// Canonical expression text; parsing it gives back the same query. Parentheses only where precedence
    /// needs them (`and` binds tighter than `or`, both group to the left), so the text never nests deeper
    /// than the expression it came from (the parser bounds nesting).
    public var description: String {
        switch self {
        case .all: return "*"
        case .byType(let type): return "type:\(type)"
        case .bySkill(let skill, let minimum): return minimum > 0 ? "skill:\(skill)>=\(minimum)" : "skill:\(skill)"
        case .byCategory(let category): return "category:\(category)"
        case .byName(let name): return "name:\(name)"
        case .and(let a, let b):
            return "\(a.grouped(unless: { $0.isTerm || $0.isNot || $0.isAnd })) and \(b.grouped(unless: { $0.isTerm || $0.isNot }))"
        case .or(let a, let b):
            return "\(a) or \(b.grouped(unless: { !$0.isOr }))"
        case .not(let q): return "not \(q.grouped(unless: { $0.isTerm || $0.isNot }))"
        }
    }

    private func grouped(unless bare: (DatumQuery) -> Bool) -> String { bare(self) ? description : "(\(description))" }

    private var isAnd: Bool { if case .and = self { return true } else { return false } }
    private var isOr: Bool { if case .or = self { return true } else { return false } }
    private var isNot: Bool { if case .not = self { return true } else { return false } }
    private var isTerm: Bool { !isAnd && !isOr && !isNot }
}
