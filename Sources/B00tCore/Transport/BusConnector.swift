import Foundation

/// Connecting to the crew bus the way every client should: connect at once when the daemon runs (warm),
/// otherwise bring `b00t-bus.process` up through the orchestrator (silently) and connect (cold).
public enum BusConnector {
    public static func connect(
        agent: String, paths: B00tPaths = .standard(),
        environment: [String: String] = ProcessInfo.processInfo.environment, catalog: DatumCatalog? = nil
    ) async throws -> RemoteBus {
        let endpoint = BusEndpoint.standard(paths: paths, environment: environment)
        do {
            return try await RemoteBus.connect(endpoint, agent: agent)
        } catch BusClientError.cannotConnect {
            var env = environment
            env["B00T_BUS_SOCKET"] = endpoint.socketPath
            let datums = BuiltinDatums.adding(to: catalog ?? DatumLoader().load())
            let orchestrator = Orchestrator(catalog: datums, paths: paths, environment: env)
            _ = try await orchestrator.ensureDependencies("b00t-bus.process")
            return try await RemoteBus.connect(endpoint, agent: agent)
        }
    }
}

extension MessageBus {
    /// The shared bus of this machine, as `agent`: ensures the `b00t bus serve` daemon and connects to it.
    public static func connect(agent: String, paths: B00tPaths = .standard(),
                               environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> RemoteBus {
        try await BusConnector.connect(agent: agent, paths: paths, environment: environment)
    }
}
