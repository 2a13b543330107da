import B00tCore
import Foundation

/// Self-mutating datums: from the vote that passes a mutation to the file written, committed with git and the
/// outcome on the bus (`MutationApplier.apply`: claim, check, atomic write, `git commit`, `datumMutated`), median
/// of 20 in milliseconds — with the datum alone on the search path, and with 1,000 other datums beside it (the
/// applier finds the datum through the same cached catalog k0mmand3r and the CLI use, which reloads after the
/// write changed a file).
enum MutationBenchmark {
    static let datum = """
        # bench: a commented datum the crew keeps current
        [b00t]
        name = "bench"   # keep
        type = "cli"
        desires = "0"    # bumped by the bench

        [b00t.self_mutate]
        allow_install_updates = true
        version_control = true
        approval = "crew:keepers"
        """

    static func git(_ args: [String], in dir: String) throws {
        let out = try CommandRunner.run(["git", "-C", dir] + args, environment: GitWorkTree.environment)
        guard out.status == 0 else { throw MutationError(.git, "git \(args.joined(separator: " ")): \(out.stderr)") }
    }

    static func applyMs(extraDatums: Int) async throws -> Double {
        let root = NSTemporaryDirectory() + "b00t-bench-mutation-\(getpid())-\(extraDatums)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/repo/_b00t_", withIntermediateDirectories: true)
        try datum.write(toFile: root + "/repo/_b00t_/bench.cli.toml", atomically: false, encoding: .utf8)
        for args in [["init", "-q"], ["config", "user.name", "bench"], ["config", "user.email", "bench@b00t.invalid"],
                     ["config", "commit.gpgsign", "false"], ["add", "."], ["commit", "-q", "-m", "initial"]] {
            try git(args, in: root + "/repo")
        }
        var folders = [root + "/repo/_b00t_"]
        if extraDatums > 0 {
            try FileManager.default.createDirectory(atPath: root + "/more", withIntermediateDirectories: true)
            for i in 0..<extraDatums {
                try BenchDatums.sample(i).write(toFile: "\(root)/more/svc\(i).process.toml", atomically: false, encoding: .utf8)
            }
            folders.append(root + "/more")
        }
        let source = CatalogSource(searchPath: DatumSearchPath(folders: folders))
        guard source.catalog().datums.count > extraDatums, source.catalog().errors.isEmpty else {
            throw MutationError(.invalid, "bench datums did not load: \(source.catalog().errors.first.map { "\($0)" } ?? "")")
        }
        let bus = try await MessageBus(backend: MemoryBusBackend())
        for id in ["alpha", "beta", "gamma"] { try await bus.register(BusAgent(id: id)) }
        try await bus.formCrew(initiator: "alpha", members: ["beta", "gamma"], purpose: "bench", name: "keepers")
        let applier = MutationApplier(bus: bus, catalog: { source.catalog() })
        var samples: [Double] = []
        for round in 1...20 {
            let target = try source.catalog().lookup("bench.cli")
            let plan = try MutationPlanner.plan([.set(key: "desires", value: "\(round)")], for: target)
            let proposed = try await MutationProposer.submit(plan, datum: target, as: "alpha", crew: nil, on: bus)
            try await bus.vote(proposed.proposal, voter: "beta", choice: .yes)
            try await bus.vote(proposed.proposal, voter: "gamma", choice: .yes)  // passes
            let start = DispatchTime.now().uptimeNanoseconds
            let outcome = await applier.apply(proposed.proposal, as: "gamma")
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            guard case .applied(let commit?, _) = outcome.kind else { throw MutationError(.invalid, "bench mutation not applied: \(outcome.line)") }
            _ = commit
        }
        return samples.sorted()[samples.count / 2]
    }

    static func run() async throws -> [String: Double] {
        ["mutation_apply_ms": try await applyMs(extraDatums: 0),
         "mutation_apply_ms_1000_datums": try await applyMs(extraDatums: 1_000)]
    }
}
