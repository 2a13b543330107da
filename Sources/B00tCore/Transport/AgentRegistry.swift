import Foundation

/// Which agent ids are held by a live connection: an id can be spoken for by one connection at a time.
final class AgentRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var holders: [String: ObjectIdentifier] = [:]

    func claim(_ agent: String, by holder: ObjectIdentifier) -> Bool {
        lock.withLock {
            if let current = holders[agent], current != holder { return false }
            holders[agent] = holder
            return true
        }
    }

    func release(_ agent: String, by holder: ObjectIdentifier) {
        lock.withLock { if holders[agent] == holder { holders[agent] = nil } }
    }

    func isHeld(_ agent: String) -> Bool { lock.withLock { holders[agent] != nil } }

    var count: Int { lock.withLock { holders.count } }

    /// Agent ids with a live connection, sorted.
    var agents: [String] { lock.withLock { holders.keys.sorted() } }
}
