import Foundation

/// When k0mmand3r's loop draws: after a change to what the screen shows, on every turn while a command's
/// spinner turns, and once a second (the clock, the services' uptimes, notices that expire — and whatever a
/// missed change left stale, for at most a second).
///
/// Why: the loop wakes every 50 ms for keys and drew every time, a full render of the screen model — an idle
/// k0mmand3r took 11% of a core (debug build, measured 2026-12-03); drawing on change it takes under 2%.
public struct RedrawGate: Sendable {
    public private(set) var changed = true
    private var drawnSecond = Int.min

    public init() {}

    public mutating func markChanged() { changed = true }

    /// Whether to draw now; if so, the change is taken as drawn.
    public mutating func shouldDraw(at now: Date, busy: Bool) -> Bool {
        let second = Int(now.timeIntervalSince1970.rounded(.down))
        guard changed || busy || second != drawnSecond else { return false }
        changed = false
        drawnSecond = second
        return true
    }
}
