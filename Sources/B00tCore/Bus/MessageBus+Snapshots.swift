import Foundation

/// When a bus stores snapshots of its folded state in the backend. Opening a bus then costs the snapshot plus
/// the events after it, however long the history is.
public struct SnapshotPolicy: Sendable, Equatable {
    /// Store one after at least this many new events (0: never store, e.g. a read-only tool). A large state
    /// stretches the interval (one event per 100 bytes of the last snapshot), so storing snapshots costs at
    /// most ~100 bytes of encoding per event however big the crew's state grows.
    public var every: UInt64
    /// Snapshots kept in the store (the newest first; an older one is the fallback for a damaged newest).
    public var keep: Int
    /// Start from the newest usable stored snapshot when opening.
    public var load: Bool

    public init(every: UInt64 = 2_000, keep: Int = 2, load: Bool = true) {
        self.every = every
        self.keep = max(1, keep)
        self.load = load
    }

    public static let standard = SnapshotPolicy()
    /// Fold the whole log on open and store nothing: what the bench's "full fold" figure and checks use.
    public static let never = SnapshotPolicy(every: 0, load: false)
}

extension MessageBus {
    /// Tries the stored snapshots newest first; the first one that decodes, passes its checksum and matches the
    /// log's event at its seq becomes the starting state. The others are reported in `recovery.rejected`.
    func startFromStoredSnapshot(_ store: any SnapshotStoringBackend, logEnd: UInt64) async {
        let candidates: [StoredSnapshot]
        do {
            candidates = try await store.storedSnapshots(limit: max(2, snapshotPolicy.keep))
        } catch {
            recovery.rejected.append(StoredSnapshot.Damage(seq: 0, reason: "the snapshots could not be read: \(error)"))
            return
        }
        for stored in candidates {
            do {
                guard stored.seq <= logEnd else {
                    throw StoredSnapshot.Damage(seq: stored.seq, reason: "the log ends at event \(logEnd), before it")
                }
                let (decoded, anchor) = try stored.decode()
                let event = stored.seq == 0 ? nil : try? await backend.read(after: stored.seq - 1, limit: 1).first
                guard (stored.seq == 0 || event?.seq == stored.seq), StoredSnapshot.anchor(of: event) == anchor else {
                    throw StoredSnapshot.Damage(seq: stored.seq, reason: "it does not match event \(stored.seq) of this log (the store was replaced?)")
                }
                state = decoded
                recovery.snapshotSeq = stored.seq
                return
            } catch let damage as StoredSnapshot.Damage {
                recovery.rejected.append(damage)
            } catch {
                recovery.rejected.append(StoredSnapshot.Damage(seq: stored.seq, reason: "\(error)"))
            }
        }
    }

    /// Starts storing a snapshot in the background when `every` new events have been folded since the last one
    /// (or at once with `force`). Encoding and storing happen off the actor: appends go on meanwhile.
    func snapshotIfDue(force: Bool = false) {
        metrics.snapshot(lastSeq: state.lastSeq, snapshotSeq: lastSnapshotSeq)
        guard snapshotPolicy.every > 0, snapshotTask == nil, let store = snapshotStore else { return }
        let interval = max(snapshotPolicy.every, lastSnapshotBytes / 100)
        guard force ? state.lastSeq > 0 : state.lastSeq >= lastSnapshotSeq &+ interval else { return }
        let folded = state
        let keep = snapshotPolicy.keep
        snapshotTask = Task.detached(priority: .utility) { [weak self] in
            let (bytes, error) = await Self.store(folded, in: store, keep: keep)
            await self?.snapshotFinished(at: folded.lastSeq, bytes: bytes, error: error)
        }
    }

    private func snapshotFinished(at seq: UInt64, bytes: UInt64, error: String?) {
        snapshotTask = nil
        snapshotError = error
        if error == nil { lastSnapshotBytes = bytes }
        // Even after a failure: try again after another `every` events, not on every append.
        lastSnapshotSeq = max(lastSnapshotSeq, seq)
        // Appends that came while it was written may already be due for the next one.
        if error == nil { snapshotIfDue() }
    }

    /// Encodes `state` (anchored to its last event, read back from the store) and stores it. Returns its size,
    /// or why it failed.
    private static func store(_ state: BusState, in store: any SnapshotStoringBackend, keep: Int) async -> (UInt64, String?) {
        do {
            let anchor = state.lastSeq == 0 ? nil : try await store.read(after: state.lastSeq - 1, limit: 1).first
            guard state.lastSeq == 0 || anchor?.seq == state.lastSeq else {
                return (0, "event \(state.lastSeq) is not in \(store.label)")
            }
            let snapshot = try StoredSnapshot.encode(state, anchorEvent: anchor)
            try await store.storeSnapshot(snapshot, keep: keep)
            return (UInt64(snapshot.bytes.count), nil)
        } catch {
            return (0, "snapshot at event \(state.lastSeq) not stored: \(error)")
        }
    }

    /// Stores a snapshot of the state now (after any in flight), so the next open folds nothing: a daemon's
    /// clean shutdown. Throws when the store refuses it.
    public func saveSnapshot() async throws {
        while let task = snapshotTask { await task.value }
        guard let store = backend as? any SnapshotStoringBackend, state.lastSeq > 0 else { return }
        try await catchUp()
        guard state.lastSeq > lastSnapshotSeq || snapshotError != nil else { return }
        let folded = state
        if case (_, let error?) = await Self.store(folded, in: store, keep: snapshotPolicy.keep) {
            snapshotError = error
            throw BusError.storage(error)
        }
        snapshotError = nil
        lastSnapshotSeq = max(lastSnapshotSeq, folded.lastSeq)
    }

    /// Waits for a snapshot being stored in the background (tests, benches).
    public func waitForSnapshot() async {
        while let task = snapshotTask { await task.value }
    }
}
