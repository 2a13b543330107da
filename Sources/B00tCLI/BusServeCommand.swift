import ArgumentParser
import B00tCore
import Dispatch
import Foundation
import K0mmand3rKit
import NIOPosix

/// Runs until SIGTERM or SIGINT, then closes the socket and exits 0.
struct BusServe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Host the crew bus on a Unix socket (newline-delimited JSON; see docs/protocol.md).")
    @Option(help: "Socket path (default $B00T_BUS_SOCKET, else $XDG_RUNTIME_DIR/b00t/bus.sock, else the state dir).")
    var socket: String?
    @Option(help: "sqlite (durable, the default), memory, or redis://host:port/db (also $B00T_BUS_URL).") var store: String?
    @Option(help: "SQLite file (default <state dir>/bus.sqlite).") var db: String?
    @Option(help: "Messages per second per connection (0 = unlimited).") var rate = 200.0
    @Option(help: "Burst allowed above the rate.") var burst = 400.0
    @OptionGroup var metrics: MetricsOptions

    func run() async throws {
        do { try B00tLog.start() } catch { throw ValidationError(error.description) }
        let logger = B00tLog.logger("bus")
        let listen = try metrics.address()
        if listen != nil { B00tMetrics.enable() }  // before the bus and server make their metrics
        let paths = B00tPaths.standard()
        var endpoint: BusEndpoint
        do { endpoint = try BusEndpoint.standard(paths: paths) } catch { throw CLIError(error.description) }
        if let socket, !socket.isEmpty { endpoint.socketPath = socket }
        guard rate.isFinite, (0...1_000_000).contains(rate) else { throw ValidationError("--rate must be 0–1000000 messages a second (0: unlimited), got \(rate)") }
        guard burst.isFinite, (1...1_000_000).contains(burst) else { throw ValidationError("--burst must be 1–1000000, got \(burst)") }
        let store: BusURL
        do { store = try BusURL.resolve(self.store, fallback: .sqlite(path: db)) } catch { throw ValidationError("--store: \(error.description)") }
        if case .daemon = store { throw ValidationError("--store names the log the daemon keeps: sqlite[:PATH], memory or redis://…") }
        let backend: any BusBackend
        do { backend = try store.backend(paths: paths) } catch { throw CLIError("\(error)") }
        // The bus and every connection share one event loop: a connection's command is appended where the
        // pipeline reads it (PipelineAppends), with no thread or task between the request and its reply.
        let loop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { loop.shutdownGracefully { _ in } }
        let bus = try await MessageBus(backend: backend, eventLoop: loop.next())
        let server = BusServer(bus: bus, endpoint: endpoint, limits: .init(rate: rate, burst: burst))
        do { try await server.start() } catch let error as BusServerError { throw CLIError(error.description) }
        let endpointMetrics = try await metrics.serve(at: listen, logger: logger)
        let (opened, recovery) = (await bus.state.lastSeq, await bus.recovery)
        logger.info("serving \(backend.label) on \(endpoint.socketPath)\(endpoint.token == nil ? "" : " (token required)")",
                    metadata: ["seq": .stringConvertible(opened)])
        logger.info("\(recovery)")
        let stop = SignalWaiter(signals: [SIGTERM, SIGINT])
        let replaced = StoreWatch(backend as? SQLiteBusBackend, stopping: stop)
        await stop.wait()
        replaced.cancel()
        await server.shutdown()
        await endpointMetrics?.stop()
        if let why = replaced.reason {
            // Not a word more to the old file: the next client starts a daemon on the file now at the path.
            logger.error("stopped: \(why) while this daemon had it open; the next bus client starts a daemon on the file now at that path",
                         metadata: ["code": "store_replaced"])
            throw CLIError("the bus store \(why) while the daemon had it open; stopped (the next bus client starts a daemon on the file now there)")
        }
        // The next start folds nothing (a clean stop's snapshot is the whole state).
        do { try await bus.saveSnapshot() } catch {
            logger.error("could not store the shutdown snapshot: \(error)", metadata: ["code": "snapshot"])
        }
        let closedAt = await bus.state.lastSeq
        logger.info("stopped", metadata: ["seq": .stringConvertible(closedAt)])
    }
}

/// Stops the daemon when its SQLite file is removed or replaced under it (moved aside, restored from a backup):
/// its connections stay on the old file, so going on would split the crew's log in two — the daemon writing
/// one nobody else reads, processes that open the path writing another (adversarial walk-through, 2026-12-03).
/// Looked at once a second.
final class StoreWatch: @unchecked Sendable {
    private let lock = NSLock()
    private var why: String?
    private var task: Task<Void, Never>?

    init(_ backend: SQLiteBusBackend?, stopping stop: SignalWaiter, every pause: Duration = .seconds(1)) {
        guard let backend else { return }
        task = Task.detached { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: pause)
                guard let reason = backend.fileReplaced() else { continue }
                self?.lock.withLock { self?.why = reason }
                stop.fire()
                return
            }
        }
    }

    var reason: String? { lock.withLock { why } }
    func cancel() { task?.cancel() }
}

struct BusTail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tail", abstract: "Print the crew's events as they happen.")
    @Option(help: "Start after this sequence number (0: from the beginning).") var from: UInt64?
    @Flag(help: "One JSON event per line.") var json = false
    @Flag(help: "Print what is there and exit instead of following.") var noFollow = false
    @Option(help: "Agent id to connect as.") var agent = "tail-\(getpid())"
    @Option(help: "Read a Redis bus directly (redis://host:port/db; also $B00T_BUS_URL) instead of the daemon.") var bus: String?
    @Option(name: .customLong("as"), help: "Whose view: private messages and crew chat show only to their agents (default $B00T_AGENT or $USER).") var reader: String?
    @Flag(help: "Every event, private messages and other crews' chat included (the log is shared by the crew's processes).") var all = false

    func run() async throws {
        let bus = try await connectBus(agent: agent, url: self.bus)
        let start = from ?? 0
        var view = TailView(reader: reader ?? Session.defaultAgent(), all: all, state: try await bus.currentState())
        if noFollow {
            for event in try await bus.events(after: start, limit: .max) where view.shows(event) { try printEvent(event) }
            return
        }
        let events = bus.follow(after: start) { trouble in
            switch trouble {
            case .retrying(let why, let attempt) where attempt == 1:
                FileHandle.standardError.write(Data("b00t bus tail: \(why); retrying…\n".utf8))
            case .recovered: FileHandle.standardError.write(Data("b00t bus tail: reachable again\n".utf8))
            default: break
            }
        }
        for try await event in events where view.shows(event) { try printEvent(event) }
    }

    /// What one reader may see: a private message only its two agents, crew chat only the crew (judged by
    /// the crews as they were when it was said, for events from now on).
    struct TailView {
        let reader: String
        let all: Bool
        var state: BusState

        mutating func shows(_ event: BusEvent) -> Bool {
            if event.seq > state.lastSeq { state.apply(event) }
            return all || StreamFeed.isVisible(event, to: reader, state: state)
        }
    }

    func printEvent(_ event: BusEvent) throws {
        let text = json ? String(decoding: try WireProtocol.encodeEvent(event), as: UTF8.self) : BusEventFormatter.line(event)
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}

struct BusPing: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ping", abstract: "Check that the bus daemon answers (starting it if needed).")
    func run() async throws {
        let start = ContinuousClock.now
        let bus = try await connectBus(agent: "ping-\(getpid())")
        _ = try await bus.request("ping")
        let elapsed = ContinuousClock.now - start
        print("pong from \(bus.label) in \(elapsed.formatted(.units(allowed: [.milliseconds], width: .abbreviated))), last event #\(await bus.state.lastSeq)")
        await bus.close()
    }
}

/// The bus a `--bus` flag (or `$B00T_BUS_URL`) names — by default the daemon, through the orchestrator (cold:
/// starts it). A value b00t does not know is an error, never silently the default. Failures become clean CLI errors.
package func connectBus(agent: String, url: String?) async throws -> any CrewBus {
    let chosen: BusURL
    do { chosen = try BusURL.resolve(url, fallback: .daemon) } catch { throw ValidationError("--bus: \(error.description)") }
    if case .daemon = chosen { return try await connectBus(agent: agent) }
    do { return try await chosen.open(agent: agent) } catch let error as BusError { throw CLIError(error.description) }
}

/// Connects through the orchestrator (cold: starts the daemon), turning failures into clean CLI errors.
package func connectBus(agent: String) async throws -> RemoteBus {
    do {
        return try await BusConnector.connect(agent: agent)
    } catch let error as OrchestratorError {
        throw CLIError("cannot start the bus daemon: \(error)")
    } catch let error as BusClientError {
        throw CLIError(error.description)
    }
}

/// Waits for one of `signals` without a handler thread of our own: dispatch sources on a private queue.
package final class SignalWaiter: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "b00t.signals")
    private var continuation: CheckedContinuation<Void, Never>?
    private var fired = false
    private let lock = NSLock()

    package init(signals: [Int32]) {
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [weak self] in self?.fire() }
            source.resume()
            sources.append(source)
        }
    }

    /// Ends the wait as a signal would (the daemon stops itself).
    package func fire() {
        let waiting = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            fired = true
            defer { continuation = nil }
            return continuation
        }
        waiting?.resume()
    }

    package func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = lock.withLock { () -> Bool in
                if fired { return true }
                continuation = c
                return false
            }
            if now { c.resume() }
        }
    }
}
