#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import B00tCore

/// k0mmand3r under tmux on the daemon bus, beside two `b00t agent run` processes that review mutations: the
/// crew stream shows the proposal's diff, the agents' votes pass it, and the stream shows the commit.
@Suite(.serialized, .enabled(if: K0mmand3rTests.tmuxAvailable, "tmux is not installed"))
struct MutationTUITests {
    @Test func theStreamShowsTheDiffThenTheCommit() throws {
        let crew = CrewSandbox(label: "mutate")
        defer { crew.tearDown() }
        // ~/.b00t/_b00t_ is on everyone's search path here: a git repository holding one commented datum.
        let repo = crew.dir.path + "/home/.b00t"
        crew.dir.write("home/.b00t/_b00t_/demo.cli.toml", """
            # demo, kept current by the crew
            [b00t]
            name = "demo"
            type = "cli"
            desires = "1.0"  # pinned

            [b00t.self_mutate]
            allow_install_updates = true
            version_control = true
            approval = "crew:keepers"

            """)
        for args in [["init", "-q"], ["config", "user.name", "T"], ["config", "user.email", "t@example.com"],
                     ["config", "commit.gpgsign", "false"], ["add", "."], ["commit", "-q", "-m", "initial"]] {
            let out = try CommandRunner.run(["git", "-C", repo] + args, environment: GitWorkTree.environment)
            #expect(out.status == 0, "\(out.stderr)")
        }
        let policy = crew.dir.write("policy.toml", "mutations = \"review\"\n")
        try crew.startTUI("--as alpha", columns: 120, rows: 40)
        try crew.tmux.waitFor("alpha registered", seconds: 15)
        for id in ["beta", "gamma"] {
            try crew.startAgent(id, ["--policy", policy])
            try crew.tmux.waitFor("\(id) registered", lines: 40)
        }
        try crew.tmux.type("/crew form keepers beta gamma")
        try crew.tmux.waitFor("formed crew keepers", lines: 40)
        try crew.tmux.type("/mutate demo desires=2.0")
        try crew.tmux.waitFor("+desires = \"2.0\"  # pinned", lines: 40)
        try crew.tmux.waitFor("-desires = \"1.0\"  # pinned", lines: 40)
        try crew.tmux.waitFor("prop-", lines: 40)
        try crew.tmux.waitFor("passed", lines: 40, seconds: 15)
        try crew.tmux.waitFor("to demo.cli: commit ", lines: 40, seconds: 15)
        let text = try String(contentsOfFile: repo + "/_b00t_/demo.cli.toml", encoding: .utf8)
        #expect(text.contains("desires = \"2.0\"  # pinned\n"))
        let count = try CommandRunner.run(["git", "-C", repo, "rev-list", "--count", "HEAD"], environment: GitWorkTree.environment)
        #expect(count.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "2")
        #expect(crew.log("beta").contains("(review: changes only b00t.desires"), "\(crew.log("beta"))")
    }
}
