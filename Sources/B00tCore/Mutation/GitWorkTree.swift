import Foundation

/// The git work tree a datum folder lives in, driven through `git` with argv (never a shell string), always
/// with `-C <the datum's folder>` and the file's own name as the only pathspec — so a commit touches that
/// file and nothing else, whatever else is staged.
public struct GitWorkTree: Sendable {
    /// The datum's folder (every command runs there).
    public let folder: String

    /// What git says about one file.
    public enum FileState: Sendable, Equatable {
        case clean
        /// Changed, staged or not, since the last commit.
        case modified
        /// Not tracked (or ignored).
        case untracked
    }

    /// One commit of a datum's history, with the proposal that produced it (when a mutation did).
    public struct Commit: Sendable, Equatable, Codable {
        public var id: String
        public var date: String
        public var author: String
        public var subject: String
        public var proposal: String?
        public var voters: String?
    }

    static let timeout: Duration = .seconds(30)

    /// The work tree holding `folder`; nil when it is not inside one (or git is not installed: the mutation is
    /// then applied without a commit, and the reply says so).
    public static func containing(_ folder: String) -> GitWorkTree? {
        guard let out = try? run(["rev-parse", "--is-inside-work-tree"], in: folder), out.status == 0,
              out.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "true"
        else { return nil }
        return GitWorkTree(folder: folder)
    }

    /// The environment git runs with: the caller's, without variables that would point it at another
    /// repository or index, and never prompting.
    public static var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        for key in ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES",
                    "GIT_COMMON_DIR", "GIT_PREFIX"] {
            env[key] = nil
        }
        env["GIT_TERMINAL_PROMPT"] = "0"
        env["LC_ALL"] = "C"
        return env
    }

    static func run(_ args: [String], in folder: String) throws -> CommandRunner.Output {
        try CommandRunner.run(["git", "-C", folder] + args, environment: environment, timeout: timeout)
    }

    func git(_ args: [String]) throws(MutationError) -> CommandRunner.Output {
        do { return try Self.run(args, in: folder) } catch {
            throw MutationError(.git, "git \(args.first ?? ""): \(error)")
        }
    }

    public func state(of file: String) throws(MutationError) -> FileState {
        let name = (file as NSString).lastPathComponent
        let tracked = try git(["ls-files", "--error-unmatch", "--", name])
        if tracked.status != 0 { return .untracked }
        let status = try git(["status", "--porcelain=v1", "--", name])
        guard status.status == 0 else { throw MutationError(.git, "git status failed: \(status.stderr.trimmingCharacters(in: .whitespacesAndNewlines))") }
        return status.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? .clean : .modified
    }

    /// Why git could not commit here (no user.name/user.email), or nil when it can.
    public func identityProblem() -> String? {
        guard let out = try? git(["var", "GIT_COMMITTER_IDENT"]), out.status == 0 else {
            return "git does not know who commits in \(folder): set user.name and user.email (git config user.name …)"
        }
        return nil
    }

    /// Commits `file` alone with `message`; returns the new commit's id.
    public func commit(_ file: String, message: String) throws(MutationError) -> String {
        let name = (file as NSString).lastPathComponent
        let out = try git(["commit", "--quiet", "--only", "-m", message, "--", name])
        guard out.status == 0 else {
            let why = (out.stderr + out.stdout).trimmingCharacters(in: .whitespacesAndNewlines)
            throw MutationError(.git, "git commit failed: \(why.isEmpty ? "exit \(out.status)" : String(why.prefix(500)))")
        }
        let head = try git(["rev-parse", "HEAD"])
        let id = head.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard head.status == 0, !id.isEmpty else { throw MutationError(.git, "git rev-parse HEAD failed after the commit") }
        return id
    }

    /// The commit a mutation already made (found by its `B00t-Mutation:` trailer), if any.
    public func commit(carrying mutationHash: String, file: String) throws(MutationError) -> String? {
        let name = (file as NSString).lastPathComponent
        let out = try git(["log", "--format=%H", "--fixed-strings", "--grep=\(MutationCommitMessage.mutationTrailer): \(mutationHash)", "-n", "1", "--", name])
        let id = out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return out.status == 0 && !id.isEmpty ? id : nil
    }

    /// The file's commits, newest first (at most `limit`).
    public func history(of file: String, limit: Int = 200) throws(MutationError) -> [Commit] {
        let name = (file as NSString).lastPathComponent
        let format = "%H%x1f%aI%x1f%an%x1f%s%x1f%(trailers:key=\(MutationCommitMessage.proposalTrailer),valueonly,separator=%x2c)"
            + "%x1f%(trailers:key=\(MutationCommitMessage.votersTrailer),valueonly,separator=%x2c)%x1e"
        let out = try git(["log", "-n", String(max(1, min(limit, 10_000))), "--format=\(format)", "--", name])
        guard out.status == 0 else {
            throw MutationError(.git, "git log failed: \(out.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return out.stdout.split(separator: "\u{1E}").compactMap { record in
            let fields = record.trimmingCharacters(in: .newlines).components(separatedBy: "\u{1F}")
            guard fields.count == 6, !fields[0].isEmpty else { return nil }
            let proposal = fields[4].trimmingCharacters(in: .whitespacesAndNewlines)
            let voters = fields[5].trimmingCharacters(in: .whitespacesAndNewlines)
            return Commit(id: fields[0], date: fields[1], author: fields[2], subject: fields[3],
                          proposal: proposal.isEmpty ? nil : proposal, voters: voters.isEmpty ? nil : voters)
        }
    }
}

/// `chore(NAME): summary` and the trailers that tie a commit to its proposal, its voters and its content.
public enum MutationCommitMessage {
    public static let proposalTrailer = "B00t-Proposal"
    public static let votersTrailer = "B00t-Voters"
    public static let appliedByTrailer = "B00t-Applied-By"
    /// The proposed content's hash: how an applier that restarts finds the commit it already made.
    public static let mutationTrailer = "B00t-Mutation"

    public static func make(datum: String, summary: String, proposal: String, voters: [String: VoteChoice], appliedBy: String,
                            mutationHash: String) -> String {
        let name = datum.split(separator: ".").dropLast().joined(separator: ".")
        let subject = TerminalText.line(summary)
        let votes = voters.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value.rawValue))" }.joined(separator: ", ")
        return "chore(\(name.isEmpty ? datum : name)): \(subject)\n\n"
            + "\(proposalTrailer): \(proposal)\n"
            + "\(votersTrailer): \(votes.isEmpty ? "none" : votes)\n"
            + "\(appliedByTrailer): \(appliedBy)\n"
            + "\(mutationTrailer): \(mutationHash)\n"
    }
}
