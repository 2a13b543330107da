import Foundation

/// How an autonomous agent process behaves: how it votes, when it bids on ahoys, whom it shakes hands with
/// and how it teaches. Read from a datum's `[b00t.agent.policy]` or a policy TOML file.
public struct AgentPolicy: Sendable, Equatable {
    public enum Vote: Sendable, Equatable {
        case always(VoteChoice)
        /// Vote as this agent voted (waits for it).
        case follow(String)
    }

    public enum Handshakes: String, Sendable, Equatable {
        /// Accept registered agents, decline strangers.
        case known
        case all
        case none
    }

    public var vote: Vote = .always(.abstain)
    /// Apply to an ahoy when the mean proficiency over its required skills reaches this.
    public var applyThreshold: Double = 0.5
    public var handshakes: Handshakes = .known
    public var teachMethod: TeachingMethod = .demonstration
    /// How it votes on datum mutation proposals; nil: as `vote` says for any proposal.
    public var mutations: MutationVote? = nil

    /// `mutations = "yes" | "no" | "review"`: review votes yes only when the change touches nothing but keys the
    /// datum's `[b00t.self_mutate]` allows (checked on this machine's copy of the datum), no otherwise.
    public enum MutationVote: String, Sendable, Equatable {
        case yes, no, review
    }

    public init() {}

    static let keys = ["vote", "apply_threshold", "accept_handshakes", "teach_method", "mutations"]

    /// From a table of policy values (datum or file); `source` names where it came from in errors.
    public init(table: [String: DatumValue], source: String) throws(BusError) {
        for key in table.keys where !Self.keys.contains(key) {
            let hint = closestMatch(to: key, in: Self.keys).map { "; did you mean '\($0)'?" } ?? ""
            throw .invalid("\(source): unknown policy key '\(key)'\(hint) (keys: \(Self.keys.joined(separator: ", ")))")
        }
        if let value = table["vote"] {
            guard case .string(let text) = value else { throw .invalid("\(source): vote must be a string") }
            vote = try Self.parseVote(text, source: source)
        }
        if let value = table["apply_threshold"] {
            let number: Double
            switch value {
            case .double(let d): number = d
            case .int(let i): number = Double(i)
            default: throw .invalid("\(source): apply_threshold must be a number in 0.0–1.0")
            }
            guard (0...1).contains(number) else { throw .invalid("\(source): apply_threshold \(number) is outside 0.0–1.0") }
            applyThreshold = number
        }
        if let value = table["accept_handshakes"] {
            guard case .string(let text) = value, let parsed = Handshakes(rawValue: text) else {
                throw .invalid("\(source): accept_handshakes must be \"known\", \"all\" or \"none\"")
            }
            handshakes = parsed
        }
        if let value = table["mutations"] {
            guard case .string(let text) = value, let parsed = MutationVote(rawValue: text) else {
                throw .invalid("\(source): mutations must be \"yes\", \"no\" or \"review\"")
            }
            mutations = parsed
        }
        if let value = table["teach_method"] {
            guard case .string(let text) = value, let method = TeachingMethod(parsing: text) else {
                throw .invalid("\(source): teach_method must be pair, demo, doc or practice")
            }
            teachMethod = method
        }
    }

    static func parseVote(_ text: String, source: String) throws(BusError) -> Vote {
        if text.hasPrefix("follow:") {
            let leader = String(text.dropFirst(7))
            guard !leader.isEmpty else { throw .invalid("\(source): follow: needs an agent id (follow:alpha)") }
            return .follow(leader)
        }
        guard let choice = VoteChoice(rawValue: text) else {
            throw .invalid("\(source): vote must be yes, no, abstain or follow:AGENT (got '\(text)')")
        }
        return .always(choice)
    }

    /// A policy file: keys at the top level or under `[policy]`.
    public static func load(file path: String) throws(BusError) -> AgentPolicy {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw .invalid("cannot read policy file \(path)")
        }
        let table: [String: DatumValue]
        do {
            table = try TOMLDocument.parse(text).root
        } catch {
            throw .invalid("\(path):\(error.line):\(error.column): \(error.message)")
        }
        if case .table(let inner)? = table["policy"], table.count == 1 { return try AgentPolicy(table: inner, source: path) }
        return try AgentPolicy(table: table, source: path)
    }

    /// The policy written in an agent datum, if any.
    public static func from(datum: Datum) throws(BusError) -> AgentPolicy? {
        guard case .table(let table)? = datum.agent?.policies["policy"] else { return nil }
        return try AgentPolicy(table: table, source: datum.source ?? datum.id)
    }
}
