import Foundation

/// A folded state kept in the backend beside the log, so opening a bus folds a snapshot plus the tail after it
/// instead of the whole history. The bytes are self-checking, so a damaged or foreign snapshot is detected and
/// the bus falls back to folding the whole log (and says so) rather than starting from a wrong state:
///
///     b00t-snapshot 1 seq=N anchor=HEX16 sha256=HEX64 bytes=N\n<BusState JSON>
///
/// - `sha256` covers the JSON body: a flipped or truncated byte fails the check.
/// - `anchor` fingerprints the event at `seq` (time, sender, kind): a snapshot that belongs to another log
///   generation (the store was wiped and refilled) does not match its event.
/// - `1` is the reducer's version (`formatVersion`): bump it whenever `BusState.apply` or the state's shape
///   changes meaning, so snapshots written by an older b00t are refolded instead of trusted.
public struct StoredSnapshot: Sendable, Equatable {
    public static let formatVersion = 1
    /// A snapshot larger than this is refused when read (a corrupt length must not make us allocate gigabytes).
    public static let maximumBytes = 512 << 20

    public var seq: UInt64
    public var bytes: Data

    public init(seq: UInt64, bytes: Data) {
        self.seq = seq
        self.bytes = bytes
    }

    /// Encodes `state` (whose last event is `anchorEvent`) into the self-checking form.
    public static func encode(_ state: BusState, anchorEvent: BusEvent?) throws -> StoredSnapshot {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = BusTime.encoding
        encoder.outputFormatting = [.sortedKeys]
        let body = try encoder.encode(state)
        var hasher = SHA256()
        body.withUnsafeBytes { hasher.update($0) }
        let header = "b00t-snapshot \(formatVersion) seq=\(state.lastSeq) anchor=\(anchor(of: anchorEvent)) sha256=\(hasher.finalizeHex()) bytes=\(body.count)\n"
        return StoredSnapshot(seq: state.lastSeq, bytes: Data(header.utf8) + body)
    }

    /// Fingerprint of the event a snapshot ends at (`none` for the empty log).
    public static func anchor(of event: BusEvent?) -> String {
        guard let event else { return "none" }
        var hasher = SHA256()
        hasher.update(Array("\(event.seq)\u{0}\(BusTime.milliseconds(event.timestamp))\u{0}\(event.from)\u{0}\(event.body.kind)".utf8))
        return String(hasher.finalizeHex().prefix(16))
    }

    /// Why a stored snapshot cannot be used; the bus folds the whole log instead and reports this.
    public struct Damage: Error, Sendable, Equatable, CustomStringConvertible {
        public var seq: UInt64
        public var reason: String
        public var description: String { "snapshot at event \(seq) is unusable (\(reason))" }
    }

    /// The header's fields, checked: the body's length and checksum, the version and the sequence number.
    /// Returns the decoded state and the anchor the caller must compare with the log's event at `seq`.
    public func decode() throws(Damage) -> (state: BusState, anchor: String) {
        func damaged(_ reason: String) -> Damage { Damage(seq: seq, reason: reason) }
        guard bytes.count <= Self.maximumBytes else { throw damaged("\(bytes.count) bytes, more than the \(Self.maximumBytes >> 20) MiB a snapshot may have") }
        guard let newline = bytes.prefix(512).firstIndex(of: UInt8(ascii: "\n")) else { throw damaged("no header line") }
        let header = String(decoding: bytes[bytes.startIndex..<newline], as: UTF8.self)
        let words = header.split(separator: " ", omittingEmptySubsequences: false)
        guard words.count == 6, words[0] == "b00t-snapshot" else { throw damaged("not a b00t snapshot header") }
        guard words[1] == "\(Self.formatVersion)" else {
            throw damaged("written by a b00t whose state format is version \(words[1]), this one folds version \(Self.formatVersion)")
        }
        var fields: [Substring: Substring] = [:]
        for word in words.dropFirst(2) {
            guard let eq = word.firstIndex(of: "=") else { throw damaged("header field '\(word.prefix(40))' has no '='") }
            fields[word[..<eq]] = word[word.index(after: eq)...]
        }
        guard let seqText = fields["seq"], let headerSeq = UInt64(seqText), headerSeq == seq else {
            throw damaged("the header's seq does not say \(seq)")
        }
        guard let anchor = fields["anchor"], let sum = fields["sha256"], sum.count == 64,
              let lengthText = fields["bytes"], let length = Int(lengthText) else { throw damaged("incomplete header") }
        let body = bytes[bytes.index(after: newline)...]
        guard body.count == length else { throw damaged("\(body.count) bytes of state, the header says \(length) (truncated?)") }
        var hasher = SHA256()
        body.withUnsafeBytes { hasher.update($0) }
        guard hasher.finalizeHex() == sum else { throw damaged("checksum mismatch: the stored bytes changed") }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = BusTime.decoding
        let state: BusState
        do { state = try decoder.decode(BusState.self, from: Data(body)) } catch {
            throw damaged("the state does not decode: \(String(describing: error).prefix(160))")
        }
        guard state.lastSeq == seq else { throw damaged("the state ends at event \(state.lastSeq), not \(seq)") }
        return (state, String(anchor))
    }
}

/// A backend that keeps snapshots beside its log (SQLite table, Redis keys, memory). Stores only ever add a
/// newer snapshot and keep the last two, so a damaged newest one still leaves an older one to try.
public protocol SnapshotStoringBackend: BusBackend {
    /// The stored snapshots, newest first, at most `limit`.
    func storedSnapshots(limit: Int) async throws -> [StoredSnapshot]
    /// Stores `snapshot` (replacing one at the same seq) and drops all but the newest `keep`.
    func storeSnapshot(_ snapshot: StoredSnapshot, keep: Int) async throws
}

/// How a bus came to its state when it opened: what it folded and why.
public struct BusRecovery: Sendable, Equatable, CustomStringConvertible {
    /// The snapshot the fold started from (nil: from the beginning of the log).
    public var snapshotSeq: UInt64?
    /// Events folded after the snapshot (or the whole log).
    public var tailEvents: UInt64 = 0
    /// Snapshots found and not used, with the reason (a damaged one is reported, never silently trusted).
    public var rejected: [StoredSnapshot.Damage] = []
    public var milliseconds: Double = 0

    public init() {}

    public var description: String {
        let ms = String(format: "%.1f ms", milliseconds)
        var text = snapshotSeq.map { "recovered from the snapshot at event \($0) plus \(tailEvents) events in \(ms)" }
            ?? "folded the whole log (\(tailEvents) events) in \(ms)"
        if !rejected.isEmpty {
            text += "; " + rejected.map(\.description).joined(separator: "; ")
            if snapshotSeq == nil { text += ", so the whole log was folded" }
        }
        return text
    }
}
