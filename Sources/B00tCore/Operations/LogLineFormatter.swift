#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging

/// Turns one log record into one line of logfmt or JSON. Pure, so every quoting rule is tested without a
/// process. Fixed fields come first (`ts`, `level`, `component`, `msg`), then `agent`, `seq` and `code` when
/// present, then the rest of the metadata sorted by key. Control characters — ESC included, so a bus message
/// quoted in a log cannot drive the terminal that tails it — are always escaped, in both formats.
public enum LogLineFormatter {
    /// Keys shown right after the message, in this order, when a record has them.
    static let leadingKeys = ["agent", "seq", "code"]

    public static func line(format: LogSettings.Format, time: Date, level: Logger.Level, component: String,
                            message: String, metadata: Logger.Metadata) -> [UInt8] {
        var fields: [(String, String)] = [
            ("ts", timestamp(time)), ("level", level.rawValue), ("component", component), ("msg", message),
        ]
        var rest = metadata
        for key in leadingKeys { if let value = rest.removeValue(forKey: key) { fields.append((key, flatten(value))) } }
        for key in rest.keys.sorted() { if let value = rest[key] { fields.append((key, flatten(value))) } }
        var out: [UInt8] = []
        out.reserveCapacity(160)
        switch format {
        case .logfmt:
            for (index, (key, value)) in fields.enumerated() {
                if index > 0 { out.append(UInt8(ascii: " ")) }
                appendKey(key, to: &out)
                out.append(UInt8(ascii: "="))
                if needsQuotes(value) { appendQuoted(value, to: &out) } else { out.append(contentsOf: value.utf8) }
            }
        case .json:
            out.append(UInt8(ascii: "{"))
            for (index, (key, value)) in fields.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                appendQuoted(key, to: &out)
                out.append(UInt8(ascii: ":"))
                appendQuoted(value, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "\n"))
        return out
    }

    /// RFC 3339 in UTC with milliseconds (`2026-12-03T07:21:04.123Z`), without a shared formatter object.
    public static func timestamp(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        guard seconds.isFinite, abs(seconds) < 1e12 else { return "1970-01-01T00:00:00.000Z" }
        var whole = time_t(seconds.rounded(.down))
        let millis = min(999, max(0, Int(((seconds - Double(whole)) * 1000).rounded())))
        var parts = tm()
        gmtime_r(&whole, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
    }

    static func flatten(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let s): return s
        case .stringConvertible(let c): return c.description
        case .array(let items): return "[" + items.map(flatten).joined(separator: ",") + "]"
        case .dictionary(let dict):
            return "{" + dict.keys.sorted().map { "\($0):\(dict[$0].map(flatten) ?? "")" }.joined(separator: ",") + "}"
        }
    }

    /// A logfmt key is a bare word: anything outside `[A-Za-z0-9_.-]` becomes `_`.
    static func appendKey(_ key: String, to out: inout [UInt8]) {
        if key.isEmpty { out.append(UInt8(ascii: "_")); return }
        for byte in key.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"):
                out.append(byte)
            default: out.append(UInt8(ascii: "_"))
            }
        }
    }

    static func needsQuotes(_ value: String) -> Bool {
        if value.isEmpty { return true }
        for scalar in value.unicodeScalars {
            switch scalar.value {
            case 0...0x20, 0x22, 0x3D, 0x5C, 0x7F...0x9F: return true
            default: continue
            }
        }
        return false
    }

    /// A double-quoted string with JSON's escapes; C0, DEL and C1 controls as `\u00XX` (valid in both formats).
    static func appendQuoted(_ value: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        let hex = Array("0123456789abcdef".utf8)
        for scalar in value.unicodeScalars {
            switch scalar.value {
            case 0x22: out.append(contentsOf: [92, 34])
            case 0x5C: out.append(contentsOf: [92, 92])
            case 0x0A: out.append(contentsOf: [92, 110])
            case 0x0D: out.append(contentsOf: [92, 114])
            case 0x09: out.append(contentsOf: [92, 116])
            case 0...0x1F, 0x7F...0x9F:
                let v = Int(scalar.value)
                out.append(contentsOf: [92, 117, 48, 48, hex[v >> 4], hex[v & 15]])
            default: out.append(contentsOf: String(scalar).utf8)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
