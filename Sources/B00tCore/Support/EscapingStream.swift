/// `TerminalText.block` over a byte stream that arrives in chunks (`b00t logs -f`): a UTF-8 sequence split
/// between two chunks is held back until it is complete, so it is neither mangled nor escaped twice.
public struct EscapingStream {
    private var pending: [UInt8] = []

    public init() {}

    /// Escaped text for everything complete so far.
    public mutating func feed(_ bytes: some Collection<UInt8>) -> String {
        pending.append(contentsOf: bytes)
        let cut = Self.completePrefixLength(pending)
        let text = String(decoding: pending[0..<cut], as: UTF8.self)
        pending.removeFirst(cut)
        return TerminalText.block(text)
    }

    /// Whatever is left at the end of the stream (an incomplete sequence shows as U+FFFD).
    public mutating func finish() -> String {
        defer { pending = [] }
        return TerminalText.block(String(decoding: pending, as: UTF8.self))
    }

    /// The length of `bytes` without a trailing, still incomplete UTF-8 sequence.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        var i = bytes.count - 1
        var continuation = 0
        while i >= 0, continuation < 3, bytes[i] & 0xC0 == 0x80 {
            continuation += 1
            i -= 1
        }
        guard i >= 0 else { return bytes.count }
        let lead = bytes[i]
        let needed = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0
        return needed > continuation ? i : bytes.count
    }
}
