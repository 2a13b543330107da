import Foundation

/// The orchestrator's face: async only. Its work blocks (flocks, probes, backoff sleeps, `docker` subprocesses),
/// so each call runs on a thread of its own and the caller's executor — k0mmand3r's session, the cooperative
/// pool — is never held.
extension Orchestrator {
    /// Makes every service `references` need running and healthy, dependencies first.
    @discardableResult
    public func ensure(_ references: [String]) async throws -> EnsureReport {
        try await Self.offThread { try self.ensureBlocking(references) }
    }

    /// Every runnable datum (or those `references` need) with what its runtime sees, health probed once.
    public func status(_ references: [String]? = nil) async throws -> [ServiceStatus] {
        try await Self.offThread { try self.statusBlocking(references) }
    }

    /// The status of every datum with a runtime that `include` accepts, and of nothing else (no dependencies).
    public func status(of include: @escaping @Sendable (Datum) -> Bool) async throws -> [ServiceStatus] {
        try await Self.offThread { try self.statusBlocking(include: include) }
    }

    /// Stops a service, or a stack's members in reverse order; refuses to stop what others still need unless `force`.
    @discardableResult
    public func stop(_ reference: String, force: Bool = false) async throws -> StopReport {
        try await Self.offThread { try self.stopBlocking(reference, force: force) }
    }

    @discardableResult
    public func restart(_ reference: String, withDependents: Bool = false) async throws -> EnsureReport {
        try await Self.offThread { try self.restartBlocking(reference, withDependents: withDependents) }
    }

    /// The log's tail, and the argv that follows it.
    public func logs(_ reference: String, lines: Int = 100) async throws -> (tail: String, follow: [String]) {
        try await Self.offThread { try self.logsBlocking(reference, lines: lines) }
    }

    static func offThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(with: Result { try work() }) }
        }
    }
}
