#if canImport(Glibc)
import Glibc
#endif
import Foundation
import B00tTestSupport
import Testing
@testable import B00tCore

/// Self-mutating datums across real processes: `b00t datum mutate/apply/script/mutations/history` and
/// `b00t agent run` on one SQLite bus file, a real git repository, an applier killed with SIGKILL between its
/// write and its commit, and three appliers racing for one mutation.
@Suite(.serialized) struct MutationCLITests {
    final class Sandbox: @unchecked Sendable {
        let dir = TempDir("mutate-cli")
        var folder: String { dir.path + "/repo/_b00t_" }
        var file: String { folder + "/demo.cli.toml" }
        var bus: String { "sqlite:" + dir.path + "/bus.sqlite" }
        var environment: [String: String] {
            ["HOME": dir.path, "B00T_STATE_DIR": dir.path + "/state", "B00T_BUS_URL": "", "B00T_FAULT": "", "GIT_DIR": ""]
        }

        init(approval: String) throws {
            dir.write("repo/_b00t_/demo.cli.toml", """
                # demo: a datum with comments that must survive.
                [b00t]
                name = "demo"    # keep this name
                type = "cli"
                desires = "1.0"  # pinned
                usage = ["demo --help # help"]

                [b00t.self_mutate]
                allow_install_updates = true
                allow_usage_updates = true
                version_control = true
                approval = "\(approval)"

                [b00t.scripts]
                bump = "sed -i 's/^desires = \\"1.0\\"/desires = \\"1.5\\"/' \\"$B00T_DATUM_FILE\\"; echo bumped to 1.5"

                """)
            for args in [["init", "-q"], ["config", "user.name", "T"], ["config", "user.email", "t@example.com"],
                         ["config", "commit.gpgsign", "false"], ["add", "."], ["commit", "-q", "-m", "initial"]] {
                try git(args)
            }
        }

        @discardableResult
        func git(_ args: [String]) throws -> String {
            let out = try CommandRunner.run(["git", "-C", dir.path + "/repo"] + args, environment: GitWorkTree.environment)
            guard out.status == 0 else { throw TimedOut(what: "git \(args): \(out.stderr)") }
            return out.stdout
        }

        func b00t(_ args: [String], extra: [String: String] = [:]) throws -> RunResult {
            try run(Binaries.path("b00t"), args, environment: environment.merging(extra) { _, new in new })
        }

        var text: String { (try? String(contentsOfFile: file, encoding: .utf8)) ?? "" }
        var commits: Int { ((try? git(["rev-list", "--count", "HEAD"])) ?? "0").trimmingCharacters(in: .whitespacesAndNewlines).count > 0
            ? Int(((try? git(["rev-list", "--count", "HEAD"])) ?? "0").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 : 0 }

        func openBus() async throws -> MessageBus { try await MessageBus(backend: try SQLiteBusBackend(path: dir.path + "/bus.sqlite")) }
    }

    @Test func agentProcessesReviewVoteAndTheChangeIsCommittedOnce() async throws {
        let box = try Sandbox(approval: "crew:keepers")
        let policy = box.dir.write("policy.toml", "vote = \"no\"\nmutations = \"review\"\n")
        var agents: [Process] = []
        defer { for p in agents where p.isRunning { p.terminate(); p.waitUntilExit() } }
        for id in ["beta", "gamma"] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Binaries.path("b00t"))
            p.arguments = ["agent", "run", "--id", id, "--policy", policy, "--bus", box.bus, "--path", box.folder]
            p.environment = ProcessInfo.processInfo.environment.merging(box.environment) { _, new in new }
            p.currentDirectoryURL = URL(fileURLWithPath: box.dir.path)
            let log = box.dir.path + "/\(id).log"
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            p.standardOutput = FileHandle(forWritingAtPath: log)
            p.standardError = p.standardOutput
            try p.run()
            agents.append(p)
        }
        let bus = try await box.openBus()
        try await waitUntil("both agents registered") { let s = try await bus.currentState(); return s.agents["beta"] != nil && s.agents["gamma"] != nil }
        try await bus.register(BusAgent(id: "alpha", role: "human"))
        try await bus.formCrew(initiator: "alpha", members: ["beta", "gamma"], purpose: "datums", name: "keepers")
        let before = box.text
        let result = try await offPool {
            try box.b00t(["datum", "mutate", "demo", "--set", "desires=1.2", "--add-usage", "demo version # show the version",
                          "--as", "alpha", "--crew", "keepers", "--bus", box.bus, "--path", box.folder, "--wait", "30"])
        }
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("proposed prop-"), "\(result.stdout)")
        #expect(result.stdout.contains("+desires = \"1.2\"  # pinned"), "\(result.stdout)")
        #expect(result.stdout.contains("applied prop-"), "\(result.stdout)\(result.stderr)")
        let expected = before.replacingOccurrences(of: "desires = \"1.0\"  # pinned", with: "desires = \"1.2\"  # pinned")
            .replacingOccurrences(of: "usage = [\"demo --help # help\"]", with: "usage = [\"demo --help # help\", \"demo version # show the version\"]")
        #expect(box.text == expected)
        #expect(box.commits == 2)
        let message = try box.git(["log", "-1", "--format=%B"])
        #expect(message.contains("B00t-Voters: beta (yes), gamma (yes)"), "\(message)")
        let logs = try ["beta", "gamma"].map { try String(contentsOfFile: box.dir.path + "/\($0).log", encoding: .utf8) }
        #expect(logs.allSatisfy { $0.contains("(review: changes only b00t.desires, b00t.usage") }, "\(logs)")
        // The lists: on the bus, and in git.
        let listed = try box.b00t(["datum", "mutations", "--json", "--as", "alpha", "--bus", box.bus])
        #expect(listed.stdout.contains("\"status\" : \"applied\""), "\(listed.stdout)\(listed.stderr)")
        let history = try box.b00t(["datum", "history", "demo", "--path", box.folder])
        #expect(history.stdout.contains("chore(demo): set desires = \"1.2\"; add usage `demo version` (show the version)  [prop-"), "\(history.stdout)")
        #expect(history.stdout.contains("beta (yes), gamma (yes)]"), "\(history.stdout)")
    }

    @Test func killedBetweenWriteAndCommitTheNextApplierCompletesTheCommit() async throws {
        let box = try Sandbox(approval: "none")
        let killed = try box.b00t(["datum", "mutate", "demo", "--set", "desires=2.0", "--as", "alpha", "--bus", box.bus, "--path", box.folder],
                                  extra: ["B00T_FAULT": "mutation-after-write"])
        #expect(killed.status == 9 || killed.status == 137, "\(killed)")  // SIGKILL
        #expect(box.text.contains("desires = \"2.0\"  # pinned"))
        #expect(box.commits == 1)
        #expect(try box.git(["status", "--porcelain"]).contains("demo.cli.toml"))
        let bus = try await box.openBus()
        #expect(try await bus.currentState().mutations.values.first?.status == .claimed)
        // Another agent waits for the dead applier's lease…
        let early = try box.b00t(["datum", "apply", "--as", "beta", "--bus", box.bus, "--path", box.folder])
        #expect(early.stdout.contains("nothing to apply"), "\(early.stdout)\(early.stderr)")
        // …while the same agent, restarted, resumes at once: the file already holds the content, so it only commits.
        let resumed = try box.b00t(["datum", "apply", "--as", "alpha", "--bus", box.bus, "--path", box.folder])
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(resumed.stdout.contains("(committed (the file already held the proposed content))"), "\(resumed.stdout)")
        #expect(box.commits == 2)
        #expect(try box.git(["status", "--porcelain"]).isEmpty)
        #expect(try await bus.currentState().mutations.values.first?.status == .applied)
        let again = try box.b00t(["datum", "apply", "--as", "alpha", "--bus", box.bus, "--path", box.folder])
        #expect(again.stdout.contains("nothing to apply"))
        #expect(box.commits == 2)
    }

    @Test func threeAppliersRacingMakeOneCommit() async throws {
        let box = try Sandbox(approval: "everyone")
        let proposed = try box.b00t(["datum", "mutate", "demo", "--set", "desires=3.0", "--as", "alpha", "--bus", box.bus, "--path", box.folder])
        #expect(proposed.status == 0, "\(proposed.stderr)")
        let bus = try await box.openBus()
        let id = try #require(try await bus.currentState().mutations.keys.first)
        try await bus.vote(id, voter: "alpha", choice: .yes)
        let results = try await withThrowingTaskGroup(of: RunResult.self) { group in
            for agent in ["a1", "a2", "a3"] {
                group.addTask { try await offPool { try box.b00t(["datum", "apply", id, "--as", agent, "--bus", box.bus, "--path", box.folder]) } }
            }
            var all: [RunResult] = []
            for try await result in group { all.append(result) }
            return all
        }
        let winners = results.filter { $0.stdout.contains("applied \(id) to demo.cli: commit") }
        #expect(winners.count == 1, "\(results)")
        #expect(box.commits == 2)
        let events = try await bus.events()
        #expect(events.filter { $0.body.kind == "datum_mutated" }.count == 1)
        #expect(events.filter { $0.body.kind == "mutation_claimed" }.count == 1)
    }

    @Test func aScriptsChangeIsProposedAndRefusalsAreClear() async throws {
        let box = try Sandbox(approval: "none")
        let before = box.text
        let scripted = try box.b00t(["datum", "script", "demo", "bump", "--as", "alpha", "--bus", box.bus, "--path", box.folder])
        #expect(scripted.status == 0, "\(scripted.stdout)\(scripted.stderr)")
        #expect(scripted.stdout.contains("bumped to 1.5"))
        #expect(scripted.stdout.contains("applied prop-"))
        #expect(box.text == before.replacingOccurrences(of: "desires = \"1.0\"  # pinned", with: "desires = \"1.5\"  # pinned"))
        #expect(box.commits == 2)
        // A flag the datum does not set, a key nobody may change, a dirty file: refused, the file untouched.
        let learn = box.dir.write("notes.md", "notes\n")
        let refused = try box.b00t(["datum", "mutate", "demo", "--learn", learn, "--as", "alpha", "--bus", box.bus, "--path", box.folder])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("set allow_learn_updates = true"), "\(refused.stderr)")
        let badKey = try box.b00t(["datum", "mutate", "demo", "--set", "command=rm", "--as", "alpha", "--bus", box.bus, "--path", box.folder])
        #expect(badKey.status != 0 && badKey.stderr.contains("cannot change 'command'"), "\(badKey.stderr)")
        try (box.text + "# a person's note\n").write(toFile: box.file, atomically: false, encoding: .utf8)
        let dirty = try box.b00t(["datum", "mutate", "demo", "--set", "desires=9", "--as", "alpha", "--bus", box.bus, "--path", box.folder])
        #expect(dirty.status != 0 && dirty.stderr.contains("uncommitted changes"), "\(dirty.stderr)")
        #expect(box.text.hasSuffix("# a person's note\n"))
        #expect(box.commits == 2)
    }

    func waitUntil(_ what: String, seconds: Double = 20, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while !(try await condition()) {
            if ContinuousClock.now > deadline { throw TimedOut(what: what) }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
