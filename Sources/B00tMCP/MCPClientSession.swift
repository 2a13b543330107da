import B00tCore
import Foundation
import MCP

/// A client of one MCP server this process started (the official SDK's `Client` over the child's pipes).
/// Every request has a deadline: a server that hangs, or exits without answering, is an error that quotes what
/// it printed on stderr — never a wait without end.
public struct MCPClientSession: Sendable {
    public let child: MCPChildServer
    public let client: Client
    public let server: Initialize.Result
    public let timeout: Duration

    /// Starts `method` and initializes (within `timeout`).
    public static func start(_ method: MCPStdioMethod, environment: [String: String], paths: B00tPaths,
                             timeout: Duration = .seconds(30), clientName: String = "b00t") async throws -> MCPClientSession {
        let child = try MCPChildServer.launch(method, environment: environment, paths: paths)
        let client = Client(name: clientName, version: B00tVersion.current)
        do {
            let server = try await deadline("initialize", timeout, child) { try await client.connect(transport: child.transport) }
            return MCPClientSession(child: child, client: client, server: server, timeout: timeout)
        } catch {
            await client.disconnect()
            await child.stop(grace: .milliseconds(500))
            throw error
        }
    }

    /// Every tool the server lists (following pagination, at most 100 pages).
    public func tools() async throws -> [Tool] {
        var all: [Tool] = []
        var cursor: String? = nil
        for _ in 0..<100 {
            let page = try await Self.deadline("tools/list", timeout, child) { [client, cursor] in try await client.listTools(cursor: cursor) }
            all += page.tools
            guard let next = page.nextCursor, !next.isEmpty else { break }
            cursor = next
        }
        return all
    }

    /// Calls `name`; the whole result (content, structured content, isError).
    public func call(_ name: String, arguments: [String: Value]?) async throws -> CallTool.Result {
        try await Self.deadline("tools/call \(name)", timeout, child) { [client] in
            let context: RequestContext<CallTool.Result> = try await client.send(CallTool.request(.init(name: name, arguments: arguments)))
            return try await context.value
        }
    }

    public func close() async {
        await client.disconnect()
        await child.stop()
    }

    /// `body`, or `MCPClientError.timeout` after `timeout`, or `.failed` when the server exits first (with what it
    /// printed on stderr); an error from the SDK (the server sent garbage, answered with an error) becomes
    /// `.failed` too. The first of the three wins and the others are cancelled without being waited for: the SDK's
    /// requests do not all end on cancellation, and a deadline must not wait for what it abandons.
    static func deadline<T: Sendable>(_ what: String, _ timeout: Duration, _ child: MCPChildServer,
                                      _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let race = FirstOf<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
                race.start(continuation)
                let work = Task {
                    do { race.finish(.success(try await body())) } catch let error as MCPError {
                        race.finish(.failure(MCPClientError.failed("\(what) failed: \(TerminalText.line(error.localizedDescription))",
                                                                   stderr: child.stderrTail)))
                    } catch {
                        race.finish(.failure(error))
                    }
                }
                let timer = Task {
                    try await Task.sleep(for: timeout)
                    race.finish(.failure(MCPClientError.timeout(what, seconds: Int(timeout.components.seconds), stderr: child.stderrTail)))
                }
                let watcher = Task {
                    await child.transport.ended.wait()
                    // Its last words may still be on their way to the client: give them a moment.
                    try await Task.sleep(for: .milliseconds(200))
                    race.finish(.failure(MCPClientError.failed("the MCP server '\(child.argv[0])' exited before answering \(what)",
                                                               stderr: child.stderrTail)))
                }
                race.whenDone { work.cancel(); timer.cancel(); watcher.cancel() }
            }
        } onCancel: {
            race.finish(.failure(CancellationError()))
        }
    }
}
