import Foundation

/// Connecting to the crew bus the way every client should: connect at once when the daemon runs (warm),
/// otherwise bring `b00t-bus.process` up through the orchestrator (silently) and connect (cold).
public enum BusConnector {
    public static func connect(
        agent: String, paths: B00tPaths = .standard(),
        environment: [String: String] = ProcessInfo.processInfo.environment, catalog: DatumCatalog? = nil
    ) async throws -> RemoteBus {
        let endpoint = try BusEndpoint.standard(paths: paths, environment: environment)
        var env = environment
        env["B00T_BUS_SOCKET"] = endpoint.socketPath
        var delay = Duration.milliseconds(50)
        for attempt in 1...4 {
            do {
                return try await RemoteBus.connect(endpoint, agent: agent)
            } catch let error as BusClientError {
                // No daemon (cold), or one that died under us (its socket closed mid-hello): ensure and retry.
                switch error {
                case .cannotConnect, .disconnected: break
                default: throw error
                }
                if attempt == 4 { throw error }
            }
            let datums = BuiltinDatums.adding(to: catalog ?? DatumLoader().load())
            let orchestrator = Orchestrator(catalog: datums, paths: paths, environment: env)
            _ = try await orchestrator.ensureDependencies("b00t-bus.process")
            if attempt > 1 {
                try await Task.sleep(for: delay)
                delay *= 2
            }
        }
        throw BusClientError.cannotConnect(endpoint.socketPath, "gave up")
    }
}

extension MessageBus {
    /// The shared bus of this machine, as `agent`: ensures the `b00t bus serve` daemon and connects to it.
    public static func connect(agent: String, paths: B00tPaths = .standard(),
                               environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> RemoteBus {
        try await BusConnector.connect(agent: agent, paths: paths, environment: environment)
    }
}
