import ArgumentParser
import B00tCore
import Foundation
import Logging

/// `--metrics HOST:PORT` for long-running commands (also `$B00T_METRICS_LISTEN`, which the orchestrator sets
/// from a datum's `metrics` key): serves Prometheus's `GET /metrics`, loopback only unless allowed.
package struct MetricsOptions: ParsableArguments {
    package init() {}

    @Option(help: "Serve Prometheus metrics at GET http://HOST:PORT/metrics (loopback; also $B00T_METRICS_LISTEN).")
    var metrics: String?
    @Flag(help: "Let --metrics listen on a non-loopback address (the endpoint has no authentication).")
    var metricsAllowRemote = false

    /// The address asked for, or nil; a malformed one is an error naming the flag or the variable.
    package func address(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MetricsAddress? {
        let (text, origin): (String?, String) = metrics != nil
            ? (metrics, "--metrics") : (environment["B00T_METRICS_LISTEN"], "B00T_METRICS_LISTEN")
        guard let text, !text.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        do { return try MetricsAddress.parse(text, allowRemote: metricsAllowRemote) } catch {
            throw ValidationError("\(origin): \(error.description)")
        }
    }

    /// Starts the endpoint when an address was given (metrics must already be enabled).
    package func serve(at address: MetricsAddress?, logger: Logger) async throws -> MetricsEndpoint? {
        guard let address else { return nil }
        do {
            let endpoint = try await MetricsEndpoint.start(at: address, registry: B00tMetrics.enable())
            // Shown from the first scrape (at 0), not only after the first reconnect.
            RemoteBus.reconnectCounter.increment(by: 0)
            logger.info("metrics at http://\(endpoint.address)/metrics")
            return endpoint
        } catch { throw CLIError(error.description) }
    }
}
