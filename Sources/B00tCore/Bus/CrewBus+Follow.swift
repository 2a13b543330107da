import Foundation

/// What a follower met while riding out an unreachable store.
public enum FollowTrouble: Sendable {
    /// The store could not be read (`attempt` in a row); following resumes from the last event seen.
    case retrying(String, attempt: Int)
    /// It answers again.
    case recovered
}

extension CrewBus {
    /// Events after `seq`, then live ones — like `subscribe`, but a store that is briefly unreachable (Redis
    /// restarting, a network cut between hosts) does not end the stream: the follower is told, waits with
    /// backoff, and resumes from the last event it delivered, so nothing is missed or delivered twice. Errors that
    /// waiting cannot cure (a log that went backwards, an unreadable event, a closed connection) end it.
    public nonisolated func follow(after seq: UInt64,
                                   onTrouble: @escaping @Sendable (FollowTrouble) -> Void = { _ in }) -> AsyncThrowingStream<BusEvent, Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                var cursor = seq
                var attempt = 0
                while !Task.isCancelled {
                    do {
                        for try await event in self.subscribe(after: cursor) {
                            if case .terminated = continuation.yield(event) { return }
                            cursor = event.seq
                        }
                        continuation.finish()
                        return
                    } catch {
                        guard Self.isTransient(error) else {
                            continuation.finish(throwing: error)
                            return
                        }
                        attempt += 1
                        onTrouble(.retrying("\(error)", attempt: attempt))
                    }
                    // Back off, then look again; say so once it answers.
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .milliseconds(min(2_000, 100 << min(attempt, 5))))
                        do {
                            _ = try await self.currentState()
                            onTrouble(.recovered)
                            attempt = 0
                            break
                        } catch {
                            guard Self.isTransient(error) else {
                                continuation.finish(throwing: error)
                                return
                            }
                            attempt += 1
                            onTrouble(.retrying("\(error)", attempt: attempt))
                        }
                    }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Worth waiting out: the store did not answer. Not: it answered with something wrong.
    static func isTransient(_ error: Error) -> Bool {
        switch error {
        case BusError.storage: return true
        case BusClientError.unreachable, BusClientError.cannotConnect: return true
        default: return false
        }
    }
}
