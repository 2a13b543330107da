/// What every bus offers, local or remote: the folded state, command submission and the event stream.
/// The REPL, agents and tests program against this, so they work the same over an embedded `MessageBus`
/// and over a `RemoteBus` connected to `b00t bus serve`.
public protocol CrewBus: Actor {
    /// The state this process has folded (a remote bus follows the daemon's stream; it may trail other
    /// writers by the time an event takes to arrive).
    var state: BusState { get }
    /// The state folded up to the log's current end: what a decision about other agents should look at.
    func currentState() async throws -> BusState
    /// Validates and appends (all or nothing); returns the events the commands became.
    @discardableResult
    func submit(_ commands: [BusCommand]) async throws -> [BusEvent]
    /// Stored events after `seq`.
    func events(after seq: UInt64, limit: Int) async throws -> [BusEvent]
    /// Events after `seq`, then live ones.
    nonisolated func subscribe(after seq: UInt64) -> AsyncThrowingStream<BusEvent, Error>
    /// Where it lives (`memory`, `sqlite:/path`, `unix:/run/b00t/bus.sock`), for status bars.
    nonisolated var label: String { get }
}

extension CrewBus {
    @discardableResult
    public func submit(_ command: BusCommand) async throws -> [BusEvent] { try await submit([command]) }

    public func events() async throws -> [BusEvent] { try await events(after: 0, limit: .max) }
}
