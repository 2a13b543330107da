import B00tCore
import Foundation
import MCP

/// The MCP server side of `b00t mcp serve`: the official SDK's `Server` with the crew's tools, the agent's
/// inbox as a resource, and the bus followed so events addressed to the agent are pushed to the client as
/// logging notifications and `resources/updated` — an assistant learns of an award without polling.
///
/// The transport is the caller's (stdio for `mcp serve`, in-memory in tests), so this needs no terminal.
public actor CrewMCPServer {
    public nonisolated let server: Server
    public nonisolated let context: MCPToolContext
    public nonisolated let toolbox: MCPToolbox
    /// `b00t://events/AGENT`.
    public nonisolated let inboxURI: String
    /// The logger name on every notification.
    public static let loggerName = "b00t.crew"

    private var ring: NoticeRing
    private var lastSeq: UInt64 = 0
    private var initialized = false
    private var subscribed = false
    private var minimumLevel: LogLevel = .debug
    private var follower: Task<Void, Never>?
    private var observer: (@Sendable (AgentNotice) -> Void)?

    public init(context: MCPToolContext, toolbox: MCPToolbox = MCPToolbox(), version: String = B00tVersion.current,
                inboxCapacity: Int = 200) {
        self.context = context
        self.toolbox = toolbox
        inboxURI = "b00t://events/\(context.agent)"
        ring = NoticeRing(capacity: inboxCapacity)
        server = Server(
            name: "b00t-crew", version: version, title: "b00t crew bus",
            instructions: """
            You are agent '\(context.agent)' on a b00t crew bus. crew_status shows who is here and what waits for you. \
            Events addressed to you (handshakes, awards, rejections, teaching, proposals to vote on, messages) arrive \
            as logging notifications from logger '\(Self.loggerName)' and in the resource b00t://events/\(context.agent). \
            A refused command comes back as a tool result with isError and the bus's reason.
            """,
            capabilities: .init(logging: .init(), resources: .init(subscribe: true, listChanged: false),
                                tools: .init(listChanged: false)))
    }

    /// Called with every notice as it is pushed (the bench times delivery with it; tests watch it).
    public func onNotice(_ observer: @escaping @Sendable (AgentNotice) -> Void) { self.observer = observer }

    /// Registers the handlers, starts the SDK server on `transport`, and follows the bus from its current end.
    public func start(transport: any Transport) async throws {
        await registerHandlers()
        let start = try await context.bus.currentState().lastSeq
        lastSeq = start
        try await server.start(transport: transport)
        let events = context.bus.follow(after: start)
        follower = Task { [weak self] in
            do {
                for try await event in events {
                    guard let self else { return }
                    await self.handle(event)
                }
            } catch {
                // The bus ended the stream (closed, rewound): tools still answer with the reason.
            }
        }
    }

    /// Stops following and closes the transport.
    public func stop() async {
        follower?.cancel()
        follower = nil
        await server.stop()
    }

    /// Returns when the client went away (stdin closed).
    public func waitUntilCompleted() async { await server.waitUntilCompleted() }

    /// The notices kept for the resource, oldest first.
    public var notices: [AgentNotice] { ring.notices }

    // MARK: Events

    func handle(_ event: BusEvent) async {
        lastSeq = event.seq
        let state = await context.bus.state
        guard let notice = AgentInbox.notice(for: event, agent: context.agent, state: state) else { return }
        ring.append(notice)
        guard initialized else { return }
        if Self.rank(notice.level) >= Self.rank(minimumLevel) {
            try? await server.log(level: notice.level, logger: Self.loggerName, data: notice.data)
        }
        if subscribed {
            try? await server.notify(ResourceUpdatedNotification.message(.init(uri: inboxURI)))
        }
        observer?(notice)
    }

    static func rank(_ level: LogLevel) -> Int { LogLevel.allCases.firstIndex(of: level) ?? 0 }

    private func markInitialized() { initialized = true }
    private func setSubscribed(_ on: Bool) { subscribed = on }
    private func setLevel(_ level: LogLevel) { minimumLevel = level }
    private func inboxText() -> String { ring.json(agent: context.agent, lastSeq: lastSeq) }

    // MARK: Handlers

    private func registerHandlers() async {
        let toolbox = self.toolbox, context = self.context, uri = inboxURI
        await server.withMethodHandler(ListTools.self) { _ in
            ListTools.Result(tools: toolbox.tools.map(\.spec.tool))
        }
        await server.withMethodHandler(CallTool.self) { params in
            guard let outcome = await toolbox.call(params.name, arguments: params.arguments, context: context) else {
                throw MCPError.invalidParams("unknown tool '\(TerminalText.line(String(params.name.prefix(64))))'; tools: \(toolbox.names.joined(separator: ", "))")
            }
            return outcome.result
        }
        await server.withMethodHandler(ListResources.self) { _ in
            ListResources.Result(resources: [
                Resource(name: "events for \(context.agent)", uri: uri, title: "Crew events addressed to \(context.agent)",
                         description: "The most recent events that concern this agent (awards, rejections, handshakes, teaching, proposals, messages), oldest first.",
                         mimeType: "application/json"),
            ])
        }
        await server.withMethodHandler(ReadResource.self) { [weak self] params in
            guard params.uri == uri, let self else { throw Self.unknownResource(params.uri, uri) }
            return ReadResource.Result(contents: [.text(await self.inboxText(), uri: uri, mimeType: "application/json")])
        }
        await server.withMethodHandler(ResourceSubscribe.self) { [weak self] params in
            guard params.uri == uri else { throw Self.unknownResource(params.uri, uri) }
            await self?.setSubscribed(true)
            return Empty()
        }
        await server.withMethodHandler(ResourceUnsubscribe.self) { [weak self] params in
            guard params.uri == uri else { throw Self.unknownResource(params.uri, uri) }
            await self?.setSubscribed(false)
            return Empty()
        }
        await server.withMethodHandler(SetLoggingLevel.self) { [weak self] params in
            await self?.setLevel(params.level)
            return Empty()
        }
        await server.onNotification(InitializedNotification.self) { [weak self] _ in
            await self?.markInitialized()
        }
    }

    static func unknownResource(_ asked: String, _ mine: String) -> MCPError {
        .invalidParams("unknown resource '\(TerminalText.line(String(asked.prefix(200))))'; this server has \(mine)")
    }
}
