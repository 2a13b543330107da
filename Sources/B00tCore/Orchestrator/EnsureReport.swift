/// What `ensure` did for each service, with timings: the source of `B00T_DEBUG` output and of the bench.
public struct EnsureReport: Sendable, Equatable {
    public enum Outcome: String, Sendable, Equatable {
        /// Already running and healthy: nothing done.
        case warm
        /// Another caller was starting it; this one waited on the lock and joined that start.
        case joined
        case started
        /// Was gone without being stopped; started again under its restart policy.
        case restarted
    }

    public struct Step: Sendable, Equatable {
        public var id: String
        public var outcome: Outcome
        public var probeMs: Double
        public var startMs: Double
        public var readyMs: Double
    }

    public var steps: [Step] = []

    /// Services this call actually launched, in start order.
    public var started: [String] { steps.filter { $0.outcome == .started || $0.outcome == .restarted }.map(\.id) }

    /// The `B00T_DEBUG=1` text: the started line (only when something started), then one timing line a step.
    public var debugText: String {
        var lines: [String] = []
        if !started.isEmpty { lines.append("🚀 Started dependencies: \(started.joined(separator: ", "))") }
        for step in steps {
            lines.append(String(format: "⏱  %@: %@ (probe %.1f ms, start %.1f ms, ready %.1f ms)",
                                step.id, step.outcome.rawValue, step.probeMs, step.startMs, step.readyMs))
        }
        return lines.joined(separator: "\n")
    }
}

/// What `stop` did: stopped in order, and what it kept because something running still needs it.
public struct StopReport: Sendable, Equatable {
    public var stopped: [String] = []
    public var kept: [String: [String]] = [:]
}

/// Progress the orchestrator reports as it works (k0mmand3r's services pane listens).
public enum OrchestratorEvent: Sendable, Equatable {
    case starting(String)
    case ready(String, ms: Double)
    case stopped(String)
    case failed(String, String)
}
