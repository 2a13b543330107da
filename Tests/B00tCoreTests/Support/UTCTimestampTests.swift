import Foundation
import Testing
@testable import B00tCore

/// The hand-written ISO 8601 reader/writer agrees with Foundation's on every instant it is given, and refuses
/// what is not a time instead of guessing.
@Suite struct UTCTimestampTests {
    @Test func writesWhatFoundationWritesAndReadsItBack() {
        let foundation = ISO8601DateFormatter()
        var generator = SystemRandomNumberGenerator()
        let samples: [Double] = [0, 1, 86_399, 86_400, 951_782_400 /* 2000-02-29 */, 1_796_297_748, -1, -86_401, 253_402_300_799]
            + (0..<2_000).map { _ in Double(Int64.random(in: -2_000_000_000...5_000_000_000, using: &generator)) }
        for seconds in samples {
            let date = Date(timeIntervalSince1970: seconds)
            let text = UTCTimestamp.format(date)
            #expect(text == foundation.string(from: date), "\(seconds)")
            #expect(UTCTimestamp.parse(text) == date, "\(text)")
            #expect(foundation.date(from: text) == date, "\(text)")
        }
    }

    @Test func readsOffsetsAndFractions() {
        #expect(UTCTimestamp.parse("2026-12-03T12:22:30+02:00") == UTCTimestamp.parse("2026-12-03T10:22:30Z"))
        #expect(UTCTimestamp.parse("2026-12-03T05:22:30-05:00") == UTCTimestamp.parse("2026-12-03T10:22:30Z"))
        let fraction = UTCTimestamp.parse("2026-12-03T10:22:30.250Z")?.timeIntervalSince1970
        #expect(fraction.map { abs($0 - 1_796_293_350.25) < 1e-6 } == true)
    }

    @Test func refusesWhatIsNotATime() {
        for text in ["", "2026-12-03", "2026-12-03T10:22:30", "2026-02-30T10:22:30Z", "2026-13-01T00:00:00Z",
                     "2026-12-03T24:00:00Z", "2026-12-03T10:22:30Zjunk", "2026-12-03T10:22:30.Z", "x026-12-03T10:22:30Z",
                     "2026-12-03T10:22:30+2:00", "2026-12-03 10:22:30Z"] {
            #expect(UTCTimestamp.parse(text) == nil, "\(text)")
        }
    }

    /// Records written before this change (by `.iso8601`) still read.
    @Test func serviceRecordsRoundTrip() throws {
        let folder = NSTemporaryDirectory() + "b00t-utc-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let record = ServiceRecord(id: "x.process", pid: 42, startTicks: 7, startedAt: Date(timeIntervalSince1970: 1_796_293_350),
                                   argv: ["x"], restarts: 0)
        try record.write(to: folder + "/x.json")
        #expect(ServiceRecord.read(from: folder + "/x.json") == .found(record))
        let old = #"{"pid":42,"id":"x.process","startTicks":7,"argv":["x"],"restarts":0,"startedAt":"2026-12-03T10:22:30Z"}"#
        try PrivateFile.writeAtomically(Data(old.utf8), to: folder + "/old.json")
        #expect(ServiceRecord.read(from: folder + "/old.json") == .found(record))
    }
}
