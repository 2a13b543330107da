import B00tCore
import Foundation
import MCP

/// One tool: what it is (`spec`) and what it does. `run` gets arguments already checked against the spec.
public struct MCPTool: Sendable {
    public let spec: MCPToolSpec
    public let run: @Sendable (MCPArguments, MCPToolContext) async throws -> MCPToolOutcome

    public init(_ spec: MCPToolSpec, run: @escaping @Sendable (MCPArguments, MCPToolContext) async throws -> MCPToolOutcome) {
        self.spec = spec
        self.run = run
    }
}

/// A group of tools. This is the seam new capabilities plug into: `datum_mutate` (datums change only through a
/// crew vote) is one such provider, its tool submitting the mutation proposal through the same bus as every other.
public protocol MCPToolProvider: Sendable {
    var tools: [MCPTool] { get }
}

/// Every tool `b00t mcp serve` offers, in a stable order, and the one way to call them: check the arguments,
/// run, and turn whatever went wrong into a refusal the assistant can read.
public struct MCPToolbox: Sendable {
    public let tools: [MCPTool]
    private let byName: [String: MCPTool]

    /// The crew (bus), services and datums, and grok with lessons.
    public static let standardProviders: [any MCPToolProvider] = [
        MCPCrewTools(), MCPServiceTools(), MCPDatumTools(), MCPGrokTools(), MCPMutationTools(),
    ]

    public init(providers: [any MCPToolProvider] = MCPToolbox.standardProviders) {
        var tools: [MCPTool] = []
        var seen = Set<String>()
        for provider in providers {
            for tool in provider.tools where seen.insert(tool.spec.name).inserted { tools.append(tool) }
        }
        self.tools = tools
        byName = Dictionary(tools.map { ($0.spec.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public var names: [String] { tools.map(\.spec.name) }

    public func spec(_ name: String) -> MCPToolSpec? { byName[name]?.spec }

    /// Runs `name`; nil when there is no such tool (a protocol error: the client asked for something not listed).
    public func call(_ name: String, arguments: [String: Value]?, context: MCPToolContext) async -> MCPToolOutcome? {
        guard let tool = byName[name] else { return nil }
        do {
            let checked = try MCPArguments(arguments, spec: tool.spec)
            return try await tool.run(checked, context)
        } catch {
            return .refusal(for: error)
        }
    }
}

/// What tools work with: who is speaking, the bus it speaks on, where datums live, and the process's
/// environment (the orchestrator's and grok's settings come from it).
public final class MCPToolContext: Sendable {
    public let agent: String
    public let bus: any CrewBus
    public let searchPath: DatumSearchPath
    public let paths: B00tPaths
    public let environment: [String: String]
    let grok: GrokAccess

    public init(agent: String, bus: any CrewBus, searchPath: DatumSearchPath = .standard(),
                paths: B00tPaths = .standard(), environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.agent = agent
        self.bus = bus
        self.searchPath = searchPath
        self.paths = paths
        self.environment = environment
        grok = GrokAccess(paths: paths, environment: environment)
    }

    /// Datums are read afresh on every call: a folder edited while the assistant works is seen at once.
    public func catalog() -> DatumCatalog { DatumLoader(searchPath: searchPath).load() }

    /// The orchestrator over the datums and the built-in ones, in this server's state dir.
    func orchestrator() -> Orchestrator {
        Orchestrator(catalog: BuiltinDatums.adding(to: catalog()), paths: paths, environment: environment)
    }
}

/// Grok opened on first use (loading the sentence model takes a moment) and then kept. Its store is used from
/// one call at a time.
final class GrokAccess: @unchecked Sendable {
    private let lock = NSLock()
    private var opened: Grok?
    private let paths: B00tPaths
    private let environment: [String: String]

    init(paths: B00tPaths, environment: [String: String]) {
        self.paths = paths
        self.environment = environment
    }

    /// Runs `body` with grok on a thread of its own (the work blocks: SQLite, the model, files).
    func with<T: Sendable>(_ body: @escaping @Sendable (Grok) throws -> T) async throws -> T {
        try await MCPBlocking.run {
            try self.lock.withLock {
                let grok = try self.opened ?? Grok.open(paths: self.paths, environment: self.environment)
                self.opened = grok
                return try body(grok)
            }
        }
    }
}

/// Blocking work (the orchestrator's locks and probes, SQLite, files) on a thread of its own, so the tasks that
/// answer the client and follow the bus are never parked behind it.
enum MCPBlocking {
    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
        }
    }
}
