#if canImport(Glibc)
import Glibc
#endif
import B00tCore
import Foundation

/// A replay's private datum folder (`@datum-sandbox DIR`): the `.toml` files of DIR copied into a scratch
/// folder that is its own git repository with one commit, so a replay can mutate datums — proposals, votes,
/// in-place edits, commits — from a clean checkout without touching the files it came from. Removed when the
/// replay ends.
public final class ReplayDatumSandbox: @unchecked Sendable {
    public let root: String
    public var folder: String { root + "/_b00t_" }
    /// Whether the copy is a git repository (git may be missing: mutations then apply without a commit).
    public let hasGit: Bool

    public init(copying source: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ReplError.failed("@datum-sandbox: no folder \(source)")
        }
        root = NSTemporaryDirectory() + "b00t-replay-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard mkdir(root, 0o700) == 0, mkdir(root + "/_b00t_", 0o700) == 0 else {
            throw ReplError.failed("@datum-sandbox: cannot make a scratch folder: \(String(cString: strerror(errno)))")
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: source)) ?? []
        for name in names.sorted() where name.hasSuffix(".toml") {
            var info = stat()
            guard lstat(source + "/" + name, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size <= TOMLLimits.maximumBytes else { continue }
            try FileManager.default.copyItem(atPath: source + "/" + name, toPath: root + "/_b00t_/" + name)
        }
        var environment = GitWorkTree.environment
        environment["GIT_CONFIG_GLOBAL"] = "/dev/null"
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        var ok = true
        for args in [["init", "-q"], ["config", "user.name", "b00t replay"], ["config", "user.email", "replay@b00t.invalid"],
                     ["config", "commit.gpgsign", "false"], ["add", "."], ["commit", "-q", "-m", "datums for the replay"]] where ok {
            let out = try? CommandRunner.run(["git", "-C", root] + args, environment: environment, timeout: .seconds(30))
            ok = out?.status == 0
        }
        hasGit = ok
    }

    public func remove() { try? FileManager.default.removeItem(atPath: root) }
}
