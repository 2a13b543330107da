import B00tCore
import Foundation

/// Turns bus events into crew stream lines for one reader, the way chat clients do: a private message only for
/// its two ends, crew chat only for the crew, a date line when the day changes, each speaker in a colour of
/// their own, and a line that mentions the reader highlighted and counted.
///
/// Privacy here is what a screen shows: the log itself is shared by the crew's processes (any of them can
/// read every event), so this is courtesy, not secrecy.
public struct StreamFeed: Sendable {
    /// Who reads (the session's agent; `/as` changes it).
    public var me: String
    /// Live messages that mentioned the reader (or were sent to them) since `clearMentions()`.
    public private(set) var mentions = 0
    private var lastDay: Int?

    public init(me: String) { self.me = me }

    public mutating func clearMentions() { mentions = 0 }

    /// Whether `me` may see `event`, given the state folded up to it.
    public static func isVisible(_ event: BusEvent, to me: String, state: BusState?) -> Bool {
        func inCrew(_ crew: String) -> Bool { state?.crews[crew]?.members.contains(me) ?? false }
        switch event.body {
        case .message(let crew, let to, _):
            if let to { return event.from == me || to == me }
            if let crew { return event.from == me || inCrew(crew) }
            return true
        case .knowledgeShared(let crew, _, _, _):
            return event.from == me || inCrew(crew)
        default:
            return true
        }
    }

    /// The stream lines for `event` (none when the reader may not see it): a date line first when its day
    /// differs from the last event's. `live`: it just happened (mentions are counted).
    public mutating func lines(for event: BusEvent, state: BusState?, live: Bool) -> [StyledText] {
        guard Self.isVisible(event, to: me, state: state) else { return [] }
        var out: [StyledText] = []
        let day = Self.dayNumber(event.timestamp)
        if day != lastDay {
            out.append(StyledText("──── \(Self.dayText(event.timestamp)) ────", role: "dim"))
            lastDay = day
        }
        var line = Self.line(event, state: state, me: me)
        if line.role == "mention", live, event.from != me { mentions += 1 }
        if !live, line.role == "mention" { line.role = "event.message" }
        out.append(line)
        out += Self.detailLines(event)
        return out
    }

    /// Lines shown under an event's own: for a mutation proposal the diff it carries (`diff.add`/`diff.remove`),
    /// so the crew sees exactly what it votes on.
    public static func detailLines(_ event: BusEvent) -> [StyledText] {
        guard case .mutationProposed(_, let mutation) = event.body else { return [] }
        return DiffLines.styled(mutation.diff, indent: 4)
    }

    /// One event as a stream line: `HH:MM:SS summary`, coloured by kind; messages with the speaker in their own
    /// colour, kept on their lines, and wrapped under the text.
    public static func line(_ event: BusEvent, state: BusState? = nil, me: String? = nil) -> StyledText {
        let time = String(BusEventFormatter.clock(event.timestamp).prefix(8)) + " "
        let indent = event.replyTo == nil ? 0 : 2
        switch event.body {
        case .message(let crew, let to, let text):
            let speaker = TerminalText.line(event.from)
            let target = to.map { " → \(TerminalText.line($0))" } ?? crew.map { " @\(TerminalText.line($0))" } ?? ""
            let head = time + speaker + target + ": "
            // Each line of a pasted message escaped on its own; the breaks between them kept.
            let body = text.split(separator: "\n", omittingEmptySubsequences: false).map { TerminalText.line(String($0)) }
                .joined(separator: "\n")
            let mentioned = me.map { me in event.from != me && (to == me || mentions(me, in: text)) } ?? false
            let role = mentioned ? "mention" : (to != nil ? "event.private" : "event.message")
            return StyledText(head + body, role: role, indent: indent, hang: min(TextWidth.width(of: head), 40),
                              marks: [StyledText.Mark(start: time.count, count: speaker.count, role: nickRole(event.from))])
        case .proposalClosed(let id, let outcome):
            var text = time + BusEventFormatter.summary(event)
            if let p = state?.proposals[id], outcome != .withdrawn {
                text += " (yes \(p.yes), no \(p.no), abstain \(p.abstain) of \(p.electorate.count))"
            }
            return StyledText(text, role: "event.\(event.body.kind)", indent: indent, hang: time.count)
        default:
            return StyledText(time + BusEventFormatter.summary(event), role: "event.\(event.body.kind)", indent: indent,
                              hang: time.count)
        }
    }

    /// Whether `text` names `id` as a word (or `@id`), ignoring case.
    public static func mentions(_ id: String, in text: String) -> Bool {
        guard !id.isEmpty else { return false }
        let hay = Array(text.lowercased().unicodeScalars)
        let needle = Array(id.lowercased().unicodeScalars)
        guard hay.count >= needle.count else { return false }
        func isWordScalar(_ s: Unicode.Scalar) -> Bool {
            s.properties.isAlphabetic || ("0"..."9").contains(s) || s == "_" || s == "-"
        }
        for start in 0...(hay.count - needle.count) where Array(hay[start..<(start + needle.count)]) == needle {
            let before = start == 0 || !isWordScalar(hay[start - 1])
            let end = start + needle.count
            let after = end == hay.count || !isWordScalar(hay[end])
            if before && after { return true }
        }
        return false
    }

    /// How many speaker colours themes have (`nick.0` … `nick.7`).
    public static let nickColours = 8

    /// A speaker's own colour role, the same in every session (FNV-1a of the id).
    public static func nickRole(_ id: String) -> String {
        var hash: UInt32 = 2_166_136_261
        for byte in id.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return "nick.\(Int(hash % UInt32(nickColours)))"
    }

    static func dayNumber(_ date: Date) -> Int {
        var t = time_t(date.timeIntervalSince1970)
        var parts = tm()
        localtime_r(&t, &parts)
        return Int(parts.tm_year) * 1000 + Int(parts.tm_yday)
    }

    static let weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    static let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                         "October", "November", "December"]

    /// `Tuesday 25 November 2025`, local time.
    public static func dayText(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970)
        var parts = tm()
        localtime_r(&t, &parts)
        let weekday = weekdays[Int(parts.tm_wday) % 7]
        let month = months[Int(parts.tm_mon) % 12]
        return "\(weekday) \(parts.tm_mday) \(month) \(Int(parts.tm_year) + 1900)"
    }
}
