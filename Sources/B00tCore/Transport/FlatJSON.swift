import Foundation

/// The one shape most socket lines have: a single JSON object whose values are plain strings (valid UTF-8,
/// no escapes), whole numbers that fit an Int64, booleans or null. Scanning those by hand saves Foundation's
/// parser ~10 µs a line on round trips measured in tens of µs. Anything else — a nested value, an escape, bytes
/// that are not UTF-8, a fraction or exponent, a leading zero, a repeated key — is "not flat" (nil), and the caller
/// hands the line to the full parser: the scanner can make a line faster, never read it differently.
/// `Tests/.../FlatJSONTests` and the wire fuzzer check that every line it accepts, Foundation reads the same.
enum FlatJSON {
    enum Value: Equatable {
        case string(String)
        case number(Int64)
        case bool(Bool)
        case null

        /// As `JSONSerialization` gives it: NSNumber for numbers and booleans, NSNull for null.
        var foundation: Any {
            switch self {
            case .string(let s): return s
            case .number(let x): return NSNumber(value: x)
            case .bool(let x): return NSNumber(value: x)
            case .null: return NSNull()
            }
        }
    }

    /// Keys of one line checked for repeats by direct comparison before a Set takes over.
    static let directKeys = 16

    /// Calls `field` with each key and value in order; false when the line is not flat or `field` said stop.
    static func scan(_ b: UnsafeBufferPointer<UInt8>, _ field: (String, Value) -> Bool) -> Bool {
        var cursor = Cursor(b)
        guard cursor.object(field, nested: { _, _ in false }) else { return false }
        cursor.skipSpace()
        return cursor.atEnd
    }

    /// Reads JSON from a buffer by hand, for the shapes above (see `object`); every method returns nil or
    /// false on anything else, leaving the line to the full parser.
    struct Cursor {
        let b: UnsafeBufferPointer<UInt8>
        var i = 0
        var n: Int { b.count }
        var atEnd: Bool { i == n }

        init(_ b: UnsafeBufferPointer<UInt8>) { self.b = b }

        mutating func skipSpace() { while i < n, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0A || b[i] == 0x0D { i += 1 } }

        /// True (and past it) when the next byte, after spaces, is `byte`.
        mutating func take(_ byte: UInt8) -> Bool {
            skipSpace()
            guard i < n, b[i] == byte else { return false }
            i += 1
            return true
        }

        /// The byte after spaces, not consumed.
        mutating func peek() -> UInt8? {
            skipSpace()
            return i < n ? b[i] : nil
        }

        mutating func string() -> String? {
            guard i < n, b[i] == UInt8(ascii: "\"") else { return nil }
            i += 1
            let start = i
            var high: UInt8 = 0
            while i < n, b[i] != UInt8(ascii: "\"") {
                if b[i] == UInt8(ascii: "\\") || b[i] < 0x20 { return nil }
                high |= b[i]
                i += 1
            }
            guard i < n else { return nil }
            let bytes = UnsafeBufferPointer(rebasing: b[start..<i])
            // ASCII (nearly every string on the wire) is valid UTF-8 as it stands: `String(decoding:)` takes it
            // on its fast path. `String(validating:)` ran generic, unspecialised code for every string — the
            // largest part of reading a `say`'s reply (perf, 2026-12-03).
            let text = high < 0x80 ? String(decoding: bytes, as: UTF8.self) : String(validating: bytes, as: UTF8.self)
            guard let text else { return nil }
            i += 1
            return text
        }

        mutating func integer() -> Int64? {
            var negative = false
            if i < n, b[i] == UInt8(ascii: "-") { negative = true; i += 1 }
            let start = i
            var value: Int64 = 0
            while i < n, b[i] >= 0x30, b[i] <= 0x39 {
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int64(b[i] - 0x30))
                guard !o1, !o2 else { return nil }
                value = a
                i += 1
            }
            // JSON has no leading zeros ("01"), and a fraction or exponent is a Double: the full parser's.
            guard i > start, !(b[start] == 0x30 && i - start > 1) else { return nil }
            guard i >= n || (b[i] != UInt8(ascii: ".") && b[i] | 0x20 != UInt8(ascii: "e")) else { return nil }
            return negative ? -value : value
        }

        mutating func literal(_ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard i + count <= n else { return false }
            for k in 0..<count where b[i + k] != word.utf8Start[k] { return false }
            i += count
            return true
        }

        /// A flat value: a plain string, a whole number, a boolean or null.
        mutating func value() -> Value? {
            skipSpace()
            guard i < n else { return nil }
            switch b[i] {
            case UInt8(ascii: "\""): return string().map(Value.string)
            case UInt8(ascii: "t"): return literal("true") ? .bool(true) : nil
            case UInt8(ascii: "f"): return literal("false") ? .bool(false) : nil
            case UInt8(ascii: "n"): return literal("null") ? .null : nil
            case UInt8(ascii: "-"), 0x30...0x39: return integer().map(Value.number)
            default: return nil
            }
        }

        /// One object: `field` gets each key with a flat value, `nested` each key whose value is an array or an
        /// object (it must read the value whole, or say false). False on a repeated key or anything not JSON.
        mutating func object(_ field: (String, Value) -> Bool, nested: (String, inout Cursor) -> Bool) -> Bool {
            // Repeated keys: a line has a handful, their bytes compared directly (a flat key has no escapes, so
            // equal bytes are equal keys) with their ranges on the stack. Hashing each into a Set was ~3% of the
            // daemon's CPU on a `say`, and an array of them an allocation per object (perf, 2026-12-03). Past
            // `directKeys`, a Set keeps a long line linear.
            withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: FlatJSON.directKeys) { seen in
                var seenCount = 0
                var moreKeys = Set<String>()
                guard let base = b.baseAddress else { return false }  // empty: not an object
                func isNew(_ key: String, at range: Range<Int>) -> Bool {
                    for k in 0..<seenCount where seen[k].count == range.count
                        && memcmp(base + seen[k].lowerBound, base + range.lowerBound, range.count) == 0 {
                        return false
                    }
                    if seenCount < FlatJSON.directKeys {
                        seen.initializeElement(at: seenCount, to: range)
                        seenCount += 1
                        return true
                    }
                    return moreKeys.insert(key).inserted
                }
                guard take(UInt8(ascii: "{")) else { return false }
                if take(UInt8(ascii: "}")) { return true }
                while true {
                    skipSpace()
                    let keyStart = i + 1
                    guard let key = string(), isNew(key, at: keyStart..<(i - 1)), take(UInt8(ascii: ":")) else { return false }
                    if let next = peek(), next == UInt8(ascii: "{") || next == UInt8(ascii: "[") {
                        guard nested(key, &self) else { return false }
                    } else {
                        guard let v = value(), field(key, v) else { return false }
                    }
                    if take(UInt8(ascii: ",")) { continue }
                    return take(UInt8(ascii: "}"))
                }
            }
        }
    }

    /// The object as `JSONSerialization` gives it (NSNumber for numbers and booleans, NSNull for null), or nil
    /// when the line is not flat.
    static func object(_ b: UnsafeBufferPointer<UInt8>) -> [String: Any]? {
        var fields: [String: Any] = [:]
        let flat = scan(b) { key, value in
            fields[key] = value.foundation
            return true
        }
        return flat ? fields : nil
    }
}

extension FlatJSON {
    /// Whether two objects as the bus reads them are the same: equal keys; per key the same kind (string, null,
    /// boolean, number — a boolean is never a number) and the same value.
    static func sameObject(_ a: [String: Any], _ b: [String: Any]) -> Bool {
        guard Set(a.keys) == Set(b.keys) else { return false }
        for (key, x) in a {
            switch (x, b[key]) {
            case (let s as String, let t as String): if s != t { return false }
            case (is NSNull, is NSNull): break
            case (let m as NSNumber, let n as NSNumber):
                guard WireFields.isBool(m) == WireFields.isBool(n), m.int64Value == n.int64Value,
                      m.doubleValue == n.doubleValue else { return false }
            default: return false
            }
        }
        return true
    }
}

extension WireProtocol {
    /// For the wire fuzzer (public for it): false when the flat scanner accepts a line that Foundation's parser
    /// refuses or reads differently.
    public static func flatScannerAgrees(_ bytes: [UInt8]) -> Bool {
        guard let flat = bytes.withUnsafeBufferPointer({ FlatJSON.object($0) }) else { return true }
        guard let full = try? foundationObject(bytes) else { return false }
        return FlatJSON.sameObject(flat, full)
    }

    /// For the wire fuzzer (public for it): false when a flat line's envelope, read by the scanner, gives another
    /// request (or another refusal) than the same line read by Foundation's parser.
    public static func envelopeReadersAgree(_ bytes: [UInt8]) -> Bool {
        var flat = Envelope()
        guard bytes.withUnsafeBufferPointer({ flat.scan($0) }) else { return true }
        guard let object = try? foundationObject(bytes) else { return false }
        let full = Envelope(foundation: object)
        switch (Result { () throws(ParseError) in try flat.request() }, Result { () throws(ParseError) in try full.request() }) {
        case (.success(let a), .success(let b)): return a.op == b.op && a.id == b.id && FlatJSON.sameObject(a.fields, b.fields)
        case (.failure(let a), .failure(let b)): return a == b
        default: return false
        }
    }
}
