import Foundation
import B00tTestSupport
import MCP
import Testing
@testable import B00tCore
@testable import B00tMCP

/// The server end to end in one process: the SDK's own client, over the SDK's in-memory transport, against a
/// `CrewMCPServer` on a real in-memory bus where other agents act directly.
@Suite struct CrewMCPServerTests {
    /// What a client received, for the checks.
    final class Received: @unchecked Sendable {
        private let lock = NSLock()
        private var logs: [LogMessageNotification.Parameters] = []
        private var updates: [String] = []
        func log(_ p: LogMessageNotification.Parameters) { lock.withLock { logs.append(p) } }
        func update(_ uri: String) { lock.withLock { updates.append(uri) } }
        var allLogs: [LogMessageNotification.Parameters] { lock.withLock { logs } }
        var allUpdates: [String] { lock.withLock { updates } }
        func reasons() -> [String] { allLogs.compactMap { $0.data.objectValue?["reason"]?.stringValue } }
    }

    struct Rig {
        let bus: MessageBus
        let server: CrewMCPServer
        let client: Client
        let received: Received
    }

    /// A bus with alice (the assistant), bob and carol; alice served over MCP.
    func rig(subscribe: Bool = true) async throws -> Rig {
        let bus = try await MessageBus(backend: MemoryBusBackend())
        try await bus.register(BusAgent(id: "alice", role: "assistant", skills: ["rust": 0.9], autoAcceptHandshakes: false))
        try await bus.register(BusAgent(id: "bob", skills: ["rust": 0.8]))
        try await bus.register(BusAgent(id: "carol", skills: ["go": 0.7]))
        let folder = TempDir("datums")
        let context = MCPToolContext(agent: "alice", bus: bus, searchPath: DatumSearchPath(folders: [folder.path]),
                                     paths: B00tPaths(stateDirectory: folder.path), environment: [:])
        let server = CrewMCPServer(context: context)
        let (clientSide, serverSide) = await InMemoryTransport.createConnectedPair()
        try await server.start(transport: serverSide)
        let client = Client(name: "test", version: "1")
        let received = Received()
        await client.onNotification(LogMessageNotification.self) { message in received.log(message.params) }
        await client.onNotification(ResourceUpdatedNotification.self) { message in received.update(message.params.uri) }
        _ = try await client.connect(transport: clientSide)
        if subscribe { try await client.subscribeToResource(uri: "b00t://events/alice") }
        return Rig(bus: bus, server: server, client: client, received: received)
    }

    func call(_ client: Client, _ tool: String, _ arguments: [String: Value] = [:]) async throws -> CallTool.Result {
        let context: RequestContext<CallTool.Result> = try await client.send(CallTool.request(.init(name: tool, arguments: arguments)))
        return try await context.value
    }

    func text(_ result: CallTool.Result) -> String {
        result.content.compactMap { if case .text(let t, _, _) = $0 { t } else { nil } }.joined(separator: "\n")
    }

    /// Polls up to 5 s.
    func eventually(_ what: String, _ condition: () -> Bool) async throws {
        for _ in 0..<500 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
        #expect(condition(), "\(what)")
    }

    @Test func listsTheToolsWithSchemas() async throws {
        let rig = try await rig()
        let (tools, _) = try await rig.client.listTools()
        #expect(tools.map(\.name) == MCPToolbox().names)
        #expect(tools.first { $0.name == "crew_status" }?.annotations.readOnlyHint == true)
        #expect(tools.first { $0.name == "ahoy_post" }?.annotations.readOnlyHint == false)
        await rig.server.stop()
    }

    @Test func contractNetWithTheAwardPushedToTheWinner() async throws {
        let rig = try await rig()
        // carol posts; alice (MCP) and bob apply; carol awards alice: alice hears of it without polling.
        let ahoy = try await rig.bus.postAhoy(from: "carol", role: "backend", requiredSkills: ["rust"], budget: 250)
        try await eventually("alice is told of an ahoy needing her rust") { rig.received.reasons().contains("ahoy") }
        let applied = try await call(rig.client, "ahoy_apply", ["id": .string(ahoy), "pitch": "Rust 0.9"])
        #expect(applied.isError != true, "\(text(applied))")
        let again = try await call(rig.client, "ahoy_apply", ["id": .string(ahoy)])
        #expect(again.isError == true)
        #expect(text(again) == "refused: alice already applied to \(ahoy); one application per agent")
        #expect(again.structuredContent?.objectValue?["code"] == "duplicate")
        try await rig.bus.applyToAhoy(ahoy, from: "bob", pitch: "me too")
        let byNonPoster = try await call(rig.client, "ahoy_award", ["id": .string(ahoy), "winner": "alice"])
        #expect(byNonPoster.isError == true)
        #expect(text(byNonPoster) == "not allowed: only carol, who posted \(ahoy), can award it")
        let budget = try await rig.bus.awardAhoy(ahoy, to: "alice", by: "carol")
        #expect(budget == 250)
        try await eventually("the award is pushed as a logging notification") { rig.received.reasons().contains("award") }
        let award = try #require(rig.received.allLogs.first { $0.data.objectValue?["reason"] == "award" })
        #expect(award.level == .notice)
        #expect(award.logger == CrewMCPServer.loggerName)
        #expect(award.data.objectValue?["event"]?.objectValue?["body"] == ["ahoyAwarded": ["ahoy": .string(ahoy), "winner": "alice", "budget": 250]])
        try await eventually("and as resources/updated") { rig.received.allUpdates.contains("b00t://events/alice") }
        let contents = try await rig.client.readResource(uri: "b00t://events/alice")
        let inbox = try JSONDecoder().decode(Value.self, from: Data(try #require(contents.first?.text).utf8))
        let reasons = inbox.objectValue?["notices"]?.arrayValue?.compactMap { $0.objectValue?["reason"]?.stringValue }
        #expect(reasons == ["ahoy", "award"], "bob's application to carol's ahoy is not alice's business")
        await rig.server.stop()
    }

    @Test func awardResultCarriesTheBudgetAndRejectionsReachTheLosers() async throws {
        let rig = try await rig()
        let posted = try await call(rig.client, "ahoy_post", ["role": "reviewer", "budget": 40, "required_skills": ["go"]])
        let ahoy = try #require(posted.structuredContent?.objectValue?["ahoy"]?.stringValue)
        try await rig.bus.applyToAhoy(ahoy, from: "bob")
        try await rig.bus.applyToAhoy(ahoy, from: "carol")
        try await eventually("alice hears of both applications") { rig.received.reasons().filter { $0 == "application" }.count == 2 }
        let awarded = try await call(rig.client, "ahoy_award", ["id": .string(ahoy), "winner": "carol"])
        #expect(awarded.isError != true, "\(text(awarded))")
        #expect(awarded.structuredContent?.objectValue?["budget"] == 40)
        #expect(awarded.structuredContent?.objectValue?["rejected"] == ["bob"])
        #expect(text(awarded).hasPrefix("awarded \(ahoy) to carol (budget 40); not chosen: bob"))
        let state = await rig.bus.state
        #expect(state.ahoys[ahoy]?.awardedTo == "carol")
        await rig.server.stop()
    }

    @Test func refusalsAreResultsNotProtocolErrors() async throws {
        let rig = try await rig()
        let proposal = try await rig.bus.createProposal("Adopt Swift 6", by: "bob")
        try await eventually("alice is asked to vote") { rig.received.reasons().contains("proposal") }
        let first = try await call(rig.client, "vote", ["id": .string(proposal), "choice": "yes"])
        #expect(first.isError != true, "\(text(first))")
        let second = try await call(rig.client, "vote", ["id": .string(proposal), "choice": "no"])
        #expect(second.isError == true)
        #expect(text(second) == "refused: alice already voted yes on \(proposal); one vote per voter")
        let bad = try await call(rig.client, "ahoy_post", ["role": "dev", "budget": -1])
        #expect(bad.isError == true && text(bad) == "argument 'budget' must be 0–1000000000000, got -1")
        #expect(bad.structuredContent?.objectValue?["code"] == "invalid_arguments")
        let before = try await rig.bus.events().count
        _ = try await call(rig.client, "say", ["text": .string(String(repeating: "y", count: 1 << 20))])
        #expect(try await rig.bus.events().count == before, "a refused call writes nothing")
        await #expect(throws: MCPError.self) { _ = try await call(rig.client, "no_such_tool", [:]) }
        await rig.server.stop()
    }

    @Test func handshakesBothWaysAndMessages() async throws {
        let rig = try await rig()
        // bob auto-accepts: the answer is in the result.
        let asked = try await call(rig.client, "handshake", ["to": "bob", "proposal": "pair on the parser"])
        #expect(asked.structuredContent?.objectValue?["accepted"] == true, "\(text(asked))")
        // Someone asks alice, who answers through the tool.
        let events = try await rig.bus.submit(.handshake(from: "carol", to: "alice", proposal: "review my PR", expiresAt: Date().addingTimeInterval(60)))
        guard case .handshakeRequested(let id, _, _, _) = events[0].body else { Issue.record("no handshake"); return }
        try await eventually("alice is asked") { rig.received.reasons().contains("handshake") }
        let status = try await call(rig.client, "crew_status")
        #expect(status.structuredContent?.objectValue?["pending_handshakes"]?.arrayValue?.first?.objectValue?["id"] == .string(id))
        let answered = try await call(rig.client, "handshake", ["id": .string(id), "accept": true, "reason": "happy to"])
        #expect(answered.isError != true, "\(text(answered))")
        #expect(await rig.bus.state.handshakes[id]?.accepted == true)
        let missing = try await call(rig.client, "handshake", ["id": .string(id)])
        #expect(missing.isError == true && text(missing).hasPrefix("missing argument 'accept'"))
        try await rig.bus.say(from: "bob", "ping alice", to: "alice")
        try await rig.bus.say(from: "bob", "ping carol", to: "carol")
        try await eventually("a message to alice is pushed") { rig.received.reasons().contains("message") }
        try await Task.sleep(for: .milliseconds(100))
        #expect(rig.received.reasons().filter { $0 == "message" }.count == 1, "a message to carol is not")
        await rig.server.stop()
    }

    @Test func loggingLevelFiltersWhatIsPushed() async throws {
        let rig = try await rig(subscribe: false)
        try await rig.client.setLoggingLevel(.warning)
        try await rig.bus.say(from: "bob", "quiet please", to: "alice")
        for _ in 0..<500 where await rig.server.notices.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        try await Task.sleep(for: .milliseconds(200))
        #expect(rig.received.allLogs.isEmpty, "notice-level events are below warning")
        #expect(rig.received.allUpdates.isEmpty, "not subscribed")
        #expect(await rig.server.notices.map(\.reason) == ["message"])
        await rig.server.stop()
    }

    @Test func eventsSinceSkillsAndTeaching() async throws {
        let rig = try await rig()
        let page = try await call(rig.client, "events_since", ["seq": 0, "limit": 2])
        #expect(page.structuredContent?.objectValue?["events"]?.arrayValue?.count == 2)
        #expect(page.structuredContent?.objectValue?["next_seq"] == 2)
        let taught = try await call(rig.client, "teach", ["to": "carol", "skill": "rust", "method": "pair"])
        #expect(taught.isError != true, "\(text(taught))")
        #expect(taught.structuredContent?.objectValue?["after"] == .double(0.9 * 0.6))
        let skills = try await call(rig.client, "skills", ["agent": "carol"])
        #expect(text(skills) == "carol: go 0.70, rust 0.54")
        let nobody = try await call(rig.client, "skills", ["agent": "zed"])
        #expect(nobody.isError == true && text(nobody).hasPrefix("unknown agent 'zed'"))
        await rig.server.stop()
    }
}

/// The tools beyond the bus: datums, services, grok and lessons, each on a private folder and state dir.
@Suite struct MCPToolboxToolsTests {
    func context(_ folder: TempDir) async throws -> MCPToolContext {
        let bus = try await MessageBus(backend: MemoryBusBackend())
        try await bus.register(BusAgent(id: "alice"))
        // No model here: grok ranks by words, fast and deterministic.
        return MCPToolContext(agent: "alice", bus: bus, searchPath: DatumSearchPath(folders: [folder.path]),
                              paths: B00tPaths(stateDirectory: folder.path + "/state"),
                              environment: ["B00T_MODEL_DIR": folder.path + "/no-model", "PATH": "/usr/bin:/bin"])
    }

    func call(_ toolbox: MCPToolbox, _ tool: String, _ arguments: [String: Value], _ context: MCPToolContext) async throws -> MCPToolOutcome {
        try #require(await toolbox.call(tool, arguments: arguments, context: context))
    }

    @Test func datumsServicesGrokAndLessons() async throws {
        let folder = TempDir("datums")
        try FileManager.default.createDirectory(atPath: folder.path + "/state", withIntermediateDirectories: true)
        folder.write("alpha.agent.toml", """
        [b00t]
        name = "alpha"
        type = "agent"
        hint = "Systems specialist"
        [b00t.agent]
        skills = { rust = 0.9 }
        """)
        folder.write("idle.process.toml", """
        [b00t]
        name = "idle"
        type = "process"
        command = "sleep"
        args = ["30.75"]
        """)
        let context = try await context(folder)
        let toolbox = MCPToolbox()

        let shown = try await call(toolbox, "datum_show", ["name": "alpha"], context)
        #expect(shown.text.hasPrefix("🤖 Agent: alpha"))
        #expect(shown.structured["datum"]?.objectValue?["name"] == "alpha")
        let missing = try await call(toolbox, "datum_show", ["name": "alpah"], context)
        #expect(missing.isError && missing.text.contains("did you mean 'alpha.agent'"))
        let found = try await call(toolbox, "datum_query", ["query": "type:agent and skill:rust"], context)
        #expect(found.text == "alpha.agent — Systems specialist")
        let badQuery = try await call(toolbox, "datum_query", ["query": "type:agent and ("], context)
        #expect(badQuery.isError && badQuery.text.hasPrefix("argument 'query':"))

        let ps = try await call(toolbox, "service_ps", [:], context)
        #expect(ps.structured["services"]?.arrayValue?.first?.objectValue?["state"] == "stopped", "\(ps.text)")
        let unknown = try await call(toolbox, "service_up", ["names": ["nope"]], context)
        #expect(unknown.isError && unknown.text.contains("nope"), "\(unknown.text)")

        let learned = try await call(toolbox, "grok_learn", ["topic": "ops", "text": "Nightly backups go to the NAS at 02:00."], context)
        #expect(!learned.isError && learned.text.hasPrefix("learned 1 new chunk(s)"), "\(learned.text)")
        let noTopic = try await call(toolbox, "grok_learn", ["text": "x"], context)
        #expect(noTopic.isError && noTopic.text.hasPrefix("missing argument 'topic'"))
        let both = try await call(toolbox, "grok_learn", ["topic": "t", "text": "x", "paths": ["a"]], context)
        #expect(both.isError && both.text == "give exactly one of 'text' (with 'topic') or 'paths'")
        let asked = try await call(toolbox, "grok_ask", ["question": "where do the nightly backups go"], context)
        #expect(asked.structured["mode"] == "bm25")
        #expect(asked.structured["hits"]?.arrayValue?.first?.objectValue?["topic"] == "ops", "\(asked.text)")

        let lesson = try await call(toolbox, "lfmf", ["tool": "redis", "lesson": "port: 6379 clashes with the system redis; use 6380"], context)
        #expect(!lesson.isError, "\(lesson.text)")
        #expect(try String(contentsOfFile: folder.path + "/learn/redis.md", encoding: .utf8) == "---\nport: 6379 clashes with the system redis; use 6380\n")
        let advice = try await call(toolbox, "advice", ["tool": "redis", "problem": "port clashes"], context)
        #expect(advice.structured["matched"] == true)
        #expect(advice.text.contains("6380"))
        let badLesson = try await call(toolbox, "lfmf", ["tool": "redis", "lesson": "no colon here"], context)
        #expect(badLesson.isError && badLesson.structured["code"] == "grok_bad_lesson")
    }
}

@Suite struct MCPRefusalTextTests {
    @Test func refusalsQuotingCallerTextAreEscaped() async throws {
        let bus = try await MessageBus(backend: MemoryBusBackend())
        try await bus.register(BusAgent(id: "alice"))
        let context = MCPToolContext(agent: "alice", bus: bus, searchPath: DatumSearchPath(folders: []), environment: [:])
        let outcome = try #require(await MCPToolbox().call("say", arguments: ["text": "hi", "to": "bob\u{1B}[2J"], context: context))
        #expect(outcome.isError)
        #expect(outcome.text == "unknown agent 'bob\\e[2J': register it first (/agents lists who is here)")
    }
}
