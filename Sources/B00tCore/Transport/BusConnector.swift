import Foundation

/// Connecting to the crew bus the way every client should: connect at once when the daemon runs (warm),
/// otherwise bring `b00t-bus.process` up through the orchestrator (silently) and connect (cold). The same
/// path reconnects a `RemoteBus` whose daemon went away.
public enum BusConnector {
    public static func connect(
        agent: String, paths: B00tPaths = .standard(),
        environment: [String: String] = ProcessInfo.processInfo.environment, catalog: DatumCatalog? = nil
    ) async throws -> RemoteBus {
        let endpoint = try BusEndpoint.standard(paths: paths, environment: environment)
        let connector: @Sendable () async throws -> BusClient = {
            try await openClient(endpoint, paths: paths, environment: environment, catalog: catalog)
        }
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await RemoteBus.connect(endpoint, agent: agent, connector: connector)
            } catch BusClientError.disconnected where attempt < 4 {
                // A daemon that died under us mid-hello: the next connector call ensures a new one.
                try await Task.sleep(for: .milliseconds(50 * attempt))
            }
        }
    }

    /// A connection to the daemon, starting it through the orchestrator when nothing listens.
    static func openClient(_ endpoint: BusEndpoint, paths: B00tPaths, environment: [String: String],
                           catalog: DatumCatalog?) async throws -> BusClient {
        do {
            return try await BusClient.connect(endpoint)
        } catch BusClientError.cannotConnect {}
        var env = environment
        env["B00T_BUS_SOCKET"] = endpoint.socketPath
        var delay = Duration.milliseconds(50)
        var lastError: Error = BusClientError.cannotConnect(endpoint.socketPath, "gave up")
        for _ in 1...4 {
            let datums = catalog.map(BuiltinDatums.adding) ?? CatalogSource.standard.catalog()
            let orchestrator = Orchestrator(catalog: datums, paths: paths, environment: env)
            _ = try await orchestrator.ensureDependencies("b00t-bus.process")
            do {
                return try await BusClient.connect(endpoint)
            } catch let error as BusClientError {
                lastError = error
            }
            try await Task.sleep(for: delay)
            delay *= 2
        }
        throw lastError
    }
}
