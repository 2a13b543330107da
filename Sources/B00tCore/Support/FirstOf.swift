import Foundation

/// The first result of several racing tasks; later ones are dropped.
package final class FirstOf<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, Error>?
    private var early: Result<T, Error>?
    private var finished = false
    private var cleanup: (@Sendable () -> Void)?

    package init() {}

    package func start(_ continuation: CheckedContinuation<T, Error>) {
        let ready = lock.withLock { () -> Result<T, Error>? in
            if let early { return early }
            self.continuation = continuation
            return nil
        }
        if let ready { continuation.resume(with: ready) }
    }

    package func whenDone(_ cleanup: @escaping @Sendable () -> Void) {
        let now = lock.withLock { () -> Bool in
            if finished { return true }
            self.cleanup = cleanup
            return false
        }
        if now { cleanup() }
    }

    package func finish(_ result: Result<T, Error>) {
        let (waiting, cleanup) = lock.withLock { () -> (CheckedContinuation<T, Error>?, (@Sendable () -> Void)?) in
            guard !finished else { return (nil, nil) }
            finished = true
            if continuation == nil { early = result }
            defer { continuation = nil; self.cleanup = nil }
            return (continuation, self.cleanup)
        }
        waiting?.resume(with: result)
        cleanup?()
    }
}
