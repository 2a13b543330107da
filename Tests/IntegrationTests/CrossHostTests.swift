#if canImport(Glibc)
import Glibc
#endif
import Foundation
import B00tTestSupport
import Testing
@testable import B00tCore

/// Crews across machines for real: Redis on one host, agents on a second, people (replay files, k0mmand3r)
/// on a third — network namespaces on a bridge, each host talking only over its own address.
@Suite(.serialized, .enabled(if: NetLab.available, "skipped: cannot create network namespaces here (needs root and iproute2; see Tests/netlab/netlab check)"))
struct CrossHostTests {
    /// Redis on host 1, a bus of our own on it, and the test process watching from the bridge.
    final class Crew: @unchecked Sendable {
        let lab: NetLab
        let url: String
        let bus: String
        var observer: MessageBus!

        init(hosts: Int = 3, persistent: Bool = true) async throws {
            lab = try NetLab(hosts: hosts)
            try lab.startRedis(on: 1, persistent: persistent)
            bus = "crew\(lab.lab)"
            url = lab.redisURL(host: 1, bus: bus)
            observer = try await MessageBus(backend: try RedisBusBackend(url))
        }

        func log(_ name: String) -> String { lab.root.path + "/\(name).log" }
        func read(_ name: String) -> String { (try? String(contentsOfFile: log(name), encoding: .utf8)) ?? "" }

        @discardableResult
        func agent(_ id: String, on host: Int, _ args: [String]) throws -> Process {
            try lab.spawn(host, [Binaries.path("b00t"), "agent", "run", "--id", id, "--bus", url] + args, log: log(id))
        }

        func policy(_ name: String, _ text: String) -> String { lab.root.write("\(name).toml", text) }

        /// A replay file run by `b00t replay` on `host`.
        func replay(on host: Int, _ text: String) throws -> RunResult {
            let file = lab.root.write("replay-\(UUID().uuidString.prefix(6)).k0", text)
            return try lab.run(host, [Binaries.path("b00t"), "replay", "-v", "--bus", url, file])
        }

        func until(_ what: String, seconds: Double = 20, _ condition: () async throws -> Bool) async throws {
            let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
            while !(try await condition()) {
                if ContinuousClock.now > deadline { throw TimedOut(what: what) }
                try await Task.sleep(for: .milliseconds(20))
            }
        }

        func online(_ ids: String...) async throws {
            try await until("\(ids) online") {
                let s = try await observer.currentState()
                return ids.allSatisfy { s.agents[$0] != nil && s.isOnline($0) }
            }
        }

        deinit { lab.down() }
    }

    // Seed suite 1 across hosts: handshake, crew, a vote the agents cast from their own host.
    @Test func crewVoteAcrossHosts() async throws {
        let crew = try await Crew()
        let yes = crew.policy("yes", "vote = \"yes\"\naccept_handshakes = \"all\"\n")
        try crew.agent("alpha", on: 2, ["--skills", "rust:0.9,testing:0.7", "--policy", yes])
        try crew.agent("beta", on: 2, ["--skills", "docker:0.8", "--policy", yes])
        try await crew.online("alpha", "beta")
        let result = try crew.replay(on: 3, """
            @as captain
            /handshake alpha join my crew?
            @expect alpha accepted
            /crew form api alpha beta --purpose Build API
            @expect formed crew api: captain, alpha, beta
            /propose Use Rust for the backend
            @expect 3 voters
            @await alpha votes yes
            @await beta votes yes
            @await passed 10000
            """)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let state = try await crew.observer.currentState()
        #expect(state.proposals.values.first?.status == .passed)
        #expect(crew.read("alpha").contains("voted yes on prop-"))
    }

    // Seed suite 2 across hosts: Contract Net with award and budget; the loser is told.
    @Test func contractNetAcrossHosts() async throws {
        let crew = try await Crew()
        try crew.agent("dev1", on: 2, ["--skills", "rust:0.8,docker:0.7"])
        try crew.agent("dev2", on: 2, ["--skills", "kubernetes:0.9,rust:0.3"])
        try await crew.online("dev1", "dev2")
        let base = try await crew.observer.currentState().lastSeq
        let ahoy = "ahoy-\(base + 2)"  // after the captain registers
        let result = try crew.replay(on: 3, """
            @as captain
            /ahoy backend --skills rust,docker --budget 100 Build the ingestion service
            @expect posted \(ahoy)
            @await dev1 applies to \(ahoy)
            /award \(ahoy) dev2
            @expect-error dev2 has no open application
            /award \(ahoy) dev1
            @expect awarded \(ahoy) to dev1 (budget 100)
            """)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        try await crew.until("dev1 logs its win") { crew.read("dev1").contains("won \(ahoy) (budget 100)") }
        #expect(crew.read("dev2").contains("skipped \(ahoy)"))
    }

    // Seed suite 3 across hosts: each teaching method's gain (0.6 / 0.4 / 0.2 / 0.1 of the teacher's 0.9).
    @Test func teachingGainsAcrossHosts() async throws {
        let crew = try await Crew()
        let methods = ["pair": "0.54", "demo": "0.36", "doc": "0.18", "practice": "0.09"]
        for method in methods.keys.sorted() {
            let policy = crew.policy("teach-\(method)", "teach_method = \"\(method)\"\n")
            try crew.agent("t-\(method)", on: 2, ["--skills", "rust:0.9", "--policy", policy])
        }
        try await crew.online("t-pair", "t-demo", "t-doc", "t-practice")
        var script = ""
        for method in methods.keys.sorted() {
            script += "@as l-\(method)\n/learn rust from t-\(method)\n@expect asked t-\(method)\n"
            script += "@await l-\(method) learned rust: 0.00 → \(methods[method]!)\n"
        }
        let result = try crew.replay(on: 3, script)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let state = try await crew.observer.currentState()
        #expect(abs((state.agents["l-pair"]?.skills["rust"] ?? 0) - 0.54) < 1e-9)
        #expect(abs((state.agents["l-practice"]?.skills["rust"] ?? 0) - 0.09) < 1e-9)
    }

    // `b00t bus doctor` from each host: reachable, password accepted, clocks agree, log persisted; a wrong
    // password and an unreachable port are failures with a fix (exit 1).
    @Test func doctorFromEachHost() async throws {
        let crew = try await Crew()
        try await crew.observer.register(BusAgent(id: "captain"))
        for host in [2, 3] {
            let result = try crew.lab.run(host, [Binaries.path("b00t"), "bus", "doctor", "--bus", crew.url])
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            for line in ["✓ \(crew.lab.address(1)):6379 answered", "✓ password accepted", "✓ clocks agree", "✓ append-only file on",
                         "✓ bus '\(crew.bus)' holds events up to #1"] {
                #expect(result.stdout.contains(line), "\(line) in \(result.stdout)")
            }
        }
        let wrong = try crew.lab.run(2, [Binaries.path("b00t"), "bus", "doctor", "--json", "--bus", crew.lab.redisURL(host: 1, password: "nope", bus: crew.bus)])
        #expect(wrong.status == 1)
        #expect(wrong.stdout.contains("\"name\":\"redis.auth\"") && wrong.stdout.contains("\"status\":\"fail\""), "\(wrong.stdout)")
        let closed = try crew.lab.run(3, [Binaries.path("b00t"), "bus", "doctor", "--bus", crew.lab.redisURL(host: 1, port: 6390, bus: crew.bus)])
        #expect(closed.status == 1)
        #expect(closed.stdout.contains("✗ cannot reach \(crew.lab.address(1)):6390"))
        #expect(RedisDoctor.skewCheck(server: 1_000, local: 1_002.5).status == .warn)
        #expect(RedisDoctor.skewCheck(server: 1_000, local: 1_002.5).summary == "this host's clock is 2.5 s ahead of Redis's")
        #expect(RedisDoctor.skewCheck(server: 1_000.4, local: 1_000).status == .ok)
    }

    // Two captains on two hosts race to award the same ahoys: exactly one award each.
    @Test func twoCaptainsOnTwoHostsRaceToAward() async throws {
        let crew = try await Crew()
        let bus = crew.observer!
        for id in ["captain", "w1", "w2"] { try await bus.register(BusAgent(id: id)) }
        var ahoys: [String] = []
        for _ in 0..<100 { ahoys.append(try await bus.postAhoy(from: "captain", role: "job", budget: 1)) }
        for id in ahoys {
            try await bus.submit([.apply(from: "w1", ahoy: id, pitch: "", relevantSkills: []),
                                  .apply(from: "w2", ahoy: id, pitch: "", relevantSkills: [])])
        }
        let a = try crew.lab.spawn(2, [Binaries.path("b00t"), "bus", "award-race", "--bus", crew.url, "--as", "captain", "--winner", "w1"], log: crew.log("race-a"))
        let b = try crew.lab.spawn(3, [Binaries.path("b00t"), "bus", "award-race", "--bus", crew.url, "--as", "captain", "--winner", "w2"], log: crew.log("race-b"))
        try await offPool { a.waitUntilExit(); b.waitUntilExit() }
        #expect(a.terminationStatus == 0 && b.terminationStatus == 0, "\(crew.read("race-a"))\(crew.read("race-b"))")
        func won(_ text: String) -> Int { Int(text.firstMatch(of: /won (\d+) of \d+/)?.1 ?? "") ?? -1 }
        #expect(won(crew.read("race-a")) + won(crew.read("race-b")) == 100, "\(crew.read("race-a")) \(crew.read("race-b"))")
        let state = try await bus.currentState()
        #expect(ahoys.allSatisfy { state.ahoys[$0]?.status == .awarded })
        let awards = try await bus.events().filter { if case .ahoyAwarded = $0.body { return true }; return false }
        #expect(awards.count == 100)
    }

    // k0mmand3r on a third host sees the other hosts' events as they happen.
    @Test(.enabled(if: K0mmand3rTests.tmuxAvailable, "tmux is not installed")) func k0mmand3rOnAThirdHostSeesEventsLive() async throws {
        let crew = try await Crew()
        let tmux = Tmux(socket: "b00t-xhost-\(getpid())-\(crew.lab.lab)")
        defer { tmux.kill() }
        let line = crew.lab.shellLine(3, [Binaries.path("k0mmand3r"), "--bus", crew.url, "--as", "watcher"]) + "; sleep 60"
        try tmux.run(["new-session", "-d", "-s", "k0", "-x", "110", "-y", "30", line])
        try tmux.waitFor("watcher registered", seconds: 15)
        #expect(try tmux.capture().contains("redis \(crew.lab.address(1)):6379"))
        try crew.agent("dev9", on: 2, ["--skills", "rust:0.9"])
        try tmux.waitFor("dev9 registered")
        try await crew.observer.register(BusAgent(id: "captain"))
        let ahoy = try await crew.observer.postAhoy(from: "captain", role: "backend", requiredSkills: ["rust"], budget: 7)
        try tmux.waitFor("dev9 applies to \(ahoy)")
        try tmux.waitFor("● dev9")
    }

    /// A host cut off for 5 s while the others work: its agent and its k0mmand3r catch up with no gap and no
    /// duplicate, and a decision it made on its stale state is refused, not applied. Then Redis restarts with its
    /// append-only file (nothing lost), and finally restarts empty (detected and reported, no livelock).
    @Test(.enabled(if: K0mmand3rTests.tmuxAvailable, "tmux is not installed")) func aHostCutOffCatchesUpAndItsStaleDecisionIsRefused() async throws {
        let crew = try await Crew()
        let bus = crew.observer!
        let tmux = Tmux(socket: "b00t-xcut-\(getpid())-\(crew.lab.lab)")
        defer { tmux.kill() }
        try crew.agent("dev1", on: 2, ["--skills", "rust:0.9"])
        try crew.lab.spawn(2, [Binaries.path("b00t"), "bus", "tail", "--json", "--from", "0", "--bus", crew.url], log: crew.log("tail"))
        let line = crew.lab.shellLine(2, [Binaries.path("k0mmand3r"), "--bus", crew.url, "--as", "watcher2"]) + "; sleep 60"
        try tmux.run(["new-session", "-d", "-s", "k0", "-x", "110", "-y", "30", line])
        try await crew.online("dev1")
        try tmux.waitFor("watcher2 registered", seconds: 15)
        for id in ["captain", "w9"] { try await bus.register(BusAgent(id: id)) }
        let contested = try await bus.postAhoy(from: "captain", role: "cobol", requiredSkills: ["cobol"], budget: 3)
        try await bus.applyToAhoy(contested, from: "w9")

        // A person on host 2 has folded the open ahoy and will apply to it — during the cut.
        let stale = Task {
            try await offPool {
                try crew.replay(on: 2, "@as stale\n@sleep 2500\n/apply \(contested) me too\n@expect-error already awarded to w9\n")
            }
        }
        try await crew.until("stale registered") { try await bus.currentState().agents["stale"] != nil }
        try crew.lab.cut(2)
        let cutAt = ContinuousClock.now
        try await bus.awardAhoy(contested, to: "w9", by: "captain")
        let during = try await bus.postAhoy(from: "captain", role: "backend", requiredSkills: ["rust"], budget: 9)
        try await Task.sleep(until: cutAt + .seconds(5))
        try crew.lab.restore(2)

        let replay = try await stale.value
        #expect(replay.status == 0, "the stale apply must be refused, not applied: \(replay.stdout)\(replay.stderr)")
        try await crew.until("dev1 catches up and applies to \(during)") {
            try await bus.currentState().ahoys[during]?.application(from: "dev1") != nil
        }
        #expect(try await bus.currentState().ahoys[contested]?.application(from: "stale") == nil)
        try tmux.waitFor("dev1 applies to \(during)", seconds: 20)
        #expect(try tmux.capture().contains("awards \(contested) to w9"))

        // The tail on host 2 saw every event exactly once, in order, across the cut.
        let last = try await bus.currentState().lastSeq
        try await crew.until("the tail reaches #\(last)") { tailSeqs(crew.read("tail")).last ?? 0 >= last }
        let seqs = tailSeqs(crew.read("tail"))
        #expect(seqs == Array(1...seqs.count).map(UInt64.init), "gap or duplicate in \(seqs)")

        // Redis restarts with its append-only file: nothing acknowledged is lost, the agent carries on.
        _ = try crew.lab.run(1, ["redis-cli", "-h", crew.lab.address(1), "-a", "crew-secret", "--no-auth-warning", "shutdown"])
        try crew.lab.startRedis(on: 1)
        #expect(try await bus.currentState().lastSeq >= last)
        let after = try await bus.postAhoy(from: "captain", role: "backend", requiredSkills: ["rust"], budget: 11)
        try await crew.until("dev1 applies after the restart") { try await bus.currentState().ahoys[after]?.application(from: "dev1") != nil }
        let events = try await bus.events()
        #expect(events.map(\.seq) == Array(1...UInt64(events.count)))

        // Redis restarts empty: every process notices the log went backwards and stops writing, saying so.
        _ = try crew.lab.run(1, ["redis-cli", "-h", crew.lab.address(1), "-a", "crew-secret", "--no-auth-warning", "shutdown", "nosave"])
        try FileManager.default.removeItem(atPath: crew.lab.dir(1) + "/redis")
        try crew.lab.startRedis(on: 1)
        // Emptied (its numbers went backwards) or already started again by someone (replaced): either way, said.
        try await crew.until("the agent reports the lost log", seconds: 30) {
            crew.read("dev1").contains("went backwards") || crew.read("dev1").contains("was replaced")
        }
        let screen = try tmux.capture()
        if !screen.contains("went backwards") { try tmux.waitFor("was replaced", seconds: 20) }
        let stats = try crew.lab.run(1, ["redis-cli", "-h", crew.lab.address(1), "-a", "crew-secret", "--no-auth-warning", "info", "commandstats"]).stdout
        let evals = Int(stats.firstMatch(of: /cmdstat_evalsha:calls=(\d+)/)?.1 ?? "0") ?? 0
        #expect(evals < 50, "no livelock: \(stats)")
        await #expect(throws: BusError.self) { try await bus.say(from: "captain", "anyone?") }
    }
}

/// Sequence numbers of `bus tail --json` lines.
func tailSeqs(_ text: String) -> [UInt64] {
    text.split(separator: "\n").compactMap { line in
        guard line.hasPrefix("{"), let match = line.firstMatch(of: /"seq":(\d+)/) else { return nil }
        return UInt64(match.1)
    }
}
