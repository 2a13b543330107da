import B00tCore
import Foundation
import Testing
@testable import K0mmand3rKit

/// k0mmand3r draws on change, not on every 50 ms turn of its loop (an idle one took 11% of a core).
@Suite struct RedrawGateTests {
    @Test func idleTurnsWithinASecondDoNotDraw() {
        var gate = RedrawGate()
        let t = Date(timeIntervalSince1970: 1_000)
        let first = gate.shouldDraw(at: t, busy: false)
        #expect(first, "the first frame")
        // Before: every turn drew. Nineteen more turns in the same second draw nothing.
        let draws = (1..<20).filter { gate.shouldDraw(at: t + Double($0) * 0.05 - 0.001, busy: false) }
        #expect(draws.isEmpty)
        let nextSecond = gate.shouldDraw(at: t + 1, busy: false)
        #expect(nextSecond, "the clock moved")
    }

    @Test func aChangeOrASpinnerDraws() {
        var gate = RedrawGate()
        let t = Date(timeIntervalSince1970: 2_000)
        _ = gate.shouldDraw(at: t, busy: false)
        gate.markChanged()
        let afterChange = gate.shouldDraw(at: t + 0.1, busy: false)
        let idle = gate.shouldDraw(at: t + 0.2, busy: false)
        let spinning = gate.shouldDraw(at: t + 0.3, busy: true)
        #expect(afterChange)
        #expect(!idle)
        #expect(spinning, "a running command's spinner turns")
    }

    /// The watcher hands over a snapshot every 150 ms; the agents come from a dictionary in no stable order.
    @Test func theSameSnapshotInAnotherOrderIsNoChange() {
        var a = ScreenState(columns: 80, rows: 24, stream: Scrollback(capacity: 10))
        a.agents = [BusAgent(id: "dev1"), BusAgent(id: "dev2"), BusAgent(id: "human")]
        var b = a
        b.agents = [BusAgent(id: "human"), BusAgent(id: "dev1"), BusAgent(id: "dev2")]
        #expect(SnapshotView(a) == SnapshotView(b))
        b.online = ["dev1"]
        #expect(SnapshotView(a) != SnapshotView(b))
    }
}
