/// A datum's `[b00t.self_mutate]` table: which parts of the file the crew may change through a mutation
/// proposal, who approves one, and whether an applied change is committed with git. A datum without the table
/// accepts no mutations at all: a person's file changes only where its owner said it may.
public struct SelfMutateSpec: Hashable, Sendable, Codable {
    /// `desires` (the version), `install`, the image and `env` values.
    public var allowInstallUpdates = false
    /// `learn` (a string, or the `[b00t.learn]` table).
    public var allowLearnUpdates = false
    /// `usage` examples.
    public var allowUsageUpdates = false
    /// `depends_on` (and a stack's `members`).
    public var allowDependencyUpdates = false
    /// Commit each applied mutation with git when the file is inside a work tree.
    public var versionControl = false
    public var approval: MutationApproval = .everyone

    public init(allowInstallUpdates: Bool = false, allowLearnUpdates: Bool = false, allowUsageUpdates: Bool = false,
                allowDependencyUpdates: Bool = false, versionControl: Bool = false, approval: MutationApproval = .everyone) {
        self.allowInstallUpdates = allowInstallUpdates
        self.allowLearnUpdates = allowLearnUpdates
        self.allowUsageUpdates = allowUsageUpdates
        self.allowDependencyUpdates = allowDependencyUpdates
        self.versionControl = versionControl
        self.approval = approval
    }

    enum CodingKeys: String, CodingKey {
        case allowInstallUpdates = "allow_install_updates", allowLearnUpdates = "allow_learn_updates"
        case allowUsageUpdates = "allow_usage_updates", allowDependencyUpdates = "allow_dependency_updates"
        case versionControl = "version_control", approval
    }

    /// Whether `flag` (one of the `allow_…` keys) is on.
    public func allows(_ flag: MutationFlag) -> Bool {
        switch flag {
        case .install: return allowInstallUpdates
        case .learn: return allowLearnUpdates
        case .usage: return allowUsageUpdates
        case .dependency: return allowDependencyUpdates
        }
    }
}

/// The `allow_…` switches of `[b00t.self_mutate]`.
public enum MutationFlag: String, Sendable, Hashable, CaseIterable, Codable {
    case install = "allow_install_updates"
    case learn = "allow_learn_updates"
    case usage = "allow_usage_updates"
    case dependency = "allow_dependency_updates"
}

/// Who approves a mutation: the members of one crew, every registered agent, or nobody (solo use: the
/// proposer's own word passes it, still through the bus log so it is applied once and recorded).
public enum MutationApproval: Hashable, Sendable, Codable, CustomStringConvertible {
    case crew(String)
    case everyone
    case none

    public init?(parsing text: String) {
        switch text {
        case "everyone": self = .everyone
        case "none": self = .none
        default:
            guard text.hasPrefix("crew:") else { return nil }
            let name = String(text.dropFirst(5))
            guard (try? BusState.checkName(name, what: "crew")) != nil else { return nil }
            self = .crew(name)
        }
    }

    public var description: String {
        switch self {
        case .crew(let name): return "crew:\(name)"
        case .everyone: return "everyone"
        case .none: return "none"
        }
    }

    /// The crew that votes, if any.
    public var crew: String? {
        if case .crew(let name) = self { return name }
        return nil
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = MutationApproval(parsing: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "approval '\(text)'"))
        }
        self = parsed
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

extension DatumDecoder {
    static let selfMutateKeys = ["allow_install_updates", "allow_learn_updates", "allow_usage_updates",
                                 "allow_dependency_updates", "version_control", "approval"]
    /// A script is a few lines of bash; anything this large is a mistake.
    static let maximumScriptBytes = 64 * 1024

    /// `[b00t.self_mutate]`: booleans and an approval; a near-miss key ("allow_usage_update") is an error, as
    /// a switch that silently stays off would be.
    static func decodeSelfMutate(_ t: TableReader, context: DecodingContext) -> SelfMutateSpec? {
        guard let table = t.subtable("self_mutate") else { return nil }
        var spec = SelfMutateSpec()
        spec.allowInstallUpdates = table.bool("allow_install_updates") ?? false
        spec.allowLearnUpdates = table.bool("allow_learn_updates") ?? false
        spec.allowUsageUpdates = table.bool("allow_usage_updates") ?? false
        spec.allowDependencyUpdates = table.bool("allow_dependency_updates") ?? false
        spec.versionControl = table.bool("version_control") ?? false
        if let text = table.string("approval") {
            if let approval = MutationApproval(parsing: text) {
                spec.approval = approval
            } else {
                table.report("approval", "invalid approval '\(text)'",
                             hint: "write \"crew:NAME\" (a crew votes), \"everyone\" (every registered agent votes) or \"none\" (solo use)")
            }
        }
        table.finish(known: selfMutateKeys)
        return spec
    }

    /// `[b00t.scripts]`: name → bash text, run by `b00t datum script` on a copy of the datum's folder.
    static func decodeScripts(_ t: TableReader, context: DecodingContext) -> [String: String] {
        guard let table = t.subtable("scripts") else { return [:] }
        var scripts: [String: String] = [:]
        for name in table.values.keys.sorted() {
            guard let body = table.string(name) else { continue }
            if let problem = IdentifierRules.datumTypeProblem(name) {
                table.report(name, "invalid script name '\(name)'", hint: problem.replacingOccurrences(of: "a datum type", with: "a script name"))
            } else if body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                table.report(name, "empty script", hint: "write the bash commands to run, or remove the entry")
            } else if body.utf8.count > maximumScriptBytes {
                table.report(name, "the script is \(body.utf8.count) bytes; scripts are limited to \(maximumScriptBytes)",
                             hint: "keep the work in a file next to the datum and call it from the script")
            } else {
                scripts[name] = body
            }
        }
        return scripts
    }
}
