import CoreMetrics
import Logging

/// What the orchestrator reports: how long each ensure took by datum and outcome (`warm`, `joined`, `started`,
/// `restarted`, `failed`), health probes that failed on a service that was running or never became healthy,
/// and restarts under a restart policy. Logged too, for a process that logs (`b00t agent run`, the MCP server):
/// the records of what it started, restarted or failed to start.
struct OrchestratorMetrics: Sendable {
    let factory: any MetricsFactory
    let logger: Logger

    init(factory: any MetricsFactory = MetricsSystem.factory, logger: Logger = B00tLog.logger("orchestrator")) {
        self.factory = factory
        self.logger = logger
    }

    func ensured(_ datum: String, outcome: String, took duration: Duration) {
        CoreMetrics.Timer(label: "b00t_orchestrator_ensure_duration_seconds",
                          dimensions: [("datum", datum), ("outcome", outcome)],
                          preferredDisplayUnit: .seconds, factory: factory).recordInterval(duration)
        switch outcome {
        case "started", "restarted":
            logger.info("\(outcome) \(datum)", metadata: ["datum": .string(datum), "outcome": .string(outcome),
                                                         "ms": .stringConvertible(duration.milliseconds)])
        default:
            logger.debug("\(datum) is \(outcome)", metadata: ["datum": .string(datum), "outcome": .string(outcome)])
        }
        if outcome == "restarted" {
            Counter(label: "b00t_orchestrator_restarts_total", dimensions: [("datum", datum)], factory: factory).increment()
        }
    }

    func failed(_ datum: String, error: any Error, took duration: Duration) {
        ensured(datum, outcome: "failed", took: duration)
        let code = (error as? OrchestratorError)?.code ?? "internal"
        logger.error("could not ensure \(datum): \(ErrorText.describe(error))",
                     metadata: ["datum": .string(datum), "code": .string(code)])
    }

    /// `final`: the wait for health ran out (a warning); otherwise a running service stopped answering and is
    /// about to be looked at under its lock (often someone else is restarting it: a notice).
    func probeFailed(_ datum: String, detail: String, final: Bool = false) {
        Counter(label: "b00t_orchestrator_health_probe_failures_total", dimensions: [("datum", datum)],
                factory: factory).increment()
        logger.log(level: final ? .warning : .notice, "health probe failed for \(datum): \(detail)",
                   metadata: ["datum": .string(datum), "code": "unhealthy"])
    }
}
