import Foundation

/// Bus timestamps are whole milliseconds since 1970, the same in memory, in JSON, in SQLite and in Redis:
/// a replica that reads an event back holds exactly the `Date` the writer held, so folded states compare equal.
public enum BusTime {
    public static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    public static func date(milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }

    public static func quantize(_ date: Date) -> Date { self.date(milliseconds: milliseconds(date)) }

    static let encoding: JSONEncoder.DateEncodingStrategy = .custom { date, encoder in
        var container = encoder.singleValueContainer()
        try container.encode(milliseconds(date))
    }

    static let decoding: JSONDecoder.DateDecodingStrategy = .custom { decoder in
        let container = try decoder.singleValueContainer()
        return date(milliseconds: try container.decode(Int64.self))
    }
}
