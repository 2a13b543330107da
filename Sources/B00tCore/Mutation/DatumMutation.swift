/// What a mutation proposal carries on the bus: which datum, the file's content hash when it was proposed, the
/// exact unified diff the crew votes on, and the hash of the file that diff produces. Nothing in it names a path:
/// the applying side finds the datum by name on its own search path, so a proposal can only ever change that
/// datum's own file.
public struct DatumMutation: Codable, Sendable, Hashable {
    /// `name.type`.
    public var datum: String
    /// SHA-256 (hex) of the file the diff was made against.
    public var baseHash: String
    /// SHA-256 (hex) of the file after the diff.
    public var newHash: String
    public var diff: String
    /// One line: what changes (`set desires = "7.2"`), for the vote, the crew stream and the commit message.
    public var summary: String
    /// Whose vote it needs, as the datum said when it was proposed (checked again when it is applied).
    public var approval: MutationApproval

    public init(datum: String, baseHash: String, newHash: String, diff: String, summary: String, approval: MutationApproval) {
        self.datum = datum
        self.baseHash = baseHash
        self.newHash = newHash
        self.diff = diff
        self.summary = summary
        self.approval = approval
    }

    public static let maximumSummaryLength = 200

    /// The proposal's text: what the crew reads when it votes.
    public var proposalText: String { "mutate \(datum): \(summary)" }

    /// A well-formed mutation (names, hashes, sizes, a diff that parses), or why not — checked by the bus before
    /// a proposal is accepted, so a malformed one never reaches a vote.
    public func problem() -> String? {
        let parts = datum.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 2, let type = parts.last, IdentifierRules.datumTypeProblem(String(type)) == nil,
              IdentifierRules.datumNameProblem(parts.dropLast().joined(separator: ".")) == nil
        else { return "datum '\(TerminalText.line(String(datum.prefix(80))))' must be name.type, like redis.process" }
        for (name, hash) in [("base_hash", baseHash), ("new_hash", newHash)] where !Self.isHash(hash) {
            return "\(name) must be a SHA-256 in lower-case hex (64 characters)"
        }
        guard baseHash != newHash else { return "the mutation changes nothing (base_hash equals new_hash)" }
        let summaryProblem = summary.isEmpty || summary.count > Self.maximumSummaryLength
            || summary.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
        guard !summaryProblem else { return "summary must be one line of 1–\(Self.maximumSummaryLength) characters" }
        do { _ = try UnifiedDiff.parse(diff) } catch { return "diff: \(error.message)" }
        return nil
    }

    static func isHash(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    public static func hash(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { SHA256.hex($0) }
    }
}
