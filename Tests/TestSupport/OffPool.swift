import Foundation

/// Runs blocking work (a child process, a blocking socket read) on its own thread, so an async test never
/// parks one of the few cooperative threads that in-process servers need to answer it (2 cores here).
public func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
    }
}
