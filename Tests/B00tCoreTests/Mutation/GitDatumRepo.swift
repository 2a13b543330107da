import B00tTestSupport
import Foundation
@testable import B00tCore

/// A real git repository in a temporary folder holding a `_b00t_` folder with a commented datum.
final class GitDatumRepo: @unchecked Sendable {
    let dir = TempDir("mutate-git")
    var folder: String { dir.path + "/_b00t_" }
    var file: String { folder + "/demo.cli.toml" }

    static let datum = """
        # demo: the team's CLI. These comments must survive every mutation.
        [b00t]
        name = "demo"     # do not rename
        type = "cli"
        hint = "A demo tool"
        desires = "1.0"   # the version we run
        install = "apt-get install demo"
        usage = [
          { description = "Help", command = "demo --help" },  # always works
        ]
        depends_on = ["git.cli"]

        # Who may change what.
        [b00t.self_mutate]
        allow_install_updates = true
        allow_usage_updates = true
        allow_learn_updates = false
        allow_dependency_updates = true
        version_control = true
        approval = "crew:keepers"

        [b00t.scripts]
        bump = \"\"\"
        sed -i 's/^desires = "1.0"/desires = "1.1"/' "$B00T_DATUM_FILE"
        echo bumped
        \"\"\"

        """

    init(datum: String = GitDatumRepo.datum, git: Bool = true) throws {
        dir.write("_b00t_/demo.cli.toml", datum)
        dir.write("_b00t_/git.cli.toml", "[b00t]\nname = \"git\"\ntype = \"cli\"\nhint = \"git\"\n")
        chmod(file, 0o640)
        if git {
            try run("init", "-q")
            try run("config", "user.name", "Test Person")
            try run("config", "user.email", "test@example.com")
            try run("config", "commit.gpgsign", "false")
            try run("add", ".")
            try run("commit", "-q", "-m", "initial")
        }
    }

    @discardableResult
    func run(_ args: String...) throws -> String {
        let out = try CommandRunner.run(["git", "-C", dir.path] + args, environment: GitWorkTree.environment)
        guard out.status == 0 else { throw MutationError(.git, "git \(args.joined(separator: " ")): \(out.stderr)") }
        return out.stdout
    }

    var text: String { (try? String(contentsOfFile: file, encoding: .utf8)) ?? "" }
    var commits: [String] { ((try? run("log", "--format=%H")) ?? "").split(separator: "\n").map(String.init) }
    var catalog: @Sendable () -> DatumCatalog {
        let folder = self.folder
        return { DatumLoader(searchPath: DatumSearchPath(folders: [folder])).load() }
    }
    func datum() throws -> Datum { try catalog().lookup("demo.cli") }
}
